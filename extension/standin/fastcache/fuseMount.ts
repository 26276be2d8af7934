// The main-thread side of fastcache's FUSE mount: starts the worker (fuseWorker.ts), answers its slow-path
// reads asynchronously, and unmounts. The mount shows one read-only file, MOUNT/NAME, with the volume's
// bytes: the application opens it as an ordinary file and never learns that FAST is behind it.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { CTRL, CTRL_SLOTS, HIT_CAPACITY, HIT_FIELDS, HIT_HEADER_BYTES, HITS, REQ, hitRingBytes, type FuseWorkerData, type FuseWorkerMessage } from './fuseWorker';
import { fuseUnmount, isStaleMount, mountsUnder } from './mounts';

const EIO = 5;

export type FuseHandlers = {
  /** A read the worker could not serve from the cache file: fill `into` (its length is the size) and return the bytes read. */
  read: (offset: number, into: Uint8Array, t0: number) => Promise<number>;
  /** A read the worker served itself from the cache file (reported in batches, a few ms late). */
  hit: (offset: number, size: number, t0: number, ms: number) => void;
  /** Hits the ring had no room for (the main thread fell behind by HIT_CAPACITY reads). */
  hitsDropped?: (count: number) => void;
};

export type FuseMountOptions = {
  mountPoint: string;
  fileName: string;
  fileBytes: number;
  headerBytes: number;
  brickBytes: number;
  brickCount: number;
  cachePath: string;
  /** Shared with the worker: one byte per brick, 1 = in the cache file. */
  present: Uint8Array;
  /** dist/fastcache.js: the worker runs the same bundle. */
  workerScript: string;
  handlers: FuseHandlers;
  /**
   * libfuse -o options; default auto_unmount (the mount goes when the process dies, even by kill -9) and
   * day-long attr/entry timeouts: the file's size and mtime never change while mounted, and with libfuse's
   * default 1 s the kernel re-asked the daemon for them (GETATTR, a round trip to the worker) before a read
   * once a second. Not kernel_cache: unless keepCacheAcrossOpens, each open drops the OS page cache of the
   * file, so every application start reads through the daemon and a Cold run needs no eviction of the
   * mount's pages.
   */
  mountOptions?: string[];
  /**
   * Opens keep the kernel's page cache of the file (FOPEN_KEEP_CACHE) while the cache file is the one the
   * pages came from; the first open after cacheReplaced() (a Cold rotation) drops them. Warm re-reads are
   * then page-cache reads that never wake the daemon.
   */
  keepCacheAcrossOpens?: boolean;
  /** The daemon's read-ahead window in bricks (0 = off), for the worker's hit reports. */
  readAheadBricks?: number;
  /** Largest slow-path read (FUSE sends at most 1 MiB). */
  maxRead?: number;
  /** The mount's readahead (the kernel's default is 128 KiB: a 512 KiB brick would take four FUSE reads). */
  readaheadKiB?: number;
  onExit?: (error: string | undefined) => void;
  /** A callback failed on the worker (the application got EIO). */
  onError?: (message: string) => void;
};

/**
 * Sets the mount's readahead through its backing device's sysfs entry (root only; libfuse can only lower
 * what the kernel offers at mount time). Without it the figures are the same, just paid in more requests.
 */
function raiseReadahead(mountPoint: string, kib: number): void {
  try {
    const line = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .find((l) => l.split(' ')[4] === path.resolve(mountPoint));
    const dev = line?.split(' ')[2];
    if (dev) writeFileSync(`/sys/class/bdi/${dev}/read_ahead_kb`, String(kib));
  } catch {
    /* not root, or no sysfs: the default readahead stays */
  }
}

export class FuseMount {
  private readonly ctrl: Int32Array;
  private readonly data: Uint8Array;
  private readonly hitIndex: Int32Array;
  private readonly hitRecords: Float64Array;
  private drainTimer: NodeJS.Timeout | undefined;
  private drainNow: NodeJS.Immediate | undefined;
  private dropped = 0;
  private exited: Promise<string | undefined>;
  private closed = false;

  private constructor(
    readonly options: FuseMountOptions,
    private readonly worker: Worker,
    control: SharedArrayBuffer,
    data: SharedArrayBuffer,
    hits: SharedArrayBuffer,
    exited: Promise<string | undefined>,
  ) {
    this.ctrl = new Int32Array(control);
    this.data = new Uint8Array(data);
    this.hitIndex = new Int32Array(hits, 0, HIT_HEADER_BYTES / 4);
    this.hitRecords = new Float64Array(hits, HIT_HEADER_BYTES);
    this.exited = exited;
  }

  get file(): string {
    return path.join(this.options.mountPoint, this.options.fileName);
  }

