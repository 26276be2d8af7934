import type { ChangeWaitResult, ClientRegion } from '../shared/driverProtocol';
import { DriverError, type RegionReader } from './backend';

// Render detection, platform-neutral: a baseline of some client regions, then reads until the content has changed
// and stayed the same for settleMs. Where the backend reports drawing (X DAMAGE) the regions are read when something
// was drawn in them (plus a safety read every SAFETY_READ_MS); otherwise every SAMPLE_INTERVAL_MS. Each read is
// stamped with the monotonic clock at the midpoint of the read, so a stamp is the grab's own time, never when a reply
// reached the caller. Comparison is byte equality of the raw pixels (memcmp: exact, and cheaper than hashing 2.4 MB:
// 0.08 ms against 1.6 ms for sha1 on this machine).

/** Milliseconds, process.hrtime: system-wide monotonic (CLOCK_MONOTONIC / QPC), comparable with Clock.mono(). */
export const monoMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** Without drawing reports: 2 ms aims at 500 Hz; Node timers and a loaded machine give less, the goal is ≥ 200 Hz. */
const SAMPLE_INTERVAL_MS = Number(process.env.FASTBENCH_RENDER_SAMPLE_MS ?? 2);
/**
 * With drawing reports: a read at least this often anyway, so a client that draws without the server knowing is
 * still noticed (and the wait then polls). Each such read of a 900x668 region costs ~0.5 ms of CPU.
 */
const SAFETY_READ_MS = 100;
/** With drawing reports: how long a burst of drawing may delay the read that follows it. */
const DRAWING_COALESCE_MS = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Unused baselines are dropped after this long (a caller that crashed between grab and wait). */
const BASELINE_TTL_MS = 60_000;
const MAX_BASELINES = 16;
/**
 * Readers (an X connection, shared memory, a damage object) are kept for reuse by the next step on the same
 * regions: setting one up costs more CPU than the watching itself. Idle ones are closed after READER_IDLE_MS.
 */
const READER_IDLE_MS = 10_000;
const MAX_IDLE_READERS = 4;

type Baseline = { handle: string; regions: ClientRegion[]; reader: RegionReader; frames: Uint8Array[]; at: number; created: number };
type Wait = { handle: string; cancel: (why: string) => void };
type IdleReader = { key: string; reader: RegionReader; since: number };
const readerKey = (handle: string, regions: ClientRegion[], owner: string) => `${handle}|${owner}|${regions.map(describe).join(',')}`;

/** Byte equality (memcmp) of two views, without copying either. */
type Until = 'changed' | 'restored' | 'nonblank';
/** Every pixel the same (a cleared canvas): the content equals itself shifted by one 32-bit pixel, a native memcmp. */
const uniform = (a: Uint8Array) => {
  const b = Buffer.from(a.buffer, a.byteOffset, a.length);
  return b.length <= 4 || b.compare(b, 4, b.length, 0, b.length - 4) === 0;
};
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
/**
 * Reader slots: the baseline is read into slot 0 and stays there for the whole wait; reads alternate between slots 1
 * and 2, the latest content being the last slot that differed. Nothing is copied: copying 2.4 MB per change was a
 * large share of the driver's CPU per step.
 */
const BASELINE_SLOT = 0;
const sameRegions = (a: ClientRegion[], b: ClientRegion[]) =>
  a.length === b.length && a.every((r, i) => r.x === b[i]!.x && r.y === b[i]!.y && r.width === b[i]!.width && r.height === b[i]!.height);
const describe = (r: ClientRegion) => `${r.width}x${r.height}+${r.x}+${r.y}`;

