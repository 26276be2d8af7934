import { createHash } from 'node:crypto';
import type { ChangeWaitResult, ClientRegion } from '../shared/driverProtocol';
import { DriverError, type RegionReader } from './backend';

// Render detection, platform-neutral: a baseline of some client regions, then samples at SAMPLE_INTERVAL_MS until
// the content has changed and stayed the same for settleMs. Each sample is stamped with the monotonic clock at the
// midpoint of its read, so a stamp is the grab's own time, never when a reply reached the caller. Comparison is
// byte equality of the raw pixels (memcmp: exact and cheaper than hashing ~2 MB at 500 Hz); the final content is
// hashed once for the result.

/** Milliseconds, process.hrtime: system-wide monotonic (CLOCK_MONOTONIC / QPC), comparable with Clock.mono(). */
export const monoMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** 2 ms aims at 500 Hz; Node timers and a loaded machine give less, and the goal is ≥ 200 Hz. */
const SAMPLE_INTERVAL_MS = Number(process.env.FASTBENCH_RENDER_SAMPLE_MS ?? 2);
/** Unused baselines are dropped after this long (a caller that crashed between grab and wait). */
const BASELINE_TTL_MS = 60_000;
const MAX_BASELINES = 16;

type Baseline = { handle: string; regions: ClientRegion[]; reader: RegionReader; frames: Buffer[]; at: number; created: number };
type Wait = { handle: string; cancel: (why: string) => void };

type Until = 'changed' | 'restored' | 'nonblank';
const copyOf = (bytes: Uint8Array) => Buffer.from(bytes);
/** Every pixel the same (a cleared canvas): the content equals itself shifted by one 32-bit pixel, a native memcmp. */
const uniform = (b: Buffer) => b.length <= 4 || b.compare(b, 4, b.length, 0, b.length - 4) === 0;
const same = (a: Uint8Array, b: Buffer) => a.length === b.length && b.equals(a);
const sameRegions = (a: ClientRegion[], b: ClientRegion[]) =>
  a.length === b.length && a.every((r, i) => r.x === b[i]!.x && r.y === b[i]!.y && r.width === b[i]!.width && r.height === b[i]!.height);
const describe = (r: ClientRegion) => `${r.width}x${r.height}+${r.x}+${r.y}`;

export class ChangeWatcher {
  private readonly baselines = new Map<string, Baseline>();
  private readonly waits = new Set<Wait>();
  private nextToken = 1;
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(private readonly open: (handle: string, regions: ClientRegion[]) => RegionReader) {}

  /** Reads the regions now and keeps them as a step's "before". */
  grabBaseline(handle: string, regions: ClientRegion[]): { baseline: string; grabbedAt_mono_ms: number; method: string } {
    const reader = this.open(handle, regions);
    let frames: Buffer[];
    let at: number;
    try {
      ({ frames, at } = this.readAll(reader));
    } catch (e) {
      reader.close();
      throw e;
    }
    const token = `b${this.nextToken++}`;
    this.baselines.set(token, { handle, regions, reader, frames, at, created: monoMs() });
    while (this.baselines.size > MAX_BASELINES) this.drop(this.baselines.keys().next().value!);
    this.sweepTimer ??= setInterval(() => this.sweep(), 5_000);
    this.sweepTimer.unref();
    return { baseline: token, grabbedAt_mono_ms: at, method: reader.method };
  }

  private readAll(reader: RegionReader): { frames: Buffer[]; at: number } {
    const t0 = monoMs();
    const raw = reader.read();
    const at = (t0 + monoMs()) / 2;
    return { frames: raw.map((f) => copyOf(f!)), at };
  }

  private drop(token: string): void {
    this.baselines.get(token)?.reader.close();
    this.baselines.delete(token);
  }

