import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DriverClient } from './driverClient';
import { isWine, lane, laneUnavailable, Target, targetHelper, waitFor, sleep } from './lane';

// What Wine cannot show, for a real Windows machine (.github/workflows/windows.yml): the foreground lock, UIPI
// against a higher-integrity target (input and capture), DPI scaling and the monitor's DPI, monitors at negative
// coordinates, Windows silently removing a low-level hook that overran LowLevelHooksTimeout, and the effect of the
// driver's raised timer resolution on render watching. Each test skips with its reason where it cannot run.

const skip = laneUnavailable() ?? (isWine ? 'Wine does not implement this Windows behaviour; it runs on real Windows (.github/workflows/windows.yml)' : undefined);

type Monitor = { x: number; y: number; width: number; height: number; dpi: number; primary: boolean };
function monitors(): Monitor[] {
  mkdirSync(lane.work, { recursive: true });
  const out = path.join(lane.work, `monitors-${process.pid}.txt`);
  assert.equal(targetHelper(['--monitors', out]), 0, 'target.exe --monitors');
  return readFileSync(out, 'utf8')
    .split(/\r?\n/)
    .filter(Boolean)
    .map((line) => {
      const [rect, dpi, primary] = line.split(' ');
      const [x, y, width, height] = rect!.split(',').map(Number);
      return { x: x!, y: y!, width: width!, height: height!, dpi: Number(dpi!.split('=')[1]), primary: primary === 'primary=1' };
    });
}

describe('Windows only: foreground lock', { skip }, () => {
  let a: Target;
  let b: Target;
  let d: DriverClient;
  before(async () => {
    a = await Target.start({ x: 50, y: 50, w: 400, h: 300, title: `FastBench FG A ${process.pid}` });
    b = await Target.start({ x: 500, y: 50, w: 400, h: 300, title: `FastBench FG B ${process.pid}` });
    d = await DriverClient.start(lane.driver);
  });
  after(async () => {
    await d?.shutdown();
    await a?.stop();
    await b?.stop();
  });

  test('window/foreground wins through the lock from a background process, and never claims a win it did not get', async () => {
    const ha = (await d.request('window/attach', { titlePattern: a.title, timeoutMs: 5000 })).handle;
    const hb = (await d.request('window/attach', { titlePattern: b.title, timeoutMs: 5000 })).handle;
    let wins = 0;
    for (let i = 0; i < 6; i++) {
      const handle = i % 2 ? ha : hb;
      const r = await d.request('window/foreground', { handle });
      // The guard asks GetForegroundWindow independently: ok must mean "it is the foreground window now".
      const check = d.request('input/inject', { handle, coordinates: 'client', events: [], guard: { foreground: true } });
      if (r.ok) {
        await check;
        wins++;
      } else {
        assert.match(r.reason ?? '', /foreground/, 'a refusal says why');
        await assert.rejects(check, /not_foreground/);
      }
    }
    assert.equal(wins, 6, 'the driver (a background process the user did not click) took the foreground every time');
  });
});

describe('Windows only: UIPI (input to a higher-integrity target)', { skip }, () => {
  test('a low-integrity driver is told "blocked", and nothing reaches the target', async () => {
    const target = await Target.start({ x: 80, y: 80, w: 400, h: 300, title: `FastBench UIPI ${process.pid}` });
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const pidFile = path.join(lane.work, `low-${process.pid}.txt`);
    let d: DriverClient | undefined;
    try {
      d = await DriverClient.accept(server, () => {
        // The driver runs at low integrity; the target at ours (medium or high): UIPI blocks low -> higher.
        const code = targetHelper(['--run-low-integrity', pidFile, `"${process.execPath}" "${lane.driver}" --connect ${port}`]);
        assert.equal(code, 0, 'target.exe --run-low-integrity');
      });
      const w = await d.request('window/attach', { titlePattern: target.title, timeoutMs: 5000 });
      const from = target.lines().length;
      await assert.rejects(
        d.request('input/inject', {
          handle: w.handle,
          coordinates: 'client',
          events: [
            { kind: 'down', button: 'left', x: 10, y: 10 },
            { kind: 'up', button: 'left', x: 10, y: 10 },
          ],
        }),
        (e: Error) => {
          assert.match(e.message, /^blocked: /);
          assert.match(e.message, /elevated|integrity/);
          return true;
        },
      );
      await sleep(300);
      assert.equal(target.since(from, 'down', 'up').length, 0, 'the click did not reach the target');
    } finally {
      await d?.shutdown();
      server.close();
      await target.stop();
    }
  });
});

