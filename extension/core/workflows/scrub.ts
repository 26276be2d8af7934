import type { DriverClient } from '../driver/driverClient';
import { systemClock, type Clock } from '../ports/clock';
import type { MarkerWriter } from '../runs/markerWriter';

export type ScrubResult = { perInlineMs: number[]; totalMs: number };

/**
 * W_scrub100: step through `count` inlines one key press at a time, each timed from the key to "rendered"
 * (the caller's detector: the stand-in's status patch, or a render probe for Petrel). A time for every
 * inline is kept, not only the total, because the steps that cross a brick boundary are the slow ones.
 */
export async function scrubInlines(o: {
  driver: DriverClient;
  handle: string;
  count: number;
  key?: string;
  rendered: (n: number) => Promise<number>;
  markers?: MarkerWriter;
  clock?: Clock;
  signal?: AbortSignal;
}): Promise<ScrubResult> {
  const clock = o.clock ?? systemClock;
  const key = o.key ?? 'PageDown';
  const perInlineMs: number[] = [];
  const start = clock.mono();
  o.markers?.mark('scrub_start', `${o.count} x ${key}`, start);
  for (let n = 1; n <= o.count; n++) {
    if (o.signal?.aborted) throw new Error('interrupted during the scrub');
    const t0 = clock.mono();
    await o.driver.request('input/inject', {
      handle: o.handle,
      coordinates: 'client',
      events: [
        { kind: 'key_down', key },
        { kind: 'key_up', key },
      ],
      guard: { foreground: true },
    });
    const done = await o.rendered(n);
    perInlineMs.push(done - t0);
    o.markers?.mark('inline', `${n} ${(done - t0).toFixed(1)} ms`, done);
  }
  const end = clock.mono();
  o.markers?.mark('scrub_end', `${o.count} inlines`, end);
  return { perInlineMs, totalMs: end - start };
}
