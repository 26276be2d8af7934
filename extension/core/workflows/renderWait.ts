import type { DriverClient } from '../driver/driverClient';
import type { Region } from '../../shared/recording';
import { systemClock, type Clock } from '../ports/clock';

/**
 * Polls a client region until its mean colour equals `rgb` (±tolerance per channel): how the harness
 * knows a step has rendered (Petrel's first_pixel; the stand-in's status patch). Returns the monotonic
 * time of the first matching probe, or throws after the timeout naming the last colour seen.
 */
export async function waitForColour(
  driver: DriverClient,
  handle: string,
  region: Region,
  rgb: readonly [number, number, number],
  options: { timeoutMs?: number; intervalMs?: number; tolerance?: number; clock?: Clock; signal?: AbortSignal } = {},
): Promise<number> {
  const clock = options.clock ?? systemClock;
  const deadline = clock.mono() + (options.timeoutMs ?? 60_000);
  // The status patch is a solid colour, so its mean is exact; counts differ by 1, so no slack.
  const tolerance = options.tolerance ?? 0.5;
  let last: [number, number, number] | undefined;
  for (;;) {
    if (options.signal?.aborted) throw new Error('interrupted while waiting for the view to render');
    const probe = await driver.request('pixels/probe', { handle, region });
    const at = clock.mono();
    last = probe.meanRgb;
    if (probe.meanRgb.every((v, i) => Math.abs(v - rgb[i]!) <= tolerance)) return at;
    if (at > deadline) {
      throw new Error(`the view did not show rgb(${rgb.join(', ')}) within ${options.timeoutMs ?? 60_000} ms (last seen rgb(${last.join(', ')}))`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 5));
  }
}