describe('Windows only: UIPI hides a higher-integrity target from capture', { skip }, () => {
  test('a low-integrity driver refuses to capture for a target above it, with the message injection gives', async () => {
    const target = await Target.start({ x: 90, y: 90, w: 400, h: 300, title: `FastBench UIPI capture ${process.pid}` });
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const pidFile = path.join(lane.work, `low-capture-${process.pid}.txt`);
    let d: DriverClient | undefined;
    try {
      d = await DriverClient.accept(server, () => {
        const code = targetHelper(['--run-low-integrity', pidFile, `"${process.execPath}" "${lane.driver}" --connect ${port}`]);
        assert.equal(code, 0, 'target.exe --run-low-integrity');
      });
      const w = await d.request('window/attach', { titlePattern: target.title, timeoutMs: 5000 });
      await assert.rejects(d.request('input/captureStart', { handle: w.handle }), (e: Error) => {
        assert.match(e.message, /^blocked: capture of input to "FastBench UIPI capture [^"]*" \(target\.exe, pid \d+\) would record nothing: /);
        assert.match(e.message, /higher integrity level than FastBench .*Run FastBench elevated too, or the target without elevation\./);
        return true;
      });
      // Refused means not started: a second attempt is refused the same way, not with "already running".
      await assert.rejects(d.request('input/captureStart', { handle: w.handle }), /^blocked: /);
    } finally {
      await d?.shutdown();
      server.close();
      await target.stop();
    }
  });
});

describe('Windows only: the timer resolution the driver raises for render watching', { skip }, () => {
  test('a render wait samples at >= 200 Hz (the default 15.6 ms tick would give ~64 Hz)', async () => {
    const target = await Target.start({ x: 120, y: 120, w: 400, h: 300, title: `FastBench Timer ${process.pid}` });
    const d = await DriverClient.start(lane.driver);
    try {
      const w = await d.request('window/attach', { titlePattern: target.title, timeoutMs: 5000 });
      // Nothing changes there: the wait runs its full second and says how many grabs it made.
      const error = await d.request('window/waitForChange', { handle: w.handle, regions: [{ x: 100, y: 100, width: 50, height: 50 }], timeoutMs: 1000 }).then(
        () => undefined,
        (e: Error) => e,
      );
      assert.match(String(error), /never_changed: .*\((\d+) grabs\)/);
      const grabs = Number(/\((\d+) grabs\)/.exec(String(error))![1]);
      assert.ok(grabs >= 200, `${grabs} grabs in 1 s: the driver's timers still run at the default tick`);
      const logs = d.events.flatMap((e) => (e.event === 'log' ? [e.data.message] : []));
      assert.deepEqual(
        logs.filter((m) => /fine timer resolution/.test(m)),
        ['fine timer resolution on', 'fine timer resolution off'],
      );
    } finally {
      await d.shutdown();
      await target.stop();
    }
  });
});

describe('Windows only: DPI scaling', { skip }, () => {
  let changedScale = false;
  after(() => {
    if (changedScale) targetHelper(['--set-dpi-step', '0']);
  });

  test('dpiScale and client rect are physical pixels, for DPI-aware and DPI-unaware targets', async (t) => {
    let primary = monitors().find((m) => m.primary)!;
    if (primary.dpi === 96 && targetHelper(['--set-dpi-step', '1']) === 0) {
      changedScale = true;
      await sleep(2000);
      primary = monitors().find((m) => m.primary)!;
    }
    const d = await DriverClient.start(lane.driver, { FASTBENCH_DRIVER_DEBUG: '1' });
    await d.until(() => /DPI awareness/.test(d.stderr), 5000, "the backend's debug line");
    assert.match(d.stderr, /DPI awareness per-monitor-v2/, 'node.exe has no DPI manifest: the driver gets per-monitor v2');
    const aware = await Target.start({ x: primary.x + 40, y: primary.y + 40, w: 500, h: 350, title: `FastBench DPI aware ${process.pid}` });
    const unaware = await Target.start({ x: primary.x + 60, y: primary.y + 60, w: 400, h: 300, title: `FastBench DPI unaware ${process.pid}`, extra: ['--dpi-unaware'] });
    try {
      const wa = await d.request('window/attach', { titlePattern: aware.title, timeoutMs: 5000 });
      assert.equal(wa.dpiScale, aware.ready.dpi / 96);
      assert.equal(wa.dpiScale, primary.dpi / 96, "dpiScale is the monitor's scale");
      assert.equal(wa.dpiAwareness, 'per-monitor-v2');
      assert.deepEqual(wa.clientRect, aware.ready.client, 'a DPI-aware target reports physical pixels, as the driver does');
      if (primary.dpi === 96) return t.skip('the display scale is 100% and could not be changed here (SPI_SETLOGICALDPIOVERRIDE); scaled checks need a scaled display');
      const scale = primary.dpi / 96;
      const wu = await d.request('window/attach', { titlePattern: unaware.title, timeoutMs: 5000 });
      // The monitor's scale, not the 96 the unaware app believes in (GetDpiForWindow): what a replay compares.
      assert.equal(unaware.ready.dpi, 96);
      assert.equal(wu.dpiScale, scale);
      assert.equal(wu.dpiAwareness, 'unaware');
      // The unaware target believes in logical pixels; the driver sees (and injects in) physical ones.
      assert.ok(Math.abs(wu.clientRect.width - unaware.ready.client.width * scale) <= 2, `${wu.clientRect.width} ~ ${unaware.ready.client.width} x ${scale}`);
      await d.request('window/foreground', { handle: wu.handle });
      const from = unaware.lines().length;
      const [px, py] = [Math.round(100 * scale), Math.round(80 * scale)];
      await d.request('input/inject', {
        handle: wu.handle,
        coordinates: 'client',
        events: [
          { kind: 'down', button: 'left', x: px, y: py },
          { kind: 'up', button: 'left', x: px, y: py },
        ],
      });
      const [down] = await unaware.waitLines(from, ['down'], 1);
      assert.ok(Math.abs(Number(down!.f.x) - 100) <= 1 && Math.abs(Number(down!.f.y) - 80) <= 1, `logical ${down!.f.x},${down!.f.y} ~ 100,80`);
    } finally {
      await d.shutdown();
      await aware.stop();
      await unaware.stop();
    }
  });
});

