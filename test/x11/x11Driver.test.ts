import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { DriverRequestError, type DriverClient } from '../../extension/core/driver/driverClient';
import type { InputEvent, WindowInfo } from '../../extension/shared/driverProtocol';
import { collect, parseXev, sleep, startDriver, startProgram, startXvfb, waitUntil, xdotool, type XevEvent, type XProgram } from './xHarness';

// The X11 backend against real windows under Xvfb. xev logs every event it receives with its own
// client coordinates and keysyms: an oracle independent of our code.

let x: { display: string; stop: () => void };
let xev: XProgram;
let driver: DriverClient;
let win: WindowInfo;

const xevEvents = () => parseXev(xev.output());
type XevButton = Extract<XevEvent, { button: number }>;
const presses = (events: XevEvent[]) => events.filter((e): e is XevButton => e.type === 'ButtonPress');
const keys = (events: XevEvent[], type: 'KeyPress' | 'KeyRelease') => events.filter((e) => e.type === type).map((e) => (e as { keysym: string }).keysym);

before(async () => {
  x = await startXvfb();
  xev = startProgram(x.display, 'xev', ['-geometry', '400x300+50+60']);
  driver = await startDriver(x.display);
  win = await driver.request('window/attach', { titlePattern: '^Event Tester$', timeoutMs: 10_000 });
});

after(async () => {
  await driver?.close();
  xev?.stop();
  x?.stop();
});

test('attach by title and by process finds the same window, with the rects xdotool and xev report', async () => {
  const byProcess = await driver.request('window/attach', { processImage: 'xev', timeoutMs: 2000 });
  assert.equal(byProcess.handle, win.handle);
  assert.equal(win.processImage, 'xev');
  assert.equal(win.pid, xev.proc.pid);
  assert.equal(String(Number(xdotool(x.display, 'search', '--name', '^Event Tester$').trim())), win.handle);
  const geometry = xdotool(x.display, 'getwindowgeometry', win.handle);
  const [, px, py] = /Position: (-?\d+),(-?\d+)/.exec(geometry)!;
  const [, gw, gh] = /Geometry: (\d+)x(\d+)/.exec(geometry)!;
  assert.deepEqual([win.rect.x, win.rect.y], [Number(px), Number(py)]);
  assert.deepEqual([win.clientRect.width, win.clientRect.height], [Number(gw), Number(gh)]);
  assert.equal(win.dpiScale, 1);
  const listed = await driver.request('windows/list', {});
  assert.ok(listed.some((w) => w.handle === win.handle && w.visible));
});

test('attach gives up after its timeout with a list of what is there', async () => {
  const started = Date.now();
  await assert.rejects(driver.request('window/attach', { titlePattern: 'no such window', timeoutMs: 600 }), (e: unknown) => {
    assert.ok(e instanceof DriverRequestError);
    assert.equal(e.code, 'not_found');
    assert.match(e.message, /no visible window matching title \/no such window\/ within 0\.6 s; visible windows: "Event Tester" \(xev\)/);
    return true;
  });
  const took = Date.now() - started;
  assert.ok(took >= 550 && took < 3000, `took ${took} ms`);
});

test('injected clicks land on the exact client pixel, also after the window moves', async () => {
  const points = [
    [100, 100],
    [399, 299],
    [250, 5],
    [0, 150],
  ] as const;
  const inject = (px: number, py: number) =>
    driver.request('input/inject', {
      handle: win.handle,
      coordinates: 'client',
      events: [
        { kind: 'down', button: 'left', x: px, y: py },
        { kind: 'up', button: 'left', x: px, y: py },
      ],
    });
  const before = presses(xevEvents()).length;
  for (const [px, py] of points) await inject(px, py);
  await driver.request('window/move', { handle: win.handle, rect: { x: 300, y: 200, width: 400, height: 300 } });
  await inject(123, 77);
  const got = await waitUntil('xev to log 5 clicks', () => {
    const p = presses(xevEvents()).slice(before);
    return p.length >= 5 ? p : undefined;
  });
  assert.deepEqual(
    got.map((p) => [p.x, p.y, p.button]),
    [...points.map(([a, b]) => [a, b, 1]), [123, 77, 1]],
  );
  await driver.request('window/move', { handle: win.handle, rect: { x: 50, y: 60, width: 400, height: 300 } });
  win = await driver.request('window/info', { handle: win.handle });
});

