import { performance } from 'node:perf_hooks';

/**
 * Ticks on absolute deadlines: tick k is due at start + k·interval on the monotonic clock, so a late
 * tick never pushes the later ones (no drift). The first deadline is the next whole wall-clock second,
 * so rows of different runs and processes line up on t_unix_ms. A tick that is more than one interval
 * late is skipped and counted, never run twice in a row to catch up.
 */
export class TickSchedule {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Monotonic ms of deadline 0, and the wall-clock ms it corresponds to. */
  private readonly mono0: number;
  readonly wall0: number;
  skipped = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly onTick: (tick: { index: number; deadlineUnixMs: number; lateMs: number }) => void | Promise<void>,
  ) {
    const nowWall = Date.now();
    const nowMono = performance.now();
    this.wall0 = Math.ceil((nowWall + 1) / intervalMs) * intervalMs;
    this.mono0 = nowMono + (this.wall0 - nowWall);
  }

  start(): void {
    this.arm(0);
  }

  private arm(index: number): void {
    if (this.stopped) return;
    const due = this.mono0 + index * this.intervalMs;
    this.timer = setTimeout(() => void this.fire(index), Math.max(0, due - performance.now()));
  }

  private async fire(index: number): Promise<void> {
    if (this.stopped) return;
    const lateMs = performance.now() - (this.mono0 + index * this.intervalMs);
    await this.onTick({ index, deadlineUnixMs: this.wall0 + index * this.intervalMs, lateMs });
    // The next deadline still ahead of us; ticks whose time has passed are skipped, not bunched.
    const elapsed = performance.now() - this.mono0;
    const next = Math.max(index + 1, Math.floor(elapsed / this.intervalMs) + 1);
    this.skipped += next - index - 1;
    this.arm(next);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
