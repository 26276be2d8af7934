/** Time as the core sees it; tests can substitute a clock, production uses the monotonic one. */
export type Clock = {
  /** Monotonic milliseconds, comparable across processes on this machine (CLOCK_MONOTONIC / QPC). */
  mono(): number;
  /** Wall-clock milliseconds since the Unix epoch, to join with other logs. */
  unix(): number;
};

export const systemClock: Clock = {
  mono: () => Number(process.hrtime.bigint()) / 1e6,
  unix: () => Date.now(),
};