test('injected keys and wheel arrive as the right keysyms and buttons', async () => {
  const before = xevEvents().length;
  const tap = (key: string) => [
    { kind: 'key_down' as const, key },
    { kind: 'key_up' as const, key },
  ];
  await driver.request('input/inject', {
    handle: win.handle,
    coordinates: 'client',
    events: [
      { kind: 'move', x: 200, y: 200 },
      ...tap('a'),
      ...tap('PageDown'),
      ...tap('F9'),
      { kind: 'key_down', key: 'Shift' },
      ...tap('z'),
      { kind: 'key_up', key: 'Shift' },
      { kind: 'scroll', dx: 0, dy: 2, x: 200, y: 200 },
      { kind: 'scroll', dx: 0, dy: -1, x: 200, y: 200 },
    ],
  });
  const got = await waitUntil('xev to log the keys and wheel', () => {
    const e = xevEvents().slice(before);
    return presses(e).length >= 3 ? e : undefined;
  });
  assert.deepEqual(keys(got, 'KeyPress'), ['a', 'Next', 'F9', 'Shift_L', 'Z']);
  assert.deepEqual(
    presses(got).map((p) => p.button),
    [5, 5, 4],
  );
});

test('capture reports xdotool input in client coordinates, and never the driver’s own input', async () => {
  const events = collect(driver);
  await driver.request('input/captureStart', { handle: win.handle });
  const c = win.clientRect;
  xdotool(x.display, 'mousemove', String(c.x + 30), String(c.y + 240), 'click', '1');
  await driver.request('input/inject', {
    handle: win.handle,
    coordinates: 'client',
    events: [
      { kind: 'move', x: 10, y: 10 },
      { kind: 'down', button: 'right', x: 10, y: 10 },
      { kind: 'up', button: 'right', x: 10, y: 10 },
      { kind: 'key_down', key: 'q' },
      { kind: 'key_up', key: 'q' },
    ],
  });
  xdotool(x.display, 'key', 'a', 'Next');
  xdotool(x.display, 'mousemove', String(c.x + c.width + 20), String(c.y - 5), 'click', '4');
  const inputs = await waitUntil('captured xdotool input', () => {
    const got = events.filter((e) => e.event === 'input').map((e) => e.data as InputEvent);
    return got.filter((e) => e.kind === 'scroll').length >= 1 ? got : undefined;
  });
  const stop = await driver.request('input/captureStop', {});
  const clicks = inputs.filter((e) => e.kind === 'down' || e.kind === 'up');
  assert.deepEqual(
    clicks.map((e) => 'button' in e && [e.kind, e.button, e.x, e.y, e.outside]),
    [
      ['down', 'left', 30, 240, false],
      ['up', 'left', 30, 240, false],
    ],
  );
  assert.deepEqual(
    inputs.filter((e) => e.kind === 'key_down').map((e) => 'key' in e && e.key),
    ['a', 'PageDown'],
  );
  const scroll = inputs.find((e) => e.kind === 'scroll')!;
  assert.ok('dy' in scroll);
  assert.deepEqual([scroll.dy, scroll.x, scroll.y, scroll.outside], [-1, c.width + 20, -5, true]);
  assert.ok(!inputs.some((e) => 'key' in e && e.key === 'q'), 'the driver’s own key was not captured');
  assert.ok(!inputs.some((e) => 'button' in e && e.button === 'right'), 'the driver’s own click was not captured');
  assert.ok(
    inputs.every((e, i) => i === 0 || e.t_mono_ms >= inputs[i - 1]!.t_mono_ms),
    'monotonic timestamps',
  );
  assert.equal(stop.events, inputs.length);
});