  static async start(options: FuseMountOptions): Promise<FuseMount> {
    if (process.platform !== 'linux') throw new Error(`the fastcache FUSE mount needs Linux (libfuse3); this is ${process.platform}`);
    if (!(options.present.buffer instanceof SharedArrayBuffer)) throw new Error('FuseMount: the present map must live in a SharedArrayBuffer');
    // A mount left by a killed daemon: take it down before mounting again.
    if (isStaleMount(options.mountPoint) || mountsUnder(options.mountPoint).some((m) => m.mountPoint === path.resolve(options.mountPoint))) {
      const r = await fuseUnmount(options.mountPoint);
      if (!r.ok) throw new Error(r.detail);
    }
    mkdirSync(options.mountPoint, { recursive: true });
    const control = new SharedArrayBuffer(CTRL_SLOTS * 4);
    const data = new SharedArrayBuffer(options.maxRead ?? 1024 * 1024 + 4096);
    const hits = new SharedArrayBuffer(hitRingBytes());
    const workerData: FuseWorkerData = {
      kind: 'fastcache-fuse',
      mountPoint: path.resolve(options.mountPoint),
      fileName: options.fileName,
      fileBytes: options.fileBytes,
      headerBytes: options.headerBytes,
      brickBytes: options.brickBytes,
      brickCount: options.brickCount,
      cachePath: options.cachePath,
      mountOptions: options.mountOptions ?? ['auto_unmount', 'attr_timeout=86400', 'entry_timeout=86400'],
      keepCache: options.keepCacheAcrossOpens === true,
      readAheadBricks: options.readAheadBricks ?? 0,
      control,
      data,
      present: options.present.buffer,
      hits,
    };
    const worker = new Worker(options.workerScript, { workerData });
    let mounted!: () => void;
    let failed!: (e: Error) => void;
    const ready = new Promise<void>((res, rej) => ((mounted = res), (failed = rej)));
    // The worker's messages reach the mount object once it exists (reads only come after 'mounted').
    const ref: { mount?: FuseMount } = {};
    const exited = new Promise<string | undefined>((resolve) => {
      worker.on('message', (m: FuseWorkerMessage) => {
        if (m.type === 'mounted') mounted();
        else if (m.type === 'hits') ref.mount?.scheduleDrain(m.now);
        else if (m.type === 'read') ref.mount?.answer(m.offset, m.size, m.t0);
        else if (m.type === 'error') options.onError?.(m.message);
        else if (m.type === 'exited') {
          ref.mount?.flushHits();
          failed(new Error(m.error ?? `the FUSE mount at ${options.mountPoint} ended before it was ready`));
          resolve(m.error);
        }
      });
      worker.on('error', (e) => {
        failed(e);
        resolve(e.message);
      });
      worker.on('exit', () => resolve(undefined));
    });
    const self = (ref.mount = new FuseMount(options, worker, control, data, hits, exited));
    void exited.then((e) => options.onExit?.(e));
    const timer = setTimeout(() => failed(new Error(`the FUSE mount at ${options.mountPoint} was not ready within 10 s`)), 10_000);
    try {
      await ready;
    } catch (e) {
      await worker.terminate();
      throw e;
    } finally {
      clearTimeout(timer);
    }
    raiseReadahead(options.mountPoint, options.readaheadKiB ?? 1024);
    return self;
  }

  /**
   * Hits are batched: one drain a few ms after the first, so a run of warm hits costs one wake-up; at once
   * when a hit's read-ahead window has gaps (the prefetch it triggers should not wait).
   */
  private scheduleDrain(now: boolean): void {
    if (now) this.drainNow ??= setImmediate(() => this.flushHits());
    else this.drainTimer ??= setTimeout(() => this.flushHits(), 5);
  }

  /** Hands the ring's records to the hit handler (in order), then lets the worker post again. Also on demand (stats). */
  flushHits(): void {
    if (this.drainTimer) clearTimeout(this.drainTimer);
    if (this.drainNow) clearImmediate(this.drainNow);
    this.drainTimer = undefined;
    this.drainNow = undefined;
    // Cleared before reading `written`: a hit recorded after that read finds no wake-up pending and posts one.
    Atomics.store(this.hitIndex, HITS.pending, 0);
    const written = Atomics.load(this.hitIndex, HITS.written);
    for (let r = Atomics.load(this.hitIndex, HITS.read); r < written; r++) {
      const at = (r % HIT_CAPACITY) * HIT_FIELDS;
      const rec = this.hitRecords;
      this.options.handlers.hit(rec[at + 1]!, rec[at + 2]!, rec[at]!, rec[at + 3]!);
    }
    Atomics.store(this.hitIndex, HITS.read, written);
    const dropped = Atomics.load(this.hitIndex, HITS.dropped);
    if (dropped > this.dropped) this.options.handlers.hitsDropped?.(dropped - this.dropped);
    this.dropped = dropped;
  }

  /** Serves one slow-path read and wakes the worker. */
  private answer(offset: number, size: number, t0: number): void {
    const finish = (result: number) => {
      if (this.closed) return; // close() already answered it
      Atomics.store(this.ctrl, CTRL.result, result);
      Atomics.store(this.ctrl, CTRL.state, REQ.answered);
      Atomics.notify(this.ctrl, CTRL.state);
    };
    if (this.closed) return;
    this.options.handlers.read(offset, this.data.subarray(0, size), t0).then(finish, () => finish(-EIO));
  }

  /** While suspended every read goes to the main thread (which holds it until resume). */
  setSuspended(on: boolean): void {
    Atomics.store(this.ctrl, CTRL.suspended, on ? 1 : 0);
  }

  /** The cache file was replaced (rotation): the worker reopens it before its next hit. */
  cacheReplaced(): void {
    Atomics.add(this.ctrl, CTRL.generation, 1);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A read waiting on the main thread gets EIO, so the unmount is not held up by it.
    if (Atomics.load(this.ctrl, CTRL.state) === REQ.pending) {
      Atomics.store(this.ctrl, CTRL.result, -EIO);
      Atomics.store(this.ctrl, CTRL.state, REQ.answered);
      Atomics.notify(this.ctrl, CTRL.state);
    }
    const r = await fuseUnmount(this.options.mountPoint);
    this.flushHits();
    const timer = setTimeout(() => void this.worker.terminate(), 5000);
    await this.exited;
    clearTimeout(timer);
    if (!r.ok) throw new Error(r.detail);
  }
}
