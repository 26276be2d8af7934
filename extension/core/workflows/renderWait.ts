import { DriverRequestError, type DriverClient } from '../driver/driverClient';
import type { Region } from '../../shared/recording';
import { DEFAULT_SETTLE_MS, type ChangeWaitResult, type ClientRegion } from '../../shared/driverProtocol';
import { systemClock, type Clock } from '../ports/clock';

// Render detection for workflows. The generic way (no cooperation from the target, what measures Petrel):
//
//   const before = await grabRenderBaseline(driver, handle, regions);   // grab BEFORE sending the input
//   await driver.request('input/inject', { ... the step's keys ... });
//   const r = await waitForRender(driver, handle, regions, { baseline: before, timeoutMs: 60_000 });
//   // r.settledAt_mono_ms: when the final pixels were first seen (grab time, Clock.mono() scale)
//
// or in one call: renderStep(driver, handle, regions, () => inject(...), options). The driver samples the regions
// at >= 200 Hz and stamps each grab itself, so the times do not include the reply's trip back to us. All times
// are on the system-wide monotonic clock of Clock.mono() (process.hrtime), comparable with the step's send time.

export type RenderBaseline = { token: string; handle: string; regions: ClientRegion[]; grabbedAt_mono_ms: number };
export type RenderWaitOptions = {
  /** From grabRenderBaseline, taken before the step's input was sent; without it the "before" is grabbed now. */
  baseline?: RenderBaseline;
  /** How long the final content must stay unchanged (default DEFAULT_SETTLE_MS = 33 ms, two 60 Hz frames). */
  settleMs?: number;
  /** Default 60 s. */
  timeoutMs?: number;
  /** 'changed' (default) or 'restored': a transient indicator (busy text, progress dialog) came and went. */
  until?: 'changed' | 'restored' | 'nonblank';
  signal?: AbortSignal;
};

/** A step that did not render in time, saying whether the view changed at all. */
export class RenderTimeoutError extends Error {
  constructor(
    readonly kind: 'never_changed' | 'not_settled',
    message: string,
    readonly timeoutMs: number,
    /** Grab time of the first change, if there was one. */
    readonly changedAt_mono_ms: number | null,
    /** Grab time of the last change seen, if there was one. */
    readonly lastChangeAt_mono_ms: number | null,
  ) {
    super(message);
    this.name = 'RenderTimeoutError';
  }
}

/** Grabs the regions as the "before" of a step. Call it, then send the step's input, then waitForRender. */
export async function grabRenderBaseline(driver: DriverClient, handle: string, regions: ClientRegion[]): Promise<RenderBaseline> {
  const r = await driver.request('window/grabBaseline', { handle, regions });
  return { token: r.baseline, handle, regions, grabbedAt_mono_ms: r.grabbedAt_mono_ms };
}

/**
 * Waits until the regions changed from the baseline and then stayed unchanged for settleMs. Resolves with the
 * driver's stamps (settledAt_mono_ms is "rendered"); rejects with RenderTimeoutError after timeoutMs, or with an
 * "interrupted" error when the signal aborts (the driver stops watching too).
 */
export async function waitForRender(driver: DriverClient, handle: string, regions: ClientRegion[], options: RenderWaitOptions = {}): Promise<ChangeWaitResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  if (options.signal?.aborted) throw new Error('interrupted while waiting for the view to render');
  const waiting = driver.request('window/waitForChange', {
    handle,
    regions,
    timeoutMs,
    settleMs: options.settleMs ?? DEFAULT_SETTLE_MS,
    baseline: options.baseline?.token ?? 'now',
    until: options.until ?? 'changed',
  });
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      void driver.request('window/cancelWaits', { handle }).catch(() => undefined);
      reject(new Error('interrupted while waiting for the view to render'));
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    return await Promise.race([waiting, aborted]);
  } catch (e) {
    if (e instanceof DriverRequestError && (e.code === 'never_changed' || e.code === 'not_settled')) {
      const num = (k: string) => (typeof e.detail[k] === 'number' ? (e.detail[k] as number) : null);
      throw new RenderTimeoutError(e.code, e.message, timeoutMs, num('changedAt_mono_ms'), num('lastChangeAt_mono_ms'));
    }
    throw e;
  } finally {
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
    waiting.catch(() => undefined);
  }
}

/**
 * One measured step: baseline, the step's input (`send`), then the render wait. Returns when the input was sent
 * (after `send` resolved, on Clock.mono()) beside the render result, so duration = settledAt_mono_ms - sentAt.
 */
export async function renderStep(
  driver: DriverClient,
  handle: string,
  regions: ClientRegion[],
  send: () => Promise<unknown>,
  options: Omit<RenderWaitOptions, 'baseline'> & { clock?: Clock } = {},
): Promise<ChangeWaitResult & { sentAt_mono_ms: number }> {
  const clock = options.clock ?? systemClock;
  const baseline = await grabRenderBaseline(driver, handle, regions);
  const before = clock.mono();
  await send();
  // The input left between these two instants; the earlier one is the step's start (the key may act at once).
  const result = await waitForRender(driver, handle, regions, { ...options, baseline });
  return { ...result, sentAt_mono_ms: before };
}

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
