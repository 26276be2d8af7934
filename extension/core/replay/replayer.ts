import type { DriverClient, DriverEvent } from '../driver/driverClient';
import { DriverRequestError } from '../driver/driverClient';
import type { WindowInfo } from '../../shared/driverProtocol';
import type { Recording, RecordingEvent } from '../../shared/recording';
import { percentileSorted } from '../../shared/statistics';
import { systemClock, type Clock } from '../ports/clock';
import type { Logger } from '../ports/logger';
import type { MarkerWriter } from '../runs/markerWriter';
import { waitUntil } from './deadlineTimer';

export type ReplayOptions = {
  driver: DriverClient;
  recording: Recording;
  window: WindowInfo;
  speed?: number;
  markers?: MarkerWriter;
  checkpointTimeoutMs?: number;
  /** A checkpoint that never matches fails the replay, or only warns. */
  checkpointPolicy?: 'fail' | 'warn';
  /** How long the focus guard waits for the target to come back before aborting. */
  graceMs?: number;
  /** Pointer within this many pixels of the screen's top-left corner aborts. */
  failsafeCornerPx?: number;
  clock?: Clock;
  log: Logger;
  signal?: AbortSignal;
};

export type ReplayResult = {
  eventsSent: number;
  eventsSkipped: number;
  /** Send time − deadline over the n events sent, percentiles as extension/shared/statistics.ts defines them. */
  lateness: { n: number; p50: number; p95: number; p99: number; max: number } | null;
  checkpoints: { met: number; missed: number; skipped: number; waitsMs: number[] };
  pausedMs: number;
  durationMs: number;
  aborted: string | null;
};

const GUARD_CODES = new Set(['not_foreground', 'obscured', 'moved', 'gone']);

class Abort extends Error {}

/**
 * Replays a recording into one window. Every event is sent at its absolute deadline from replay start
 * (never summed sleeps); the driver refuses any event whose target is not in front, has moved or is not
 * under the pointer, and the replayer then pauses, waits for the window to come back, and aborts after
 * the grace time. Esc or the pointer in the top-left corner aborts at once, releasing all it pressed.
 */
export class Replayer {
  private readonly clock: Clock;
  private readonly abort = new AbortController();
  private abortReason: string | null = null;
  private readonly held = { keys: new Set<string>(), buttons: new Set<string>() };
  private window: WindowInfo;
  private readonly scale: { x: number; y: number };

  constructor(private readonly o: ReplayOptions) {
    this.clock = o.clock ?? systemClock;
    this.window = o.window;
    const rec = o.recording.client;
    this.scale = { x: o.window.clientRect.width / rec.width, y: o.window.clientRect.height / rec.height };
    o.signal?.addEventListener('abort', () => this.stop('interrupted'), { once: true });
  }

  get scaled(): boolean {
    return this.scale.x !== 1 || this.scale.y !== 1;
  }

  stop(reason: string): void {
    if (this.abortReason) return;
    this.abortReason = reason;
    this.abort.abort();
  }

  private onDriverEvent(e: DriverEvent): void {
    if (e.event === 'window/gone' && e.data.handle === this.window.handle) this.stop('the target window closed');
    if (e.event === 'restarted') {
      // A new driver has no capture and no window watch: without them the failsafe would be dead.
      void this.o.driver
        .request('input/captureStart', { handle: this.window.handle })
        .catch((err: Error) => this.stop(`the driver restarted and capture could not resume (${err.message})`));
      return;
    }
    if (e.event !== 'input') return;
    const input = e.data;
    // Capture reports only the user's own input (the driver filters what it injected).
    if ('key' in input) {
      if (input.kind === 'key_down' && input.key === 'Escape') this.stop('failsafe: Esc pressed');
      return;
    }
    const corner = this.o.failsafeCornerPx ?? 3;
    const sx = input.x + this.window.clientRect.x;
    const sy = input.y + this.window.clientRect.y;
    if (sx <= corner && sy <= corner) this.stop('failsafe: pointer in the top-left corner');
  }

  /**
   * A per-monitor DPI-aware app (Petrel's WPF) draws its controls bigger on a 150 % monitor than on a 100 % one,
   * even in a client area of the same pixel size: scaling by client size cannot fix that, so say it.
   */
  private warnIfScaleDiffers(): void {
    const recorded = this.o.recording.client.dpiScale;
    const now = this.window.dpiScale;
    if (Math.abs(recorded - now) < 0.01) return;
    const pct = (v: number) => `${Math.round(v * 100)} %`;
    const relayout = this.window.dpiAwareness === undefined || this.window.dpiAwareness.startsWith('per-monitor') || this.window.dpiAwareness === 'unknown';
    this.o.log.warn(
      `the display scale differs from the recording's (recorded at ${pct(recorded)}, the target's monitor is at ${pct(now)}): ` +
        (relayout
          ? 'the target lays its controls out again for the scale, so clicks may land on other controls than recorded; replay on a monitor at the recorded scale'
          : `the target (DPI ${this.window.dpiAwareness}) is stretched by Windows, and clicks are scaled with its client size`),
    );
  }

