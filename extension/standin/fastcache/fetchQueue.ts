// Turns missing bricks into ranged GETs and runs them `streams` at a time, each into one of a fixed set of
// range buffers (no allocation per brick or per GET). Adjacent bricks are coalesced up to the range size,
// and a request's misses are spread over all streams. Each brick in flight belongs to exactly one job, so
// concurrent requests for the same brick share one GET. Read-ahead jobs wait behind demand jobs and are
// promoted when a request needs their bricks.
import type { FastLogKind } from '../../shared/fastLogRecord';

export type FetchJob = {
  first: number;
  count: number;
  kind: Exclude<FastLogKind, 'read'>;
  request: number;
  started: boolean;
  /** Unix ms when the GET started (for the log line). */
  startedAt: number;
  done: Promise<void>;
  resolve: () => void;
  reject: (e: Error) => void;
};

/** Phase 1 (holds a stream): the GET into the buffer. Phase 2 (stream already free): store the buffer. */
export type FetchRunner = { get: (job: FetchJob, buffer: Buffer) => Promise<void>; store: (job: FetchJob, buffer: Buffer) => Promise<void> };

/** Splits sorted brick indices into runs of adjacent bricks, each at most maxBricks long. */
export function coalesce(bricks: number[], maxBricks: number): { first: number; count: number }[] {
  const out: { first: number; count: number }[] = [];
  for (const b of bricks) {
    const last = out.at(-1);
    if (last && b === last.first + last.count && last.count < maxBricks) last.count++;
    else out.push({ first: b, count: 1 });
  }
  return out;
}

export class FetchQueue {
  private readonly demand: FetchJob[] = [];
  private readonly ahead: FetchJob[] = [];
  private readonly buffers: Buffer[];
  private active = 0;
  /** Brick → the job that is fetching it. */
  readonly inflight = new Map<number, FetchJob>();

  constructor(
    readonly streams: number,
    readonly maxBricks: number,
    brickBytes: number,
    private readonly run: FetchRunner,
  ) {
    // Two buffers per stream: a stream starts its next GET while the previous range is still being written.
    this.buffers = Array.from({ length: 2 * streams }, () => Buffer.allocUnsafeSlow(maxBricks * brickBytes));
  }

  get busy(): boolean {
    return this.active > 0 || this.demand.length > 0 || this.inflight.size > 0;
  }

  /**
   * Queues GETs for `bricks` (sorted, none present, none in flight) on behalf of request `request`.
   * Demand bricks are split so every stream gets a share; read-ahead is coalesced to full ranges.
   */
  add(bricks: number[], kind: FetchJob['kind'], request: number): FetchJob[] {
    // A request smaller than one full wave is spread over all streams (16 bricks → 8 GETs of 2); larger ones
    // use full-size ranges: storage pays per request (Azurite's CPU, a real service's per-request latency).
    const oneWave = bricks.length < this.streams * this.maxBricks;
    const per = kind === 'fetch' && oneWave ? Math.max(1, Math.ceil(bricks.length / this.streams)) : this.maxBricks;
    const jobs = coalesce(bricks, per).map(({ first, count }) => {
      let resolve!: () => void;
      let reject!: (e: Error) => void;
      const done = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // A read-ahead that fails has no one waiting; keep its rejection from being "unhandled".
      done.catch(() => {});
      const job: FetchJob = { first, count, kind, request, started: false, startedAt: 0, done, resolve, reject };
      for (let b = first; b < first + count; b++) this.inflight.set(b, job);
      (kind === 'fetch' ? this.demand : this.ahead).push(job);
      return job;
    });
    this.pump();
    return jobs;
  }

  /** A request needs this job's bricks: a queued read-ahead job moves to the demand queue. */
  promote(job: FetchJob): void {
    if (job.started || job.kind === 'fetch') return;
    const at = this.ahead.indexOf(job);
    if (at >= 0) {
      this.ahead.splice(at, 1);
      this.demand.unshift(job);
    }
  }

  /** Drops queued read-ahead jobs (nobody waits on them: waiting promotes). */
  dropReadAhead(): void {
    for (const job of this.ahead.splice(0)) {
      for (let b = job.first; b < job.first + job.count; b++) this.inflight.delete(b);
      job.resolve();
    }
  }

  /** Resolves when no GET is queued or running. */
  async idle(): Promise<void> {
    while (this.busy) await Promise.allSettled([...new Set(this.inflight.values())].map((j) => j.done));
  }

  private pump(): void {
    while (this.active < this.streams && this.buffers.length && (this.demand.length || this.ahead.length)) {
      const job = (this.demand.length ? this.demand : this.ahead).shift()!;
      const buffer = this.buffers.pop()!;
      job.started = true;
      job.startedAt = performance.timeOrigin + performance.now();
      this.active++;
      let streamFree = false;
      const freeStream = () => {
        if (streamFree) return;
        streamFree = true;
        this.active--;
        this.pump();
      };
      this.run
        .get(job, buffer)
        .then(() => {
          freeStream();
          return this.run.store(job, buffer);
        })
        .then(job.resolve, job.reject)
        .finally(() => {
          for (let b = job.first; b < job.first + job.count; b++) if (this.inflight.get(b) === job) this.inflight.delete(b);
          this.buffers.push(buffer);
          freeStream();
          this.pump();
        });
    }
  }
}
