import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DriverClient } from './driverClient';
import { externalInput, lane, laneUnavailable, sleep, Target, type ExternalInput } from './lane';

// No hook survives the driver: neither a clean shutdown nor a kill (TerminateProcess, as in a crash) mid-capture
// may leave the target's input slowed or swallowed, and the next driver must be able to capture again.

const skip = laneUnavailable();

/** What the backend told the client through the protocol's log events (hook gaps are reported there). */
const logsOf = (d: { events: unknown[] }) =>
  d.events
    .filter((e): e is { event: 'log'; data: { message: string } } => (e as { event?: string }).event === 'log')
    .map((e) => e.data.message)
    .join('\n');

describe('Win32 driver: hooks do not outlive the driver', { skip }, () => {
  let target: Target;
  let ext: ExternalInput | string;

  before(async () => {
    target = await Target.start({ x: 150, y: 120, w: 500, h: 400, title: `FastBench Crash Target ${process.pid}` });
    ext = await externalInput();
  });
  after(async () => {
    if (typeof ext === 'object') ext.close();
    await target?.stop();
  });

  /** A person clicks at client (x, y); resolves with the target's log line for it. */
  async function personClicks(x: number, y: number) {
    const input = ext as ExternalInput;
    const from = target.lines().length;
    await input.click(target.ready.client.x + x, target.ready.client.y + y);
    const [down] = await target.waitLines(from, ['down'], 1, 5000);
    assert.deepEqual([down!.f.x, down!.f.y], [String(x), String(y)]);
    return down!;
  }

  async function captureAndSee(d: DriverClient, x: number, y: number) {
    const w = await d.request('window/attach', { titlePattern: target.title, timeoutMs: 5000 });
    await d.request('input/captureStart', { handle: w.handle });
    const from = d.inputs().length;
    await personClicks(x, y);
    await d.until(
      () =>
        d
          .inputs()
          .slice(from)
          .some((e) => e.kind === 'down' && e.x === x && e.y === y),
      5000,
      `capture of the click at ${x},${y}`,
    );
  }

  test('killed mid-capture: input still flows, and a new driver captures again', async (t) => {
    if (typeof ext === 'string') return t.skip(ext);
    await ext.focus(target.title);
    const first = await DriverClient.start(lane.driver);
    await captureAndSee(first, 40, 50);
    const code = await first.kill();
    assert.notEqual(code, 0, 'the driver was killed, not shut down');

    // The target still receives a person's input, promptly (a dead hook would cost LowLevelHooksTimeout).
    const t0 = performance.now();
    await personClicks(60, 70);
    const ms = performance.now() - t0;
    assert.ok(ms < 1000, `click took ${ms.toFixed(0)} ms to reach the target after the kill`);

    const second = await DriverClient.start(lane.driver);
    try {
      await captureAndSee(second, 80, 90);
      const { events } = await second.request('input/captureStop', {});
      assert.ok(events >= 2);
    } finally {
      assert.equal(await second.shutdown(), 0);
    }
  });

  test('shut down mid-capture: exits 0, unhooked, input still flows', async (t) => {
    if (typeof ext === 'string') return t.skip(ext);
    const d = await DriverClient.start(lane.driver, { FASTBENCH_DRIVER_DEBUG: '1' });
    await captureAndSee(d, 100, 110);
    assert.equal(await d.shutdown(), 0);
    assert.match(d.stderr, /driver-stats .*"hookCallbacks":[1-9]/, 'the hook thread stopped and reported');
    // THREAD_PRIORITY_TIME_CRITICAL, so a machine busy on every core cannot delay the hooks past LowLevelHooksTimeout.
    assert.match(d.stderr, /driver-stats .*"hookPriority":15[,}]/, 'the hook thread runs time-critical');
    assert.match(d.stderr, /stopped \(driver\/shutdown\)/);
    await personClicks(120, 130);
  });

  test('capture stops and starts again in one driver; an idle capture keeps its hooks, and the watchdog injects nothing', async (t) => {
    if (typeof ext === 'string') return t.skip(ext);
    const d = await DriverClient.start(lane.driver, { FASTBENCH_DRIVER_DEBUG: '1', FASTBENCH_HOOK_WATCHDOG_MS: '500' });
    try {
      await captureAndSee(d, 30, 40);
      await d.request('input/captureStop', {});
      const w = await d.request('window/attach', { titlePattern: target.title, timeoutMs: 5000 });
      await d.request('input/captureStart', { handle: w.handle });
      // Idle for several watchdog periods: no input, so nothing to miss and nothing to reinstall; and the watchdog
      // sends no input of its own (it would reach the target: hover effects over a probe region).
      await new Promise((r) => setTimeout(r, 3000));
      const from = d.inputs().length;
      await personClicks(45, 55);
      await d.until(
        () =>
          d
            .inputs()
            .slice(from)
            .some((e) => e.kind === 'down' && e.x === 45 && e.y === 55),
        5000,
        'capture after idling',
      );
      await d.request('input/captureStop', {});
    } finally {
      assert.equal(await d.shutdown(), 0);
    }
    assert.doesNotMatch(logsOf(d), /installing them again/, 'the watchdog reinstalled hooks that were alive');
    const stats = [...d.stderr.matchAll(/driver-stats (\{.*\})/g)].map((m) => JSON.parse(m[1]!) as { taggedIgnored: number });
    assert.equal(stats.length, 2, 'two capture sessions, each reporting on stop');
    assert.equal(stats[1]!.taggedIgnored, 0, 'no FastBench-tagged input while idle: the watchdog injected nothing');
  });

  test("hooks removed behind the driver's back (as Windows does on a timeout) are noticed and installed again", async (t) => {
    if (typeof ext === 'string') return t.skip(ext);
    // Test switch: the hook thread unhooks itself after 2 reported events but keeps running, like a silent removal.
    const d = await DriverClient.start(lane.driver, { FASTBENCH_DRIVER_DEBUG: '1', FASTBENCH_HOOK_WATCHDOG_MS: '500', FASTBENCH_HOOK_TEST_DROP_AFTER: '2' });
    try {
      await captureAndSee(d, 20, 30); // move + down: the hooks are gone from here on
      // The watchdog injects nothing: it notices the removal by input the hooks did not see (GetLastInputInfo).
      await sleep(300);
      await personClicks(22, 32);
      await d.until(() => /installing them again/.test(logsOf(d)), 10_000, 'the watchdog to notice the missing hooks (a log event)');
      await d.until(() => /input hooks installed again \(restart 1\)/.test(logsOf(d)), 10_000, 'the hooks to be installed again');
      const from = d.inputs().length;
      await personClicks(25, 35);
      await d.until(
        () =>
          d
            .inputs()
            .slice(from)
            .some((e) => e.kind === 'down' && e.x === 25 && e.y === 35),
        5000,
        'capture after the reinstall',
      );
    } finally {
      assert.equal(await d.shutdown(), 0);
    }
    assert.match(d.stderr, /"hookRestarts":1/);
  });

  test('input closed mid-capture (parent gone): exits 0 by itself', async (t) => {
    if (typeof ext === 'string') return t.skip(ext);
    const d = await DriverClient.start(lane.driver, { FASTBENCH_DRIVER_DEBUG: '1' });
    await captureAndSee(d, 140, 150);
    d.closeInput();
    const code = await Promise.race([d.exited, new Promise((r) => setTimeout(() => r('timeout'), 10_000))]);
    assert.equal(code, 0, `exit after stdin closed; stderr: ${d.stderr}`);
    assert.match(d.stderr, /stopped \(input closed\)/);
    await personClicks(160, 170);
  });
});