  private map(x: number, y: number): { x: number; y: number } {
    return { x: Math.round(x * this.scale.x), y: Math.round(y * this.scale.y) };
  }

  private toInjection(e: RecordingEvent) {
    switch (e.type) {
      case 'move':
        return { kind: 'move' as const, ...this.map(e.x, e.y) };
      case 'down':
      case 'up':
        return { kind: e.type, button: e.button, ...this.map(e.x, e.y) };
      case 'scroll':
        return { kind: 'scroll' as const, dx: e.dx, dy: e.dy, ...this.map(e.x, e.y) };
      case 'key_down':
      case 'key_up':
        return { kind: e.type, key: e.key, ...(e.scan !== undefined ? { scan: e.scan } : {}) };
      default:
        return undefined;
    }
  }

  private track(inj: NonNullable<ReturnType<Replayer['toInjection']>>): void {
    if (inj.kind === 'key_down') this.held.keys.add(inj.key);
    if (inj.kind === 'key_up') this.held.keys.delete(inj.key);
    if (inj.kind === 'down') this.held.buttons.add(inj.button);
    if (inj.kind === 'up') this.held.buttons.delete(inj.button);
  }

  /** Sends one event under the guard; on a guard refusal waits for the window to come back (or aborts). */
  private async send(inj: NonNullable<ReturnType<Replayer['toInjection']>>): Promise<number> {
    let pausedFor = 0;
    for (;;) {
      if (this.abortReason) throw new Abort();
      try {
        await this.o.driver.request('input/inject', {
          handle: this.window.handle,
          coordinates: 'client',
          events: [inj],
          guard: { foreground: true, clientRect: this.window.clientRect },
        });
        this.track(inj);
        return pausedFor;
      } catch (e) {
        if (!(e instanceof DriverRequestError) || !GUARD_CODES.has(e.code)) throw e;
        pausedFor += await this.waitForTarget(e.message);
      }
    }
  }

  private async waitForTarget(why: string): Promise<number> {
    const grace = this.o.graceMs ?? 2000;
    const started = this.clock.mono();
    this.o.log.warn(`paused: ${why}`);
    this.o.markers?.mark('replay_paused', why);
    while (this.clock.mono() - started < grace) {
      await waitUntil(this.clock.mono() + 100, this.abort.signal, this.clock, 0);
      if (this.abortReason) throw new Abort();
      const info = await this.o.driver.request('window/info', { handle: this.window.handle }).catch(() => undefined);
      if (!info) break;
      const same = ['x', 'y', 'width', 'height'].every((k) => info.clientRect[k as 'x'] === this.window.clientRect[k as 'x']);
      if (same) {
        // Wait for the user to bring the target back; taking the focus back ourselves could steal it
        // from whatever the user deliberately switched to. "Back" is the driver's guard's word: the target or one
        // of its own windows (a dialog it opened meanwhile) in front.
        const back = await this.o.driver
          .request('input/inject', { handle: this.window.handle, coordinates: 'client', events: [], guard: { foreground: true, clientRect: this.window.clientRect } })
          .then(
            () => true,
            () => false,
          );
        if (back) {
          const pausedMs = this.clock.mono() - started;
          this.o.markers?.mark('replay_resumed', `after ${pausedMs.toFixed(0)} ms`);
          return pausedMs;
        }
      }
    }
    this.stop(`focus guard: ${why} (not back within ${grace} ms)`);
    throw new Abort();
  }

  private async checkpoint(e: Extract<RecordingEvent, { type: 'marker' }>): Promise<{ ms: number; met: boolean | null }> {
    const cp = e.checkpoint;
    if (!cp) return { ms: 0, met: null };
    if (this.scaled) {
      this.o.log.warn(`checkpoint ${e.name} skipped: the window is a different size than at record time, so pixels cannot match`);
      return { ms: 0, met: null };
    }
    const started = this.clock.mono();
    const timeout = this.o.checkpointTimeoutMs ?? 10_000;
    while (this.clock.mono() - started <= timeout) {
      const probe = await this.o.driver.request('pixels/probe', { handle: this.window.handle, region: cp.region });
      if (probe.hash === cp.hash) return { ms: this.clock.mono() - started, met: true };
      if (!(await waitUntil(this.clock.mono() + 50, this.abort.signal, this.clock, 0))) throw new Abort();
    }
    return { ms: this.clock.mono() - started, met: false };
  }

