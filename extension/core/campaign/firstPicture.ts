import type { ClientRegion } from '../../shared/driverProtocol';
import type { DriverClient } from '../driver/driverClient';
import { waitForRender } from '../workflows/renderWait';

/**
 * first_pixel: the render regions show their first settled picture after the window appeared. The "before"
 * is what the regions showed when we attached (an empty canvas while the project loads); the time is the
 * driver's grab of the settled picture.
 */
export async function waitFirstPicture(
  driver: DriverClient,
  handle: string,
  regions: ClientRegion[],
  o: { timeoutMs: number; settleMs?: number; signal?: AbortSignal },
): Promise<{ at: number; detail: string }> {
  const r = await waitForRender(
    driver,
    handle,
    regions.map(({ x, y, width, height }) => ({ x, y, width, height })),
    { timeoutMs: o.timeoutMs, until: 'nonblank', ...(o.settleMs !== undefined ? { settleMs: o.settleMs } : {}), ...(o.signal ? { signal: o.signal } : {}) },
  ).catch((e: Error) => {
    throw new Error(`the view never showed a picture (first_pixel): ${e.message}`);
  });
  return { at: r.settledAt_mono_ms, detail: `${r.grabs} grabs at ${Math.round(r.grabHz)} Hz` };
}
