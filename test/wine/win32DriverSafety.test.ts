import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DriverClient as CoreDriverClient, type DriverEvent as CoreDriverEvent } from '../../extension/core/driver/driverClient';
import type { Logger } from '../../extension/core/ports/logger';
import { Replayer } from '../../extension/core/replay/replayer';
import type { Rect, WindowInfo } from '../../extension/shared/driverProtocol';
import type { Recording } from '../../extension/shared/recording';
import { DriverClient } from './driverClient';
import { isWine, lane, laneUnavailable, sleep, Target, targetHelper, waitFor, XHelper } from './lane';

// Driver safety around a real application, through the real Win32 driver under Wine (or Windows): the guards accept
// the target's own dialog and pop-up and still refuse a foreign window; a target whose UI thread stops pumping gets
// a bounded "target not responding" instead of a stalled driver; keys and buttons a killed driver held are released.
// The oracles are target.exe's own logs (what each of its windows received) and GetAsyncKeyState from another
// process (target.exe --keystate).

const skip = laneUnavailable();
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const parseRect = (s: string): Rect => {
  const [x, y, width, height] = s.split(',').map(Number);
  return { x: x!, y: y!, width: width!, height: height! };
};
const auxOf = (t: Target, name: string): { hwnd: string; client: Rect } => {
  const line = t.lines().find((l) => l.kind === 'aux' && l.f.name === name);
  if (!line) throw new Error(`target logged no ${name}`);
  return { hwnd: line.f.hwnd!, client: parseRect(line.f.client!) };
};
const VK_SHIFT = 0x10;
const VK_LBUTTON = 0x01;

function keyState(...vks: number[]): Record<number, 'down' | 'up'> {
  const file = path.join(lane.work, `keystate-${process.pid}-${randomBytes(4).toString('hex')}.txt`);
  assert.equal(targetHelper(['--keystate', file, ...vks.map(String)]), 0, 'target.exe --keystate ran');
  return Object.fromEntries(
    readFileSync(file, 'utf8')
      .split(/\r?\n/)
      .filter(Boolean)
      .map((l) => l.split('=') as [string, 'down' | 'up']),
  );
}

