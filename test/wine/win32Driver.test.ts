import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { WindowInfo } from '../../extension/shared/driverProtocol';
import { DriverClient, type InputEventData } from './driverClient';
import { externalInput, lane, laneUnavailable, Target, targetHelper, waitFor, type ExternalInput } from './lane';

// The real driver process (dist/driver.js, Win32 backend) against a real Win32 window whose own log is the
// oracle: what it reports about itself, and every click, key and wheel it receives, in its client coordinates.

const skip = laneUnavailable();
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('Win32 driver: a real window, its own log as the oracle', { skip }, () => {
  let target: Target;
  let d: DriverClient;
  let w: WindowInfo;
  let ext: ExternalInput | string;

  before(async () => {
    target = await Target.start({ x: 200, y: 150, w: 640, h: 480 });
    d = await DriverClient.start(lane.driver, { FASTBENCH_DRIVER_DEBUG: '1' });
    ext = await externalInput();
  });

  after(async () => {
    if (typeof ext === 'object') ext.close();
    if (d) {
      const code = await d.shutdown();
      assert.equal(code, 0, `driver exit code; stderr: ${d.stderr}`);
      assert.deepEqual(d.protocolErrors, [], 'every driver line matched the protocol schemas');
    }
    await target?.stop();
  });

  test('hello names the win32 backend and the protocol version; the driver is per-monitor DPI aware', async () => {
    assert.equal(d.hello?.backend, 'win32');
    assert.equal(d.hello?.protocol, 1);
    await d.until(() => /win32 backend, DPI awareness/.test(d.stderr), 5000, "the backend's debug line");
    assert.match(d.stderr, /DPI awareness per-monitor/);
  });

  test('windows/list finds the target with the facts the target reports about itself', async () => {
    const list = await d.request('windows/list', {});
    const me = list.find((x) => x.handle === target.ready.hwnd);
    assert.ok(me, `target hwnd ${target.ready.hwnd} not in ${list.length} windows`);
    assert.equal(me.title, target.title);
    assert.equal(me.className, 'FastBenchTarget');
    assert.equal(me.pid, target.ready.pid);
    assert.equal(me.processImage, 'target.exe');
    assert.equal(me.visible, true);
    assert.deepEqual(me.rect, target.ready.window, 'GetWindowRect = the window rect the target logged');
    assert.deepEqual(me.clientRect, target.ready.client, 'client rect (GetClientRect + ClientToScreen) = what the target logged');
    assert.equal(me.dpiScale, target.ready.dpi / 96);
  });

  test('window/attach finds it by process image and by title', async () => {
    const byTitle = await d.request('window/attach', { titlePattern: `^${escapeRe(target.title)}$`, timeoutMs: 5000 });
    assert.equal(byTitle.handle, target.ready.hwnd);
    // Case and folders do not matter for the image; the title narrows it to this test's window.
    const byImage = await d.request('window/attach', { processImage: 'C:\\somewhere\\TARGET.EXE', titlePattern: escapeRe(target.title), timeoutMs: 5000 });
    assert.equal(byImage.handle, target.ready.hwnd);
    const onlyImage = await d.request('window/attach', { processImage: 'target.exe', timeoutMs: 5000 });
    assert.equal(onlyImage.pid, target.ready.pid);
    w = byTitle;
  });

  test('window/attach says clearly when nothing matches', async () => {
    await assert.rejects(d.request('window/attach', { titlePattern: '^no such window$', timeoutMs: 300 }), (e: Error) => {
      assert.match(e.message, /^not_found: no visible window matching title/);
      assert.ok(e.message.includes(target.title), 'lists the visible windows');
      return true;
    });
  });

  test('window/move moves it, and the target and window/moved agree', async () => {
    const rect = { x: 180, y: 130, width: 700, height: 520 };
    const moved = await d.request('window/move', { handle: w.handle, rect });
    assert.deepEqual(moved.rect, rect);
    await waitFor(() => (target.ready.window.x === rect.x && target.ready.window.width === rect.width ? true : undefined), 5000, 'target to log the move');
    assert.deepEqual(target.ready.window, rect);
    assert.deepEqual(moved.clientRect, target.ready.client);
    await d.until(() => d.events.some((e) => e.event === 'window/moved' && e.data.handle === w.handle), 3000, 'window/moved event');
    w = moved;
  });

  test('window/foreground brings it forward: Windows (another process asking GetForegroundWindow) and the target agree', async () => {
    // The oracle is not the driver's {ok: true}: target.exe --foreground asks Windows from a process of its own,
    // and the target logs WM_SETFOCUS when it really gets the keyboard focus.
    const foregroundNow = () => {
      const file = path.join(lane.work, `foreground-${process.pid}.txt`);
      assert.equal(targetHelper(['--foreground', file]), 0, 'target.exe --foreground ran');
      return readFileSync(file, 'utf8').trim();
    };
    const other = await Target.start({ x: 760, y: 560, w: 220, h: 160 });
    try {
      const o = await d.request('window/attach', { titlePattern: `^${escapeRe(other.title)}$`, timeoutMs: 5000 });
      assert.deepEqual(await d.request('window/foreground', { handle: o.handle }), { ok: true });
      assert.equal(foregroundNow(), o.handle, 'the other window is in the foreground');
      const from = target.lines().length;
      assert.deepEqual(await d.request('window/foreground', { handle: w.handle }), { ok: true });
      assert.equal(foregroundNow(), w.handle, 'the target is in the foreground again');
      await target.waitLines(from, ['focus'], 1);
    } finally {
      await other.stop();
    }
  });

  test('injected clicks land on the exact client pixel, every button', async () => {
    const { width, height } = w.clientRect;
    const spots: [number, number][] = [
      [0, 0],
      [1, 1],
      [width - 1, height - 1],
      [width - 1, 0],
      [0, height - 1],
      [Math.floor(width / 2), Math.floor(height / 2)],
      [17, 233],
      [333, 71],
    ];
    const buttons = ['right', 'middle', 'x1', 'x2'] as const;
    const from = target.lines().length;
    const events = [
      ...spots.flatMap(([x, y]) => [
        { kind: 'down' as const, button: 'left' as const, x, y },
        { kind: 'up' as const, button: 'left' as const, x, y },
      ]),
      ...buttons.flatMap((button, i) => [
        { kind: 'down' as const, button, x: 50 + 20 * i, y: 60 + 10 * i },
        { kind: 'up' as const, button, x: 50 + 20 * i, y: 60 + 10 * i },
      ]),
    ];
    const r = await d.request('input/inject', { handle: w.handle, coordinates: 'client', events });
    assert.equal(r.sent, events.length);
    const got = await target.waitLines(from, ['down', 'up'], events.length);
    const seen = got.map((l) => `${l.kind} ${l.f.button} ${l.f.x},${l.f.y}`);
    const want = events.map((e) => `${e.kind} ${e.button} ${e.x},${e.y}`);
    assert.deepEqual(seen, want);
  });

  test('a click without coordinates (null) lands where the pointer is, without moving it', async () => {
    const from = target.lines().length;
    await d.request('input/inject', { handle: w.handle, coordinates: 'client', events: [{ kind: 'move', x: 222, y: 111 }] });
    // JSON has no NaN: over the protocol "where the pointer is" is null (or no coordinates at all).
    await d.request('input/inject', {
      handle: w.handle,
      coordinates: 'client',
      events: [
        { kind: 'down', button: 'left', x: null, y: null },
        { kind: 'up', button: 'left' },
      ],
    });
    const got = await target.waitLines(from, ['down', 'up'], 2);
    assert.deepEqual(
      got.map((l) => [l.f.x, l.f.y]),
      [
        ['222', '111'],
        ['222', '111'],
      ],
    );
  });

  test('injected keys arrive as the right virtual keys, extended where they should be, and type text', async () => {
    const keys: [string, number, number][] = [
      ['a', 0x41, 0],
      ['z', 0x5a, 0],
      ['0', 0x30, 0],
      ['9', 0x39, 0],
      ['/', 0xbf, 0],
      ['Space', 0x20, 0],
      ['Enter', 0x0d, 0],
      ['NumpadEnter', 0x0d, 1],
      ['Escape', 0x1b, 0],
      ['F6', 0x75, 0],
      ['Left', 0x25, 1],
      ['Delete', 0x2e, 1],
      ['Numpad7', 0x67, 0],
    ];
    const from = target.lines().length;
    const events = keys.flatMap(([key]) => [
      { kind: 'key_down' as const, key },
      { kind: 'key_up' as const, key },
    ]);
    await d.request('input/inject', { handle: w.handle, coordinates: 'client', events });
    const got = await target.waitLines(from, ['key_down', 'key_up'], events.length);
    assert.deepEqual(
      got.map((l) => `${l.kind} ${Number(l.f.vk).toString(16)} ext=${l.f.ext}`),
      keys.flatMap(([, vk, ext]) => [`key_down ${vk.toString(16)} ext=${ext}`, `key_up ${vk.toString(16)} ext=${ext}`]),
    );
    // Shift + b types "B": the modifier state travels with the injected keys.
    const at = target.lines().length;
    await d.request('input/inject', {
      handle: w.handle,
      coordinates: 'client',
      events: [
        { kind: 'key_down', key: 'Shift' },
        { kind: 'key_down', key: 'b' },
        { kind: 'key_up', key: 'b' },
        { kind: 'key_up', key: 'Shift' },
        { kind: 'key_down', key: 'c' },
        { kind: 'key_up', key: 'c' },
      ],
    });
    const chars = await target.waitLines(at, ['char'], 2);
    assert.deepEqual(
      chars.map((l) => String.fromCharCode(Number(l.f.code))),
      ['B', 'c'],
    );
  });

  test('injected wheel notches arrive with the right sign and size, at the pointer', async () => {
    const from = target.lines().length;
    // One request per notch group, as a replay sends them: within one SendInput batch Wine may stamp a wheel
    // message with the pointer position of the batch's previous move.
    const scrolls = [
      { kind: 'scroll' as const, dx: 0, dy: 1, x: 30, y: 40 },
      { kind: 'scroll' as const, dx: 0, dy: -2, x: 31, y: 41 },
      { kind: 'scroll' as const, dx: 1, dy: 0, x: 32, y: 42 },
    ];
    for (const [i, e] of scrolls.entries()) {
      await d.request('input/inject', { handle: w.handle, coordinates: 'client', events: [e] });
      await target.waitLines(from, ['wheel', 'hwheel'], i + 1);
    }
    const got = await target.waitLines(from, ['wheel', 'hwheel'], 3);
    assert.deepEqual(
      got.map((l) => `${l.kind} ${l.f.delta} ${l.f.x},${l.f.y}`),
      ['wheel -120 30,40', 'wheel 240 31,41', 'hwheel 120 32,42'],
    );
  });

  test('a guarded injection goes through on the target, and is refused where another window is', async () => {
    const info = await d.request('window/info', { handle: w.handle });
    const from = target.lines().length;
    const guard = { foreground: true, clientRect: info.clientRect };
    await d.request('input/inject', {
      handle: w.handle,
      coordinates: 'client',
      guard,
      events: [
        { kind: 'down', button: 'left', x: 5, y: 6 },
        { kind: 'up', button: 'left', x: 5, y: 6 },
      ],
    });
    await target.waitLines(from, ['up'], 1);
    // 20 px left of the client area is the frame or the desktop: windowAt says it is not the target.
    await assert.rejects(
      d.request('input/inject', { handle: w.handle, coordinates: 'client', guard, events: [{ kind: 'down', button: 'left', x: -20, y: 5 }] }),
      /obscured: screen point/,
    );
    await assert.rejects(
      d.request('input/inject', { handle: w.handle, coordinates: 'client', guard: { foreground: false, clientRect: { ...info.clientRect, width: 1 } }, events: [] }),
      /moved: window/,
    );
    assert.equal(target.since(from, 'down').length, 1, 'nothing sent after a refusal');
  });

  test('unknown keys are refused before anything is sent', async () => {
    await assert.rejects(d.request('input/inject', { handle: w.handle, coordinates: 'client', events: [{ kind: 'key_down', key: 'Hyper' }] }), /bad_request: unknown key "Hyper"/);
  });

  test("capture sees a person's input at the right client coordinates, and never the driver's own", async (t) => {
    if (typeof ext === 'string') return t.skip(ext);
    const input = ext;
    const client = (await d.request('window/info', { handle: w.handle })).clientRect;
    await input.focus(target.title);
    await d.request('input/captureStart', { handle: w.handle });
    const fromTarget = target.lines().length;
    const fromDriver = d.inputs().length;
    // The driver's own input while capturing: must reach the target, must not be reported.
    await d.request('input/inject', {
      handle: w.handle,
      coordinates: 'client',
      events: [
        { kind: 'down', button: 'left', x: 300, y: 200 },
        { kind: 'up', button: 'left', x: 300, y: 200 },
        { kind: 'key_down', key: 'z' },
        { kind: 'key_up', key: 'z' },
      ],
    });
    await target.waitLines(fromTarget, ['up'], 1);
    // A person's input.
    await input.click(client.x + 123, client.y + 77);
    await input.key('a');
    await input.wheelDown();
    const targetSaw = await target.waitLines(fromTarget, ['down', 'up', 'key_down', 'key_up', 'wheel'], 9);
    const mine = () => d.inputs().slice(fromDriver);
    await d.until(() => mine().filter((e) => e.kind !== 'move').length >= 5, 5000, 'captured down, up, key_down, key_up, scroll');
    const { events } = await d.request('input/captureStop', {});
    const captured = mine();
    assert.ok(events >= captured.length);
    const notMove = captured.filter((e) => e.kind !== 'move');
    const describe = (e: InputEventData): string => {
      switch (e.kind) {
        case 'key_down':
        case 'key_up':
          return `${e.kind} ${e.key} scan=${e.scan}`;
        case 'scroll':
          return `scroll ${e.dx},${e.dy} at ${e.x},${e.y}`;
        case 'move':
          return `move at ${e.x},${e.y}`;
        default:
          return `${e.kind} ${e.button} at ${e.x},${e.y}${e.outside ? ' outside' : ''}`;
      }
    };
    assert.deepEqual(
      notMove.map(describe),
      ['down left at 123,77', 'up left at 123,77', 'key_down a scan=30', 'key_up a scan=30', 'scroll 0,1 at 123,77'],
      `captured (${input.how})`,
    );
    // Moves are reported (the pointer travelled to the click) and none of them is the driver's (300,200).
    assert.ok(captured.some((e) => describe(e) === 'move at 123,77'));
    assert.ok(!captured.some((e) => describe(e).endsWith(' at 300,200')), "the driver's own click was reported");
    // The hook's timestamps are on the clock the target (QueryPerformanceCounter) uses: hook first, target after.
    const down = notMove[0]!;
    const targetDown = targetSaw.find((l) => l.kind === 'down' && l.f.x === '123')!;
    assert.ok(down.t_mono_ms <= targetDown.t + 0.5, `hook t ${down.t_mono_ms} <= target t ${targetDown.t}`);
    assert.ok(targetDown.t - down.t_mono_ms < 1000, `hook t ${down.t_mono_ms} within 1 s of target t ${targetDown.t}`);
    assert.match(d.stderr, /driver-stats .*"taggedIgnored":([1-9]\d*)/, 'the hooks saw (and ignored) the tagged input');
  });

  test("pixels/probe reads the target's painted colours", async () => {
    const block = await d.request('pixels/probe', { handle: w.handle, region: { x: 10, y: 10, width: 40, height: 30 } });
    assert.deepEqual(block.meanRgb, [200, 60, 40]);
    const bg = await d.request('pixels/probe', { handle: w.handle, region: { x: 100, y: 100, width: 20, height: 20 } });
    assert.deepEqual(bg.meanRgb, [40, 120, 200]);
    assert.notEqual(block.hash, bg.hash);
    await assert.rejects(d.request('pixels/probe', { handle: w.handle, region: { x: 0, y: 0, width: 5000, height: 10 } }), /bad_request: probe region/);
  });

  test('window/gone when the target exits; window/info then says gone', async () => {
    await target.stop();
    await d.until(() => d.events.some((e) => e.event === 'window/gone' && e.data.handle === w.handle), 5000, 'window/gone event');
    await assert.rejects(d.request('window/info', { handle: w.handle }), /^Error: gone: /);
  });
});
