import { systemClock, type Clock } from '../ports/clock';

/**
 * Waits until an absolute monotonic deadline: a timer for the bulk, then a spin for the last stretch,
 * because timers wake late (≈1 ms on Linux, up to a 15.6 ms tick on Windows without a raised timer
 * resolution). Returns early, with false, when the signal aborts.
 */
export async function waitUntil(deadline: number, signal: AbortSignal, clock: Clock = systemClock, spinMs = defaultSpinMs()): Promise<boolean> {
  for (;;) {
    if (signal.aborted) return false;
    const left = deadline - clock.mono();
    if (left <= 0) return true;
    if (left > spinMs) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left - spinMs);
        function done() {
          signal.removeEventListener('abort', done);
          clearTimeout(timer);
          resolve();
        }
        signal.addEventListener('abort', done, { once: true });
      });
      continue;
    }
    // The last stretch: spin, yielding nothing; short enough not to starve the event loop for long.
    while (clock.mono() < deadline) {
      /* spin */
    }
    return !signal.aborted;
  }
}

export function defaultSpinMs(): number {
  return process.platform === 'win32' ? 16 : 2;
}