describe("guards: the target's own dialog and pop-up are the target, a foreign window is not", { skip }, () => {
  let a: Target;
  let b: Target | undefined;
  let d: DriverClient;
  let w: WindowInfo;

  before(async () => {
    a = await Target.start({ x: 100, y: 100, w: 640, h: 480, title: `FB Owner ${process.pid}`, extra: ['--dialog', '--popup'] });
    await waitFor(() => (a.lines().filter((l) => l.kind === 'aux').length === 2 ? true : undefined), 10_000, 'the dialog and the pop-up');
    d = await DriverClient.start(lane.driver);
    w = await d.request('window/attach', { titlePattern: `^${escapeRe(a.title)}$`, timeoutMs: 5000 });
  });
  after(async () => {
    await d?.shutdown();
    await b?.stop();
    await a?.stop();
  });

  /** A guarded left click at screen point (sx, sy), sent in the MAIN window's client coordinates as a replay does. */
  const click = (sx: number, sy: number, foreground = true) =>
    d.request('input/inject', {
      handle: w.handle,
      coordinates: 'client',
      guard: { foreground, clientRect: w.clientRect },
      events: [
        { kind: 'down', button: 'left', x: sx - w.clientRect.x, y: sy - w.clientRect.y },
        { kind: 'up', button: 'left', x: sx - w.clientRect.x, y: sy - w.clientRect.y },
      ],
    });

  test('a click on the owned modal dialog and one on the unowned pop-up of the same process go through', async () => {
    assert.deepEqual(await d.request('window/foreground', { handle: w.handle }), { ok: true });
    const active = (await d.request('window/active', {})).handle;
    const dialog = auxOf(a, 'dialog');
    const popup = auxOf(a, 'popup');
    assert.ok(active === w.handle || active === dialog.hwnd, `the target or its dialog is in front (${active})`);
    const from = a.lines().length;
    await click(dialog.client.x + 40, dialog.client.y + 30);
    await click(popup.client.x + 15, popup.client.y + 25);
    const got = await a.waitLines(from, ['aux_down'], 2);
    assert.deepEqual(
      got.map((l) => `${l.f.name} ${l.f.x},${l.f.y}`),
      ['dialog 40,30', 'popup 15,25'],
    );
  });

  test('a foreign window in front is refused (not_foreground), and one over the target is refused (obscured)', async () => {
    // Over the main window's client area, away from the dialog (client 100,80 300x200) and the pop-up (420,60).
    b = await Target.start({ x: w.clientRect.x + 20, y: w.clientRect.y + 300, w: 300, h: 150, title: `FB Foreign ${process.pid}` });
    const foreign = await d.request('window/attach', { titlePattern: `^${escapeRe(b.title)}$`, timeoutMs: 5000 });
    assert.deepEqual(await d.request('window/foreground', { handle: foreign.handle }), { ok: true });
    const dialog = auxOf(a, 'dialog');
    const fromA = a.lines().length;
    const fromB = b.lines().length;
    await assert.rejects(click(dialog.client.x + 10, dialog.client.y + 10), /not_foreground: .*not one of the target's/);
    const over = { x: foreign.clientRect.x + 50, y: foreign.clientRect.y + 40 };
    await assert.rejects(click(over.x, over.y, false), /obscured: screen point .* not on window \d+ or one of its own windows/);
    await sleep(300);
    assert.equal(a.since(fromA, 'down', 'aux_down').length, 0, 'nothing reached the target');
    assert.equal(b.since(fromB, 'down').length, 0, 'nothing reached the foreign window');
    // Back in front (its dialog takes the foreground), the dialog is clickable again.
    assert.deepEqual(await d.request('window/foreground', { handle: w.handle }), { ok: true });
    await click(dialog.client.x + 60, dialog.client.y + 50);
    const [down] = await a.waitLines(fromA, ['aux_down'], 1);
    assert.deepEqual([down!.f.name, down!.f.x, down!.f.y], ['dialog', '60', '50']);
  });
});

describe('a target whose UI thread stops pumping: bounded answers, "target not responding", a responsive driver', { skip }, () => {
  let hung: Target;
  let other: Target;
  let d: DriverClient;

  before(async () => {
    other = await Target.start({ x: 760, y: 500, w: 300, h: 200, title: `FB Other ${process.pid}` });
    hung = await Target.start({ x: 120, y: 120, w: 500, h: 380, title: `FB Hung ${process.pid}`, extra: ['--hang-after', '1500', '--hang-for', '20000'] });
    d = await DriverClient.start(lane.driver);
  });
  after(async () => {
    await d?.shutdown();
    await hung?.stop();
    await other?.stop();
  });

  test('window/foreground and window/move fail within a bound with not_responding while other requests are answered', async (t) => {
    const h = await d.request('window/attach', { titlePattern: `^${escapeRe(hung.title)}$`, timeoutMs: 5000 });
    const o = await d.request('window/attach', { titlePattern: `^${escapeRe(other.title)}$`, timeoutMs: 5000 });
    assert.deepEqual(await d.request('window/foreground', { handle: o.handle }), { ok: true });
    await hung.waitLines(0, ['hang'], 1, 10_000);
    await sleep(200); // inside Sleep() now: nothing is pumped

    const t0 = performance.now();
    const fg = d.request('window/foreground', { handle: h.handle }).then(
      () => ({ ms: performance.now() - t0, error: undefined as Error | undefined }),
      (e: Error) => ({ ms: performance.now() - t0, error: e }),
    );
    // Asked while the foreground request waits for the hung window: answered at once.
    const list = await d.request('windows/list', {});
    const listMs = performance.now() - t0;
    const fgResult = await fg;
    assert.ok(
      list.some((x) => x.handle === h.handle),
      'windows/list answered',
    );
    assert.ok(listMs < 1000, `windows/list took ${listMs.toFixed(0)} ms while a foreground request waited on the hung window`);
    assert.match(String(fgResult.error), /not_responding: target not responding: window \d+ \("FB Hung [^"]*", target\.exe, pid \d+\) did not answer for 3\.0 s/);
    // Bounded: the 3 s a busy target is given to answer again, plus a probe.
    assert.ok(fgResult.ms >= 2900 && fgResult.ms < 5000, `window/foreground answered after ${fgResult.ms.toFixed(0)} ms`);

    const m0 = performance.now();
    await assert.rejects(d.request('window/move', { handle: h.handle, rect: { x: 150, y: 150, width: 400, height: 300 } }), /not_responding: target not responding/);
    const moveMs = performance.now() - m0;
    assert.ok(moveMs < 5000, `window/move answered after ${moveMs.toFixed(0)} ms`);
    t.diagnostic(
      `against the hung window: window/foreground answered in ${fgResult.ms.toFixed(0)} ms, window/move in ${moveMs.toFixed(0)} ms; windows/list meanwhile in ${listMs.toFixed(0)} ms`,
    );

    // Still the same driver, still answering, and the hung window is still described (nothing was sent to it).
    const info = await d.request('window/info', { handle: h.handle });
    assert.equal(info.title, hung.title);
    assert.deepEqual(await d.request('window/foreground', { handle: o.handle }), { ok: true });
    assert.equal(hung.since(0, 'unhang').length, 0, 'the target was still hung during all of this');
  });
});

describe('a target busy for a moment (as Petrel right after its window appears) is waited for, not refused', { skip }, () => {
  test('window/foreground succeeds once the UI thread pumps again, and the driver answers meanwhile', async (t) => {
    const other = await Target.start({ x: 760, y: 500, w: 300, h: 200, title: `FB Other2 ${process.pid}` });
    const busy = await Target.start({ x: 140, y: 140, w: 400, h: 300, title: `FB Busy ${process.pid}`, extra: ['--hang-after', '1200', '--hang-for', '1500'] });
    const d = await DriverClient.start(lane.driver);
    try {
      const b = await d.request('window/attach', { titlePattern: `^${escapeRe(busy.title)}$`, timeoutMs: 5000 });
      const o = await d.request('window/attach', { titlePattern: `^${escapeRe(other.title)}$`, timeoutMs: 5000 });
      assert.deepEqual(await d.request('window/foreground', { handle: o.handle }), { ok: true });
      await busy.waitLines(0, ['hang'], 1, 10_000);
      const t0 = performance.now();
      const fg = d.request('window/foreground', { handle: b.handle });
      const info = await d.request('window/info', { handle: o.handle });
      const infoMs = performance.now() - t0;
      assert.deepEqual(await fg, { ok: true });
      const ms = performance.now() - t0;
      const [unhang] = busy.since(0, 'unhang');
      assert.ok(unhang, 'the target was busy while the request waited');
      assert.equal(info.handle, o.handle);
      assert.ok(infoMs < 1000, `window/info took ${infoMs.toFixed(0)} ms meanwhile`);
      assert.ok(ms < 3000, `window/foreground took ${ms.toFixed(0)} ms`);
      t.diagnostic(`window/foreground on a target busy for 1.5 s: ok after ${ms.toFixed(0)} ms; window/info meanwhile in ${infoMs.toFixed(0)} ms`);
    } finally {
      await d.shutdown();
      await busy.stop();
      await other.stop();
    }
  });
});

describe('keys and buttons a killed driver held are released', { skip }, () => {
  let t: Target;
  let x: XHelper | undefined;

  before(async () => {
    t = await Target.start({ x: 150, y: 150, w: 500, h: 380, title: `FB Held ${process.pid}` });
    if (isWine && lane.xhelperPort) x = await XHelper.connect();
  });
  after(async () => {
    x?.close();
    await t?.stop();
  });

  test('without a release a killed driver leaves them down (the control: the problem is real here)', async () => {
    const d = await DriverClient.start(lane.driver);
    const w = await d.request('window/attach', { titlePattern: `^${escapeRe(t.title)}$`, timeoutMs: 5000 });
    await d.request('window/foreground', { handle: w.handle });
    const from = t.lines().length;
    await d.request('input/inject', { handle: w.handle, coordinates: 'client', events: [{ kind: 'key_down', key: 'Shift' }] });
    await t.waitLines(from, ['key_down'], 1);
    await d.kill();
    await sleep(300);
    assert.equal(keyState(VK_SHIFT)[VK_SHIFT], 'down', 'Shift stays down after TerminateProcess of the driver that pressed it');
    // Clean up for the next test: a fresh driver lets it go.
    const c = await DriverClient.start(lane.driver);
    await c.request('input/inject', { handle: '0', coordinates: 'screen', events: [{ kind: 'key_up', key: 'Shift' }] });
    assert.equal(await c.shutdown(), 0);
    assert.equal(keyState(VK_SHIFT)[VK_SHIFT], 'up');
  });

  test('kill -9 of the driver mid-replay: the core client restarts it and the new one releases Shift and the left button', async () => {
    const token = `fastbench-kill-${randomBytes(12).toString('hex')}`;
    const problems: string[] = [];
    const log: Logger = { debug() {}, info() {}, warn: (m) => problems.push(m), error: (m) => problems.push(m) };
    const core = await CoreDriverClient.start({ command: [process.execPath, lane.driver, token], log, maxRestarts: 1 });
    const events: CoreDriverEvent[] = [];
    core.onEvent((e) => events.push(e));
    try {
      const w = await core.request('window/attach', { titlePattern: `^${escapeRe(t.title)}$`, timeoutMs: 5000 });
      const recording: Recording = {
        version: 2,
        target: { titlePattern: t.title },
        client: { width: w.clientRect.width, height: w.clientRect.height, dpiScale: w.dpiScale },
        events: [
          { t_ms: 0, type: 'move', x: 200, y: 150 },
          { t_ms: 20, type: 'key_down', key: 'Shift' },
          { t_ms: 40, type: 'down', button: 'left', x: 200, y: 150 },
          // The replay would let go only after a minute: the driver is killed long before that.
          { t_ms: 60_000, type: 'up', button: 'left', x: 200, y: 150 },
          { t_ms: 60_010, type: 'key_up', key: 'Shift' },
        ],
      } as Recording;
      const from = t.lines().length;
      const replayer = new Replayer({ driver: core, recording, window: w, log, graceMs: 5000 });
      const running = replayer.run();
      await t.waitLines(from, ['down'], 1, 10_000);
      assert.equal(keyState(VK_SHIFT)[VK_SHIFT], 'down');
      const killedAt = t.lines().length;
      let how: string;
      const firstPid = core.pid;
      if (x) {
        const pids = await x.kill9(token);
        assert.equal(pids.length, 1, `exactly one Linux process holds the token (${pids.join(', ')})`);
        how = `kill -9 of Linux pid ${pids[0]}`;
      } else {
        process.kill(firstPid!, 'SIGKILL');
        how = `TerminateProcess of pid ${firstPid}`;
      }
      await waitFor(() => events.find((e) => e.event === 'restarted'), 15_000, `the core client to restart the driver after ${how}`);
      assert.notEqual(core.pid, firstPid);
      // Released by the new driver while the replay is still waiting for its own release a minute later.
      const released = await t.waitLines(killedAt, ['key_up', 'up'], 2, 10_000);
      assert.deepEqual(released.map((l) => (l.kind === 'up' ? `up ${l.f.button}` : `key_up ${l.f.vk}`)).sort(), ['key_up 16', 'up left']);
      const state = keyState(VK_SHIFT, VK_LBUTTON);
      assert.deepEqual(state, { [VK_SHIFT]: 'up', [VK_LBUTTON]: 'up' }, 'Windows agrees: nothing is held');
      assert.ok(
        problems.some((p) => /releasing 2 key\(s\)\/button\(s\) the crashed driver held/.test(p)),
        problems.join('\n'),
      );
      replayer.stop('test over');
      const result = await running;
      assert.equal(result.aborted, 'test over');
    } finally {
      await core.close();
    }
    assert.deepEqual(keyState(VK_SHIFT, VK_LBUTTON), { [VK_SHIFT]: 'up', [VK_LBUTTON]: 'up' });
  });
});

describe(
  'a driver that stops answering is killed on close, and a fresh one releases what it held',
  { skip: skip ?? (isWine && lane.xhelperPort ? undefined : 'needs the wine lane X helper (SIGSTOP of a Wine process)') },
  () => {
    test('close(): shutdown unanswered, input closed, killed; Shift released by a fresh driver', async () => {
      const t = await Target.start({ x: 180, y: 160, w: 400, h: 300, title: `FB Stuck ${process.pid}` });
      const x = await XHelper.connect();
      const token = `fastbench-kill-${randomBytes(12).toString('hex')}`;
      const problems: string[] = [];
      const log: Logger = { debug() {}, info() {}, warn: (m) => problems.push(m), error: (m) => problems.push(m) };
      try {
        const core = await CoreDriverClient.start({ command: [process.execPath, lane.driver, token], log, maxRestarts: 0 });
        const w = await core.request('window/attach', { titlePattern: `^${escapeRe(t.title)}$`, timeoutMs: 5000 });
        await core.request('window/foreground', { handle: w.handle });
        const from = t.lines().length;
        await core.request('input/inject', { handle: w.handle, coordinates: 'client', events: [{ kind: 'key_down', key: 'Shift' }] });
        await t.waitLines(from, ['key_down'], 1);
        assert.equal((await x.stop(token)).length, 1, 'the driver process was stopped');
        const t0 = performance.now();
        await core.close();
        const ms = performance.now() - t0;
        assert.ok(ms < 10_000, `close took ${ms.toFixed(0)} ms`);
        const [up] = await t.waitLines(from, ['key_up'], 1, 10_000);
        assert.equal(up!.f.vk, String(VK_SHIFT));
        assert.equal(keyState(VK_SHIFT)[VK_SHIFT], 'up');
        assert.ok(
          problems.some((p) => /the driver did not shut down by itself \(killed\): releasing 1 key\(s\)\/button\(s\) it held with a fresh driver/.test(p)),
          problems.join('\n'),
        );
      } finally {
        x.close();
        await t.stop();
      }
    });
  },
);

describe('fine timer resolution: raised for render waits, capture and replay, given back after', { skip }, () => {
  test('on and off around each use, in order (the effect on a real tick is in windowsOnly.test.ts)', async () => {
    const t = await Target.start({ x: 200, y: 200, w: 400, h: 300, title: `FB Timer ${process.pid}` });
    const d = await DriverClient.start(lane.driver);
    const timerLogs = () =>
      d.events.flatMap((e) => (e.event === 'log' && /fine timer resolution/.test(e.data.message) ? [e.data.message.replace('fine timer resolution ', '')] : []));
    try {
      const w = await d.request('window/attach', { titlePattern: `^${escapeRe(t.title)}$`, timeoutMs: 5000 });
      await assert.rejects(d.request('window/waitForChange', { handle: w.handle, regions: [{ x: 100, y: 100, width: 40, height: 40 }], timeoutMs: 300 }), /never_changed/);
      await d.until(() => timerLogs().length >= 2, 2000, 'the render wait to raise and restore');
      assert.deepEqual(timerLogs(), ['on', 'off']);
      await d.request('input/captureStart', { handle: w.handle });
      await d.request('input/captureStop', {});
      await d.until(() => timerLogs().length >= 4, 2000, 'capture to raise and restore');
      assert.deepEqual(timerLogs().slice(2), ['on', 'off']);
      // A replay injects every few seconds at most: the resolution stays raised for 3 s after the last event.
      const t0 = performance.now();
      await d.request('input/inject', { handle: w.handle, coordinates: 'client', events: [{ kind: 'move', x: 10, y: 10 }] });
      await d.request('input/inject', { handle: w.handle, coordinates: 'client', events: [{ kind: 'move', x: 11, y: 10 }] });
      await d.until(() => timerLogs().length >= 6, 8000, 'injection to raise and, 3 s later, restore');
      const held = performance.now() - t0;
      assert.deepEqual(timerLogs().slice(4), ['on', 'off'], 'one raise for both injections');
      assert.ok(held >= 2900 && held < 6000, `raised for ${held.toFixed(0)} ms after the last injection`);
    } finally {
      assert.equal(await d.shutdown(), 0);
      await t.stop();
    }
  });
});