  private sweep(): void {
    const now = monoMs();
    for (const [token, b] of this.baselines) if (now - b.created > BASELINE_TTL_MS) this.drop(token);
    if (this.baselines.size === 0 && this.sweepTimer) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
    }
  }

  waitForChange(params: {
    handle: string;
    regions: ClientRegion[];
    settleMs: number;
    timeoutMs: number;
    baseline: string;
    until: Until;
  }): Promise<ChangeWaitResult> {
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
        throw new DriverError('bad_request', `baseline ${params.baseline} was grabbed for window ${found.handle}, regions ${found.regions.map(describe).join(', ')}; the wait asks for window ${params.handle}, regions ${params.regions.map(describe).join(', ')}`);
      }
      base = found;
    }
    return this.run(base, params);
  }

  private run(base: Baseline, p: { handle: string; regions: ClientRegion[]; settleMs: number; timeoutMs: number; until: Until }): Promise<ChangeWaitResult> {
    const { reader } = base;
    const n = base.frames.length;
    const last = base.frames.map((f) => f); // the content of the latest sample, per region
    // 'nonblank' (a first picture): a region "differs" once it shows anything but one flat colour, already at the baseline.
    const blankness = p.until === 'nonblank';
    const differs = base.frames.map((f) => blankness && !uniform(f)); // latest content differs from the baseline, per region
    const start = monoMs();
    const deadline = start + p.timeoutMs;
    let contentSince = base.at; // stamp of the first sample of the current content
    let changedAt: number | undefined = differs.some(Boolean) ? base.at : undefined;
    let changedRegion = Math.max(0, differs.indexOf(true));
    let grabs = 0;
    let pixelReads = 0;
    let prevSample: number | undefined; // gaps are measured between the wait's own samples
    let maxGap = 0;

    return new Promise<ChangeWaitResult>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const wait: Wait = { handle: p.handle, cancel: (why) => finish(new DriverError('cancelled', why)) };
      this.waits.add(wait);
      const finish = (outcome: ChangeWaitResult | Error) => {
        clearTimeout(timer);
        if (!this.waits.delete(wait)) return;
        reader.close();
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      const sample = () => {
        try {
          const t0 = monoMs();
          const frames = reader.read();
          const t = (t0 + monoMs()) / 2;
          grabs++;
          if (prevSample !== undefined) maxGap = Math.max(maxGap, t - prevSample);
          prevSample = t;
          let changed = false;
          if (frames.some((f) => f)) pixelReads++;
          for (let i = 0; i < n; i++) {
            const f = frames[i];
            if (!f) continue;
            if (same(f, last[i]!)) continue;
            last[i] = copyOf(f);
            differs[i] = blankness ? !uniform(last[i]!) : !last[i]!.equals(base.frames[i]!);
            changed = true;
          }
          if (changed) {
            contentSince = t;
            if (changedAt === undefined && differs.some(Boolean)) {
              changedAt = t;
              changedRegion = differs.indexOf(true);
            }
          }
          const anyDiffers = differs.some(Boolean);
          const final = p.until === 'restored' ? changedAt !== undefined && !anyDiffers : p.until === 'nonblank' ? differs.every(Boolean) : anyDiffers;
          if (changedAt !== undefined && final && t - contentSince >= p.settleMs) {
            const hash = createHash('sha256');
            for (const f of last) hash.update(f);
            finish({
              changedAt_mono_ms: changedAt,
              settledAt_mono_ms: contentSince,
              changedRegion,
              baselineAt_mono_ms: base.at,
              grabs,
              grabHz: grabs / Math.max(1e-3, (t - start) / 1000),
              pixelReads,
              maxGapMs: maxGap,
              method: reader.method,
              hash: hash.digest('hex').slice(0, 16),
            });
            return;
          }
          if (t >= deadline) {
            finish(this.timeoutError(p, { start, changedAt, changedRegion, contentSince, grabs, anyDiffers }));
            return;
          }
          // Absolute schedule from the last sample: a late tick is not followed by a burst.
          timer = setTimeout(sample, Math.max(0, SAMPLE_INTERVAL_MS - (monoMs() - t0)));
        } catch (e) {
          finish(e instanceof Error ? e : new Error(String(e)));
        }
      };
      sample();
    });
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
      w.cancel(why);
      n++;
    }
    return n;
  }

  close(): void {
    this.cancel(undefined, 'the driver is shutting down');
    for (const token of [...this.baselines.keys()]) this.drop(token);
    clearInterval(this.sweepTimer);
  }
}