test('pixel probes are stable for the same picture and differ for a different one', async () => {
  const region = { x: 100, y: 100, width: 40, height: 40 };
  const a = await driver.request('pixels/probe', { handle: win.handle, region });
  const b = await driver.request('pixels/probe', { handle: win.handle, region });
  // xev's inner window (at 10,10 with a black border) makes a region that includes it look different.
  const c = await driver.request('pixels/probe', { handle: win.handle, region: { x: 0, y: 0, width: 80, height: 80 } });
  assert.equal(a.hash, b.hash);
  assert.notEqual(a.hash, c.hash);
  assert.ok(c.meanRgb[0] < a.meanRgb[0], `the border darkens the mean (${c.meanRgb} vs ${a.meanRgb})`);
  await assert.rejects(driver.request('pixels/probe', { handle: win.handle, region: { x: 390, y: 0, width: 20, height: 20 } }), /outside the 400x300 client area/);
});

test('foreground moves the input focus between windows: xdotool and the windows themselves agree', async () => {
  // The oracles are not the driver's {ok: true}: xdotool asks the X server which window has the focus, and xev
  // logs the FocusIn/FocusOut events its window really received.
  const focused = () => String(Number(xdotool(x.display, 'getwindowfocus').trim()));
  const focusEvents = (p: XProgram) => [...p.output().matchAll(/^(FocusIn|FocusOut) event, serial \d+, synthetic NO, window (0x[0-9a-f]+)/gm)].map((m) => m[1]);
  const other = startProgram(x.display, 'xev', ['-geometry', '200x200+600+100', '-name', 'Second', '-event', 'focus']);
  try {
    const second = await driver.request('window/attach', { titlePattern: '^Second$', timeoutMs: 10_000 });
    assert.deepEqual(await driver.request('window/foreground', { handle: second.handle }), { ok: true });
    assert.equal(focused(), second.handle);
    await waitUntil('xev "Second" to log FocusIn', () => (focusEvents(other).includes('FocusIn') ? true : undefined));
    assert.deepEqual(await driver.request('window/foreground', { handle: win.handle }), { ok: true });
    assert.equal(focused(), win.handle);
    await waitUntil('xev "Second" to log FocusOut after its FocusIn', () => (focusEvents(other).at(-1) === 'FocusOut' ? true : undefined));
  } finally {
    other.stop();
  }
});

test('the guards accept a window transient for the target (its dialog) and refuse an unrelated one', async () => {
  // Another process's window made a dialog of the target with WM_TRANSIENT_FOR, as toolkits mark dialogs; a
  // third window without it stands for anything else on the screen.
  const main = await driver.request('window/info', { handle: win.handle });
  const c = main.clientRect;
  const dialog = startProgram(x.display, 'xev', ['-geometry', `160x120+${c.x + 20}+${c.y + 20}`, '-name', 'Transient']);
  const stranger = startProgram(x.display, 'xev', ['-geometry', `120x100+${c.x + 220}+${c.y + 150}`, '-name', 'Stranger']);
  try {
    const d = await driver.request('window/attach', { titlePattern: '^Transient$', timeoutMs: 10_000 });
    const s = await driver.request('window/attach', { titlePattern: '^Stranger$', timeoutMs: 10_000 });
    execFileSync('xprop', ['-id', d.handle, '-f', 'WM_TRANSIENT_FOR', '32x', '-set', 'WM_TRANSIENT_FOR', `0x${Number(win.handle).toString(16)}`], {
      env: { ...process.env, DISPLAY: x.display },
    });
    const click = (sx: number, sy: number, foreground: boolean) =>
      driver.request('input/inject', {
        handle: win.handle,
        coordinates: 'client',
        guard: { foreground, clientRect: c },
        events: [
          { kind: 'down', button: 'left', x: sx - c.x, y: sy - c.y },
          { kind: 'up', button: 'left', x: sx - c.x, y: sy - c.y },
        ],
      });
    assert.deepEqual(await driver.request('window/foreground', { handle: d.handle }), { ok: true });
    await click(d.clientRect.x + 30, d.clientRect.y + 40, true);
    await waitUntil('the dialog to log the click', () => presses(parseXev(dialog.output())).find((e) => e.x === 30 && e.y === 40));
    // The unrelated window: under the pointer (obscured), and in front (not_foreground). Nothing reaches it.
    await assert.rejects(click(s.clientRect.x + 10, s.clientRect.y + 10, false), (e: unknown) => e instanceof DriverRequestError && e.code === 'obscured');
    assert.deepEqual(await driver.request('window/foreground', { handle: s.handle }), { ok: true });
    await assert.rejects(click(d.clientRect.x + 30, d.clientRect.y + 40, true), (e: unknown) => e instanceof DriverRequestError && e.code === 'not_foreground');
    await sleep(200);
    assert.deepEqual(presses(parseXev(stranger.output())), [], 'the unrelated window received no click');
    assert.equal(presses(parseXev(dialog.output())).length, 1, 'the refused click did not reach the dialog either');
  } finally {
    dialog.stop();
    stranger.stop();
  }
});

