import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { WindowInfo } from '../../extension/shared/driverProtocol';
import { DriverClient } from './driverClient';
import { lane, laneUnavailable, Target } from './lane';

// Render detection through the Win32 backend (GDI BitBlt from the window's DC into DIB sections, sampled on a
// timer) against the mingw target, whose own log says when it painted (QueryPerformanceCounter = this process's
// hrtime, so the stamps compare directly). R repaints the 40x30 block at (10,10) once; T twice, 100 ms apart.

const skip = laneUnavailable();
const mono = () => Number(process.hrtime.bigint()) / 1e6;
const block = { x: 10, y: 10, width: 40, height: 30 };
const shadeRgb = (n: number) => [200, 60 + 40 * (n % 5), 40];

describe('Win32 render detection: window/waitForChange against a window that paints on a key', { skip }, () => {
  let target: Target;
  let d: DriverClient;
  let w: WindowInfo;

  before(async () => {
    target = await Target.start({ x: 150, y: 120, w: 400, h: 300 });
    d = await DriverClient.start(lane.driver);
    w = await d.request('window/attach', { titlePattern: `^${target.title}$`, timeoutMs: 10_000 });
    assert.deepEqual(await d.request('window/foreground', { handle: w.handle }), { ok: true });
  });

  after(async () => {
    if (d) {
      assert.equal(await d.shutdown(), 0, `driver exit code; stderr: ${d.stderr}`);
      assert.deepEqual(d.protocolErrors, [], 'every driver line matched the protocol schemas');
    }
    await target?.stop();
  });

  const press = (key: string) =>
    d.request('input/inject', {
      handle: w.handle,
      coordinates: 'client',
      events: [
        { kind: 'key_down', key },
        { kind: 'key_up', key },
      ],
    });
  const painted = (shade: number) => target.lines().find((l) => l.kind === 'painted' && Number(l.f.shade) === shade);

  test('R: the change is seen after the key and by the time the target logged its paint; the block shows the new shade', async () => {
    const { baseline, grabbedAt_mono_ms, method } = await d.request('window/grabBaseline', { handle: w.handle, regions: [block] });
    assert.equal(method, 'bitblt-dib');
    const sent = mono();
    await press('r');
    const r = await d.request('window/waitForChange', { handle: w.handle, regions: [block], timeoutMs: 10_000, baseline });
    const paint = painted(1);
    assert.ok(paint, 'the target logged painting shade 1');
    assert.ok(grabbedAt_mono_ms < sent && r.changedAt_mono_ms > sent, 'baseline before the key, change after it');
    // The grab that saw the new block came after the target started painting and not long after it logged the paint.
    assert.ok(r.settledAt_mono_ms > sent && r.settledAt_mono_ms < paint.t + 1000, `settled ${(r.settledAt_mono_ms - paint.t).toFixed(1)} ms after the paint`);
    assert.equal(r.watch, 'poll');
    // A floor that holds on a loaded 2-core machine (seen: 40 Hz at load 10); bench:accuracy measures the real rate.
    assert.ok(r.grabHz >= 15, `${r.grabHz.toFixed(0)} Hz`);
    const probe = await d.request('pixels/probe', { handle: w.handle, region: block });
    assert.deepEqual(probe.meanRgb, shadeRgb(1));
  });

  test('T: two paints 100 ms apart settle after the second when settleMs spans the gap', async () => {
    const { baseline } = await d.request('window/grabBaseline', { handle: w.handle, regions: [block] });
    await press('t');
    const r = await d.request('window/waitForChange', { handle: w.handle, regions: [block], timeoutMs: 10_000, baseline, settleMs: 250 });
    const first = painted(2);
    const second = painted(3);
    assert.ok(first && second, 'the target logged both paints');
    assert.ok(r.settledAt_mono_ms - r.changedAt_mono_ms >= 60, `settled ${(r.settledAt_mono_ms - r.changedAt_mono_ms).toFixed(1)} ms after the first change`);
    assert.ok(r.settledAt_mono_ms > first.t, 'settled on the second paint, not the first');
    const probe = await d.request('pixels/probe', { handle: w.handle, region: block });
    assert.deepEqual(probe.meanRgb, shadeRgb(3));
  });

  test('a region that never changes times out naming it and saying "never changed"', async () => {
    const still = { x: 200, y: 150, width: 30, height: 20 };
    const started = mono();
    await assert.rejects(d.request('window/waitForChange', { handle: w.handle, regions: [still], timeoutMs: 400 }), (e: Error) => {
      assert.match(e.message, new RegExp(`^never_changed: never changed: region 30x20\\+200\\+150 of window ${w.handle} stayed as before the step for 400 ms`));
      return true;
    });
    assert.ok(mono() - started >= 390);
  });

  test('a region outside the client area is refused', async () => {
    await assert.rejects(
      d.request('window/grabBaseline', { handle: w.handle, regions: [{ x: w.clientRect.width - 5, y: 0, width: 10, height: 10 }] }),
      /bad_request: region 0 \(10x10\+\d+\+0\) is outside the \d+x\d+ client area/,
    );
  });
});