describe('Windows only: monitors at negative coordinates', { skip }, () => {
  test('attach, inject and capture on a monitor left of or above the primary', async (t) => {
    const all = monitors();
    const negative = all.find((m) => m.x < 0 || m.y < 0);
    if (!negative) return t.skip(`no monitor at negative coordinates (${all.length} monitor(s): ${all.map((m) => `${m.width}x${m.height}+${m.x}+${m.y}`).join(', ')})`);
    const target = await Target.start({ x: negative.x + 50, y: negative.y + 50, w: 400, h: 300, title: `FastBench Negative ${process.pid}` });
    const d = await DriverClient.start(lane.driver);
    try {
      const w = await d.request('window/attach', { titlePattern: target.title, timeoutMs: 5000 });
      assert.deepEqual(w.clientRect, target.ready.client);
      assert.ok(w.clientRect.x < 0 || w.clientRect.y < 0);
      await d.request('window/foreground', { handle: w.handle });
      const from = target.lines().length;
      await d.request('input/inject', {
        handle: w.handle,
        coordinates: 'client',
        events: [
          { kind: 'down', button: 'left', x: 37, y: 29 },
          { kind: 'up', button: 'left', x: 37, y: 29 },
        ],
      });
      const [down] = await target.waitLines(from, ['down'], 1);
      assert.deepEqual([down!.f.x, down!.f.y], ['37', '29']);
      await d.request('input/captureStart', { handle: w.handle });
      const c = d.inputs().length;
      targetHelper(['--inject', 'click', String(w.clientRect.x + 55), String(w.clientRect.y + 44)]);
      await d.until(
        () =>
          d
            .inputs()
            .slice(c)
            .some((e) => e.kind === 'down' && e.x === 55 && e.y === 44 && !e.outside),
        5000,
        'captured click at 55,44',
      );
    } finally {
      await d.shutdown();
      await target.stop();
    }
  });
});

describe('Windows only: silent removal of a slow hook', { skip }, () => {
  test('a hook that overran LowLevelHooksTimeout is noticed and installed again; capture goes on', async (t) => {
    const target = await Target.start({ x: 100, y: 100, w: 500, h: 400, title: `FastBench Stall ${process.pid}` });
    // The first hook calls stall 1.5 s (test-only switch), well past LowLevelHooksTimeout (<= 1 s since Windows 7).
    const d = await DriverClient.start(lane.driver, { FASTBENCH_HOOK_TEST_STALL_MS: '1500', FASTBENCH_HOOK_WATCHDOG_MS: '1000', FASTBENCH_DRIVER_DEBUG: '1' });
    try {
      const w = await d.request('window/attach', { titlePattern: target.title, timeoutMs: 5000 });
      const c = w.clientRect;
      await d.request('input/captureStart', { handle: w.handle });
      for (let i = 0; i < 4; i++) targetHelper(['--inject', 'click', String(c.x + 20 + i), String(c.y + 20)]);
      // Recovery: either Windows kept the hook, or the watchdog noticed and installed it again.
      const from = d.inputs().length;
      await waitFor(
        () => {
          targetHelper(['--inject', 'click', String(c.x + 200), String(c.y + 150)]);
          return d
            .inputs()
            .slice(from)
            .some((e) => e.kind === 'down' && e.x === 200 && e.y === 150)
            ? true
            : undefined;
        },
        20_000,
        () => `capture to see clicks again; driver stderr: ${d.stderr}`,
      );
      // The title claims the watchdog's recovery: when Windows kept the hook there was nothing to recover.
      if (!/installing them again/.test(d.stderr)) t.skip('Windows kept the stalled hook this time, so the watchdog had nothing to recover');
      else t.diagnostic('Windows removed the stalled hook; the watchdog installed it again and capture went on');
    } finally {
      await d.shutdown();
      await target.stop();
    }
  });
});