  async run(): Promise<ReplayResult> {
    const o = this.o;
    const speed = o.speed ?? 1;
    const lateness: number[] = [];
    const result: ReplayResult = {
      eventsSent: 0,
      eventsSkipped: 0,
      lateness: null,
      checkpoints: { met: 0, missed: 0, skipped: 0, waitsMs: [] },
      pausedMs: 0,
      durationMs: 0,
      aborted: null,
    };
    const fg = await o.driver.request('window/foreground', { handle: this.window.handle });
    if (!fg.ok) throw new Error(`cannot bring the target to the foreground: ${fg.reason ?? 'refused'}`);
    this.window = await o.driver.request('window/info', { handle: this.window.handle });
    this.warnIfScaleDiffers();
    const unsubscribe = o.driver.onEvent((e) => this.onDriverEvent(e));
    await o.driver.request('input/captureStart', { handle: this.window.handle });
    const t0 = this.clock.mono();
    let shift = 0;
    o.markers?.mark('replay_start', `${o.recording.events.length} events at ${speed}x`, t0);
    try {
      for (const e of o.recording.events) {
        if (e.type === 'pause' || e.type === 'resume') continue;
        const planned = t0 + shift + e.t_ms / speed;
        if (!(await waitUntil(planned, this.abort.signal, this.clock))) break;
        if (e.type === 'marker') {
          o.markers?.mark(e.name, e.key ? `key ${e.key}` : '');
          const cp = await this.checkpoint(e);
          if (cp.met === null) {
            if (e.checkpoint) result.checkpoints.skipped++;
          } else {
            shift += cp.ms;
            result.checkpoints.waitsMs.push(Math.round(cp.ms));
            o.markers?.mark('checkpoint', `${e.name} ${cp.met ? 'met' : 'missed'} after ${cp.ms.toFixed(0)} ms`);
            if (cp.met) result.checkpoints.met++;
            else {
              result.checkpoints.missed++;
              if ((o.checkpointPolicy ?? 'fail') === 'fail') {
                this.stop(`checkpoint ${e.name} not reached within ${o.checkpointTimeoutMs ?? 10_000} ms`);
                break;
              }
              o.log.warn(`checkpoint ${e.name} missed; continuing (policy warn)`);
            }
          }
          continue;
        }
        if ('outside' in e && e.outside) {
          // Recorded outside the client area: sending it could reach another window.
          result.eventsSkipped++;
          continue;
        }
        const inj = this.toInjection(e);
        if (!inj) continue;
        const sentAt = this.clock.mono();
        lateness.push(sentAt - planned);
        const paused = await this.send(inj);
        shift += paused;
        result.pausedMs += paused;
        result.eventsSent++;
      }
    } catch (e) {
      if (!(e instanceof Abort)) {
        this.stop(`error: ${(e as Error).message}`);
      }
    } finally {
      await this.releaseHeld();
      unsubscribe();
      await o.driver.request('input/captureStop', {}).catch(() => undefined);
      result.durationMs = this.clock.mono() - t0;
      result.aborted = this.abortReason;
      o.markers?.mark('replay_end', this.abortReason ? `aborted: ${this.abortReason}` : `${result.eventsSent} events sent`);
    }
    const sorted = lateness.sort((a, b) => a - b);
    if (sorted.length)
      result.lateness = {
        n: sorted.length,
        p50: percentileSorted(sorted, 50),
        p95: percentileSorted(sorted, 95),
        p99: percentileSorted(sorted, 99),
        max: sorted[sorted.length - 1]!,
      };
    return result;
  }

  /** Releases every key and button the replay pressed and has not released (after an abort). */
  private async releaseHeld(): Promise<void> {
    const events = [
      ...[...this.held.keys].map((key) => ({ kind: 'key_up' as const, key })),
      ...[...this.held.buttons].map((button) => ({ kind: 'up' as const, button: button as 'left' })),
    ];
    if (!events.length) return;
    await this.o.driver
      .request('input/inject', { handle: this.window.handle, coordinates: 'screen', events })
      .catch((e: Error) => this.o.log.error(`could not release held input: ${e.message}`));
    this.held.keys.clear();
    this.held.buttons.clear();
  }
}