test('a window that closes is reported as gone', async () => {
  const events = collect(driver);
  const other = startProgram(x.display, 'xev', ['-geometry', '200x200+600+100', '-name', 'Doomed']);
  const doomed = await driver.request('window/attach', { titlePattern: '^Doomed$', timeoutMs: 10_000 });
  other.stop();
  await waitUntil('window/gone', () => events.find((e) => e.event === 'window/gone' && e.data.handle === doomed.handle), 15_000);
  await assert.rejects(driver.request('window/info', { handle: doomed.handle }), (e: unknown) => e instanceof DriverRequestError && e.code === 'gone');
});

test('SIGTERM mid-capture releases the keys the driver held and exits 0', async () => {
  const own = await startDriver(x.display);
  await own.request('input/captureStart', { handle: win.handle });
  const before = xevEvents().length;
  await own.request('input/inject', {
    handle: win.handle,
    coordinates: 'client',
    events: [
      { kind: 'move', x: 200, y: 200 },
      { kind: 'key_down', key: 'Control' },
    ],
  });
  await waitUntil('Control pressed', () => (keys(xevEvents().slice(before), 'KeyPress').includes('Control_L') ? true : undefined));
  const child = (own as unknown as { child: import('node:child_process').ChildProcess }).child;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  await waitUntil('Control released by the dying driver', () => (keys(xevEvents().slice(before), 'KeyRelease').includes('Control_L') ? true : undefined));
  await own.close();
});

test('a driver killed mid-capture is restarted, its held key released, and capture works again', async () => {
  const own = await startDriver(x.display, { maxRestarts: 1 });
  const events = collect(own);
  await own.request('input/captureStart', { handle: win.handle });
  const before = xevEvents().length;
  await own.request('input/inject', {
    handle: win.handle,
    coordinates: 'client',
    events: [
      { kind: 'move', x: 200, y: 200 },
      { kind: 'key_down', key: 'Shift' },
    ],
  });
  await waitUntil('Shift pressed', () => (keys(xevEvents().slice(before), 'KeyPress').includes('Shift_L') ? true : undefined));
  const firstPid = own.pid;
  (own as unknown as { child: import('node:child_process').ChildProcess }).child.kill('SIGKILL');
  await waitUntil('restart', () => events.find((e) => e.event === 'restarted'), 10_000);
  assert.notEqual(own.pid, firstPid);
  await waitUntil('Shift released by the new driver', () => (keys(xevEvents().slice(before), 'KeyRelease').includes('Shift_L') ? true : undefined));
  // XRecord contexts die with their connection: a new capture starts cleanly and sees input.
  await own.request('input/captureStart', { handle: win.handle });
  xdotool(x.display, 'key', 'b');
  await waitUntil('capture after restart', () => events.find((e) => e.event === 'input' && 'key' in e.data && e.data.key === 'b'));
  await own.close();
  await sleep(50);
});