export class ChangeWatcher {
  private readonly baselines = new Map<string, Baseline>();
  private readonly idle: IdleReader[] = [];
  private readonly waits = new Set<Wait>();
  private nextToken = 1;
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly open: (handle: string, regions: ClientRegion[]) => RegionReader,
    /**
     * Who owns the window now (its pid): X and Windows reuse a closed window's handle for the next window, and a
     * reader set up for the old one (shared memory, damage tracking) must not be reused for the new one.
     */
    private readonly owner: (handle: string) => string = () => '',
  ) {}

  /** Reads the regions now and keeps them as a step's "before". */
  grabBaseline(handle: string, regions: ClientRegion[]): { baseline: string; grabbedAt_mono_ms: number; method: string } {
    const key = readerKey(handle, regions, this.owner(handle));
    const reused = this.idle.findIndex((r) => r.key === key);
    let reader = reused >= 0 ? this.idle.splice(reused, 1)[0]!.reader : this.open(handle, regions);
    let frames: Uint8Array[];
    let at: number;
    try {
      ({ frames, at } = this.readAll(reader));
    } catch (e) {
      reader.close();
      if (reused < 0) throw e;
      // A kept reader can go stale (the window was replaced); a fresh one decides.
      reader = this.open(handle, regions);
      try {
        ({ frames, at } = this.readAll(reader));
      } catch (e2) {
        reader.close();
        throw e2;
      }
    }
    const token = `b${this.nextToken++}`;
    this.baselines.set(token, { handle, regions, reader, frames, at, created: monoMs() });
    while (this.baselines.size > MAX_BASELINES) this.drop(this.baselines.keys().next().value!);
    this.ensureSweep();
    return { baseline: token, grabbedAt_mono_ms: at, method: reader.method };
  }

  private readAll(reader: RegionReader): { frames: Uint8Array[]; at: number } {
    const t0 = monoMs();
    const frames = reader.read(BASELINE_SLOT);
    return { frames, at: (t0 + monoMs()) / 2 };
  }

  private drop(token: string): void {
    this.baselines.get(token)?.reader.close();
    this.baselines.delete(token);
  }

  /** A reader whose wait ended normally goes back for the next step on the same regions. */
  private keep(handle: string, regions: ClientRegion[], reader: RegionReader): void {
    this.idle.push({ key: readerKey(handle, regions, this.owner(handle)), reader, since: monoMs() });
    while (this.idle.length > MAX_IDLE_READERS) this.idle.shift()!.reader.close();
    this.ensureSweep();
  }

  private ensureSweep(): void {
    this.sweepTimer ??= setInterval(() => this.sweep(), 5_000);
    this.sweepTimer.unref();
  }

  private sweep(): void {
    const now = monoMs();
    for (const [token, b] of this.baselines) if (now - b.created > BASELINE_TTL_MS) this.drop(token);
    for (const r of this.idle.filter((r) => now - r.since > READER_IDLE_MS)) {
      this.idle.splice(this.idle.indexOf(r), 1);
      r.reader.close();
    }
    if (this.baselines.size === 0 && this.idle.length === 0 && this.sweepTimer) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
    }
  }

  waitForChange(params: { handle: string; regions: ClientRegion[]; settleMs: number; timeoutMs: number; baseline: string; until: Until }): Promise<ChangeWaitResult> {
    let base: Baseline;
    if (params.baseline === 'now') {
      const token = this.grabBaseline(params.handle, params.regions).baseline;
      base = this.baselines.get(token)!;
      this.baselines.delete(token);
    } else {
      const found = this.baselines.get(params.baseline);
      if (!found) throw new DriverError('bad_request', `baseline ${params.baseline} is unknown, already used, or older than ${BASELINE_TTL_MS / 1000} s`);
      this.baselines.delete(params.baseline);
      if (found.handle !== params.handle || !sameRegions(found.regions, params.regions)) {
        found.reader.close();
        throw new DriverError(
          'bad_request',
          `baseline ${params.baseline} was grabbed for window ${found.handle}, regions ${found.regions.map(describe).join(', ')}; the wait asks for window ${params.handle}, regions ${params.regions.map(describe).join(', ')}`,
        );
      }
      base = found;
    }
    return this.run(base, params);
  }

  private run(base: Baseline, p: { handle: string; regions: ClientRegion[]; settleMs: number; timeoutMs: number; until: Until }): Promise<ChangeWaitResult> {
    const { reader } = base;
    const n = base.frames.length;
    let last = base.frames; // the content of the latest sample (a slot's views)
    let lastSlot = BASELINE_SLOT;
    // 'nonblank' (a first picture): a region "differs" once it shows anything but one flat colour, already at the baseline.
    const blankness = p.until === 'nonblank';
    const differs = base.frames.map((f) => blankness && !uniform(f)); // latest content differs from the baseline, per region
    const start = monoMs();
    const deadline = start + p.timeoutMs;
    let contentSince = base.at; // stamp of the first sample of the current content
    let changedAt: number | undefined = differs.some(Boolean) ? base.at : undefined;
    let changedRegion = Math.max(0, differs.indexOf(true));
    let grabs = 0;
    let prevSample: number | undefined; // gaps are measured between the wait's own samples
    let maxGap = 0;
    let watch: 'damage' | 'poll' = reader.reportsDrawing ? 'damage' : 'poll';
    let stopped: Error | undefined;

    /** Reads the regions, stamped at the read's midpoint; true when the content changed. */
    const sample = (): { t: number; changed: boolean } => {
      const slot = lastSlot === 1 ? 2 : 1;
      const t0 = monoMs();
      const frames = reader.read(slot);
      const t = (t0 + monoMs()) / 2;
      grabs++;
      if (prevSample !== undefined) maxGap = Math.max(maxGap, t - prevSample);
      prevSample = t;
      let changed = false;
      for (let i = 0; i < n; i++) {
        if (same(frames[i]!, last[i]!)) continue;
        differs[i] = blankness ? !uniform(frames[i]!) : !same(frames[i]!, base.frames[i]!);
        changed = true;
      }
      if (changed) {
        // The whole slot becomes the latest content (unchanged regions hold equal bytes there), so the next read
        // can take the other slot.
        last = frames;
        lastSlot = slot;
        contentSince = t;
        if (changedAt === undefined && differs.some(Boolean)) {
          changedAt = t;
          changedRegion = differs.indexOf(true);
        }
      }
      return { t, changed };
    };
    const isFinal = () => {
      const anyDiffers = differs.some(Boolean);
      if (p.until === 'nonblank') return differs.every(Boolean);
      return changedAt !== undefined && (p.until === 'changed' ? anyDiffers : !anyDiffers);
    };

    const result = (t: number): ChangeWaitResult => ({
      changedAt_mono_ms: changedAt!,
      settledAt_mono_ms: contentSince,
      changedRegion,
      baselineAt_mono_ms: base.at,
      grabs,
      grabHz: grabs / Math.max(1e-3, (t - start) / 1000),
      watch,
      maxGapMs: maxGap,
      method: reader.method,
    });

    const loop = async (): Promise<ChangeWaitResult> => {
      for (;;) {
        if (stopped) throw stopped;
        let prompted = true;
        if (watch === 'damage') {
          // Wake for drawing in the regions, or when the content would have settled, for a safety read, or at the
          // deadline; drawing elsewhere in the window wakes us too, and is ignored.
          const settleDue = isFinal() ? contentSince + p.settleMs : Infinity;
          const due = Math.min(deadline, (prevSample ?? base.at) + SAFETY_READ_MS, settleDue);
          prompted = await reader.waitForDrawing(due - monoMs());
          if (stopped) throw stopped;
          if (prompted) {
            // A frame often arrives as several drawing requests (Xlib splits a large XPutImage into strips): one
            // round trip at a time, let the server finish them before reading, so a frame costs one read, not four.
            // Capped, so a region that animates is still read every few milliseconds.
            const cap = monoMs() + DRAWING_COALESCE_MS;
            while (monoMs() < cap && (await reader.waitForDrawing(0)));
          } else {
            const now = monoMs();
            if (now < due) continue;
            if (now >= settleDue) {
              // Nothing was drawn in the regions since the last read (waitForDrawing(0) makes a round trip first,
              // so every report of earlier drawing has arrived): the content has held for settleMs, no read needed.
              if (!(await reader.waitForDrawing(0))) return result(now);
              prompted = true;
            }
          }
        } else if (grabs > 0) {
          // Absolute schedule from the last sample: a late tick is not followed by a burst.
          await sleep(Math.max(0, SAMPLE_INTERVAL_MS - (monoMs() - prevSample!)));
          if (stopped) throw stopped;
        }
        const { t, changed } = sample();
        // An unprompted (safety) read that finds a change: either drawing raced our wake-up (its report is queued by
        // now, since the server sent it before our read's reply), or the client draws in a way the server does not
        // report: then sample on a timer from now on.
        if (watch === 'damage' && changed && !prompted && !(await reader.waitForDrawing(0))) {
          reader.distrustDrawingReports();
          watch = 'poll';
        }
        if (isFinal() && t - contentSince >= p.settleMs) return result(t);
        if (t >= deadline) throw this.timeoutError(p, { start, changedAt, changedRegion, contentSince, grabs, anyDiffers: differs.some(Boolean) });
      }
    };

    const wait: Wait = { handle: p.handle, cancel: (why) => (stopped = new DriverError('cancelled', why)) };
    this.waits.add(wait);
    return loop().then(
      (result) => {
        this.waits.delete(wait);
        this.keep(p.handle, p.regions, reader);
        return result;
      },
      (e: unknown) => {
        // After a timeout or an error the reader may be broken (window gone, a poll in flight): never reuse it.
        this.waits.delete(wait);
        reader.close();
        throw e;
      },
    );
  }

  private timeoutError(
    p: { handle: string; regions: ClientRegion[]; settleMs: number; timeoutMs: number; until: Until },
    s: { start: number; changedAt: number | undefined; changedRegion: number; contentSince: number; grabs: number; anyDiffers: boolean },
  ): DriverError {
    const where = `${p.regions.length === 1 ? 'region' : 'regions'} ${p.regions.map(describe).join(', ')} of window ${p.handle}`;
    const detail = {
      timeoutMs: p.timeoutMs,
      changedAt_mono_ms: s.changedAt ?? null,
      lastChangeAt_mono_ms: s.changedAt === undefined ? null : s.contentSince,
      grabs: s.grabs,
    };
    if (s.changedAt === undefined) {
      return new DriverError('never_changed', `never changed: ${where} stayed as before the step for ${p.timeoutMs} ms (${s.grabs} grabs)`, detail);
    }
    const rel = (t: number) => `+${(t - s.start).toFixed(0)} ms`;
    const why =
      p.until === 'restored' && s.anyDiffers
        ? 'never went back to its content from before the step'
        : !s.anyDiffers
          ? 'went back to its content from before the step instead of settling on a new one'
          : `never stayed unchanged for ${p.settleMs} ms`;
    return new DriverError(
      'not_settled',
      `changed but never settled: ${where} changed at ${rel(s.changedAt)}, last changed at ${rel(s.contentSince)}, and ${why} within ${p.timeoutMs} ms (${s.grabs} grabs)`,
      detail,
    );
  }

  /** Ends every wait on a window (e.g. the caller gave up), or every wait when handle is undefined. */
  cancel(handle: string | undefined, why: string): number {
    let n = 0;
    for (const w of [...this.waits]) {
      if (handle !== undefined && w.handle !== handle) continue;
      // Gone from the set at once; its loop notices at its next wake-up (≤ 100 ms) and closes its reader.
      this.waits.delete(w);
      w.cancel(why);
      n++;
    }
    return n;
  }

  close(): void {
    this.cancel(undefined, 'the driver is shutting down');
    for (const token of [...this.baselines.keys()]) this.drop(token);
    for (const r of this.idle.splice(0)) r.reader.close();
    clearInterval(this.sweepTimer);
  }
}
