// The FAST-like cache daemon: presents the volume as an ordinary read-only file on a FUSE mount
// (MOUNT/NAME, see fuseMount.ts), serving reads from its cache file and fetching misses from Blob storage
// with ranged GETs (see fetchQueue.ts), optionally reading ahead, and appending one fastcache-v1 log line
// per application read (see shared/fastcacheFormat.ts). A local socket (protocol.ts) is its control
// channel: suspend/resume around a Cold rotation of the cache folder, and stats. Applications never use it.
import { closeSync, existsSync, fstatSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { FASTCACHE_LOG_HEADER, formatFastcacheLine } from '../../shared/fastcacheFormat';
import type { FastLogRecord } from '../../shared/fastLogRecord';
import { silentLogger, type Logger } from '../../shared/logger';
import { redactSecrets } from '../../shared/secrets';
import { HEADER_BYTES, VolumeLayout, decodeHeader, type VolumeHeader } from '../volume/volumeFormat';
import { BlobReader } from './blobReader';
import { CacheFile } from './cacheFile';
import { FetchQueue, type FetchJob } from './fetchQueue';
import { FuseMount } from './fuseMount';
import { FASTCACHE_PROTOCOL, clientMessageSchema, lineSplitter, parseEndpoint, type DaemonMessage, type DaemonStats } from './protocol';

export type PrefetchPolicy = { kind: 'off' } | { kind: 'readahead'; bricks: number };

/**
 * The window `readahead` keeps ahead of the last read, in bytes of the file. FAST is transparent: it sees
 * offsets, not the volume's geometry, so its read-ahead cannot be "the next brick row"; a window in bytes
 * covers a few percent of a real volume's next brick row (96–380 MiB of 64³ int8 bricks for 1500–4000
 * crosslines × 1000–1500 samples) and 8 % of the demo volume's 96 MiB one. 8 MiB = two of the default
 * 4 MiB ranges, queued a whole range at a time. README "The stand-in" has the reasoning.
 */
export const READAHEAD_WINDOW_MIB = 8;

/** "off", "readahead" (READAHEAD_WINDOW_MIB), "readahead:NMiB" or "readahead:N" bricks. */
export function parsePrefetch(text: string): PrefetchPolicy | { kind: 'readahead'; mib: number } {
  if (text === 'off') return { kind: 'off' };
  if (text === 'readahead') return { kind: 'readahead', mib: READAHEAD_WINDOW_MIB };
  const m = /^readahead:(\d+)(MiB)?$/.exec(text);
  if (m && Number(m[1]) > 0) return m[2] ? { kind: 'readahead', mib: Number(m[1]) } : { kind: 'readahead', bricks: Number(m[1]) };
  throw new Error(`--prefetch: expected off, readahead, readahead:NMiB or readahead:N (N bricks > 0), found ${JSON.stringify(text)}`);
}

export type DaemonOptions = {
  /** The blob's URL without SAS. */
  blobUrl: string;
  /** SAS query string without "?" (never logged). */
  sas: string;
  cacheFolder: string;
  /** fastcache-v1 request log; none when undefined. */
  logFile?: string;
  endpoint: string;
  streams?: number;
  rangeBytes?: number;
  prefetch?: string;
  /** Keep the OS page cache of the mount's file across opens until a Cold rotation (fuseMount.ts). */
  kernelCache?: boolean;
  /** The folder where the volume appears as MOUNT/NAME (FUSE). */
  mountPoint: string;
  /** The bundle the FUSE worker thread runs (dist/fastcache.js). */
  workerScript: string;
  log?: Logger;
};

const now = () => performance.timeOrigin + performance.now();

export class FastcacheDaemon {
  private cache!: CacheFile;
  private queue!: FetchQueue;
  private fuse: FuseMount | undefined;
  /** One byte per brick, 1 = in the cache file; shared with the FUSE worker, which serves hits itself. */
  private readonly present: Uint8Array;
  private server!: Server;
  private logFd: number | undefined;
  private suspended: { gate: Promise<void>; open: () => void; timer: NodeJS.Timeout; closed: Promise<void> } | undefined;
  /** Set when a suspend outlived its timeout and the daemon resumed on its own: the Cold around it is void. */
  private selfResumed: string | undefined;
  /** The reopen under way, joined by a resume that arrives meanwhile (the harness's and the timeout's). */
  private resuming: Promise<void> | undefined;
  private cacheClosed = false;
  private nextRequest = 1;
  /** Reads that got past the suspend gate and are not answered yet; a suspend lets them finish first. */
  private activeReads = 0;
  private closing = false;
  private readonly sockets = new Set<Socket>();
  private readonly stats = { requests: 0, hitBricks: 0, missBricks: 0, fetches: 0, fetchedBytes: 0, prefetchedBricks: 0 };
  readonly layout: VolumeLayout;
  readonly prefetch: PrefetchPolicy;
  readonly blobName: string;

  private constructor(
    readonly options: DaemonOptions,
    private readonly reader: BlobReader,
    readonly header: VolumeHeader,
    private readonly identity: { blob: string; etag: string; bytes: number; brickCount: number },
  ) {
    this.layout = new VolumeLayout(header);
    const p = parsePrefetch(options.prefetch ?? 'off');
    this.prefetch = 'mib' in p ? { kind: 'readahead', bricks: Math.max(1, Math.floor((p.mib * 1024 * 1024) / this.layout.brickBytes)) } : p;
    this.blobName = decodeURIComponent(new URL(options.blobUrl).pathname.split('/').pop() ?? 'volume');
    this.present = new Uint8Array(new SharedArrayBuffer(this.layout.brickCount));
  }

  get cacheFile(): string {
    return this.cache.dataPath;
  }

  private get log(): Logger {
    return this.options.log ?? silentLogger;
  }

  /** Checks the blob (exists, is a volume, has the size its header implies), opens the cache, listens. */
  static async start(options: DaemonOptions): Promise<FastcacheDaemon> {
    const streams = options.streams ?? 8;
    const reader = new BlobReader(options.blobUrl, options.sas, streams);
    try {
      const props = await reader.properties();
      if (props.bytes < HEADER_BYTES) throw new Error(`${options.blobUrl}: ${props.bytes} bytes, too short for a volume (header is ${HEADER_BYTES})`);
      const block = Buffer.alloc(HEADER_BYTES);
      await reader.readRange(0, HEADER_BYTES, block);
      const header = decodeHeader(block, options.blobUrl);
      const layout = new VolumeLayout(header);
      if (layout.fileBytes !== props.bytes) {
        throw new Error(`${options.blobUrl}: ${props.bytes} bytes, but its header implies ${layout.fileBytes} (truncated or partial upload?)`);
      }
      const daemon = new FastcacheDaemon(options, reader, header, { blob: options.blobUrl, etag: props.etag, bytes: props.bytes, brickCount: layout.brickCount });
      await daemon.open();
      try {
        await daemon.mount();
        await daemon.listen();
      } catch (e) {
        await daemon.fuse?.close().catch(() => undefined);
        await daemon.cache.close();
        throw e;
      }
      return daemon;
    } catch (e) {
      reader.close();
      throw e;
    }
  }

  /** The file applications open: MOUNT/NAME. */
  get file(): string {
    return path.join(this.options.mountPoint, this.blobName);
  }

  private async mount(): Promise<void> {
    this.fuse = await FuseMount.start({
      mountPoint: this.options.mountPoint,
      fileName: this.blobName,
      fileBytes: this.layout.fileBytes,
      headerBytes: HEADER_BYTES,
      brickBytes: this.layout.brickBytes,
      brickCount: this.layout.brickCount,
      cachePath: this.cache.dataPath,
      present: this.present,
      workerScript: this.options.workerScript,
      keepCacheAcrossOpens: this.options.kernelCache === true,
      readAheadBricks: this.prefetch.kind === 'readahead' ? this.prefetch.bricks : 0,
      handlers: {
        read: (offset, into, t0) => this.readFile(offset, into, t0),
        hit: (offset, size, t0, ms) => this.onHit(offset, size, t0, ms),
        hitsDropped: (n) => this.log.warn(`fastcache: ${n} hit(s) not logged (the hit ring was full)`),
      },
      onError: (message) => this.log.error(`fastcache: FUSE ${message}`),
      onExit: (error) => {
        if (error && !this.closing) this.log.error(`fastcache: the FUSE mount at ${this.options.mountPoint} ended: ${error}`);
      },
    });
  }

  private async open(): Promise<void> {
    this.cache = await CacheFile.open(this.options.cacheFolder, this.blobName, this.header, this.identity, this.present);
    const maxBricks = Math.max(1, Math.floor((this.options.rangeBytes ?? 4 * 1024 * 1024) / this.layout.brickBytes));
    this.queue = new FetchQueue(this.options.streams ?? 8, maxBricks, this.layout.brickBytes, { get: (j, b) => this.getRange(j, b), store: (j, b) => this.storeRange(j, b) });
    if (this.options.logFile && this.logFd === undefined) {
      mkdirSync(path.dirname(this.options.logFile), { recursive: true });
      this.logFd = openSync(this.options.logFile, 'a');
      if (fstatSync(this.logFd).size === 0) writeSync(this.logFd, FASTCACHE_LOG_HEADER + '\n');
      writeSync(
        this.logFd,
        `# start pid ${process.pid} blob ${this.options.blobUrl} cache ${this.cache.dataPath} prefetch ${this.describePrefetch()} present ${this.cache.presentCount}/${this.layout.brickCount}\n`,
      );
    }
  }

  private describePrefetch(): string {
    return this.prefetch.kind === 'off' ? 'off' : `readahead:${this.prefetch.bricks}`;
  }

  private writeLog(r: Omit<FastLogRecord, 'line'>): void {
    if (this.logFd !== undefined) writeSync(this.logFd, formatFastcacheLine(r) + '\n');
  }

  /** The GET half of a fetch (holds one of the streams); failures are logged here and in store's caller. */
  private async getRange(job: FetchJob, buffer: Buffer): Promise<void> {
    const t0 = job.startedAt;
    try {
      await this.reader.readRange(this.layout.brickOffset(job.first), job.count * this.layout.brickBytes, buffer);
    } catch (e) {
      throw this.fetchFailed(job, t0, e as Error);
    }
  }

  /** The store half: data into the cache file, then the map; the fetch line is logged when both are done. */
  private async storeRange(job: FetchJob, buffer: Buffer): Promise<void> {
    const t0 = job.startedAt;
    try {
      await this.cache.store(job.first, job.count, buffer);
    } catch (e) {
      throw this.fetchFailed(job, t0, e as Error);
    }
    const bytes = job.count * this.layout.brickBytes;
    this.stats.fetches++;
    this.stats.fetchedBytes += bytes;
    if (job.kind === 'prefetch') this.stats.prefetchedBricks += job.count;
    this.writeLog({ tUnixMs: t0, kind: job.kind, request: job.request, firstBrick: job.first, lastBrick: job.first + job.count - 1, bytes, result: 'ok', latencyMs: now() - t0 });
  }

  private fetchFailed(job: FetchJob, t0: number, e: Error): Error {
    const message = redactSecrets(e.message);
    const bytes = job.count * this.layout.brickBytes;
    this.writeLog({
      tUnixMs: t0,
      kind: job.kind,
      request: job.request,
      firstBrick: job.first,
      lastBrick: job.first + job.count - 1,
      bytes,
      result: 'error',
      latencyMs: now() - t0,
      detail: message,
    });
    return new Error(message);
  }

  private async listen(): Promise<void> {
    const endpoint = parseEndpoint(this.options.endpoint);
    if ('path' in endpoint && process.platform !== 'win32' && existsSync(endpoint.path)) {
      // A socket file left by a killed daemon blocks listen(); one that answers is a running daemon.
      const alive = await new Promise<boolean>((resolve) => {
        const s = connect(endpoint.path);
        s.once('connect', () => (s.destroy(), resolve(true)));
        s.once('error', () => resolve(false));
      });
      if (alive) throw new Error(`another fastcache is already listening at ${endpoint.path}`);
      unlinkSync(endpoint.path);
    }
    if ('path' in endpoint && process.platform !== 'win32') mkdirSync(path.dirname(endpoint.path), { recursive: true });
    this.server = createServer((socket) => this.serve(socket));
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', (e: NodeJS.ErrnoException) =>
        reject(new Error(`cannot listen at ${this.options.endpoint}: ${e.code === 'EADDRINUSE' ? 'address in use (another fastcache?)' : (e.code ?? e.message)}`)),
      );
      if ('path' in endpoint) this.server.listen(endpoint.path, resolve);
      else this.server.listen(endpoint.port, endpoint.host, resolve);
    });
  }

  /** The bound endpoint (with the real port when tcp:HOST:0 was asked for). */
  get boundEndpoint(): string {
    const a = this.server.address();
    return typeof a === 'string' ? a : a ? `tcp:${a.address}:${a.port}` : this.options.endpoint;
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay?.(true);
    const send = (...messages: DaemonMessage[]) => {
      if (!socket.destroyed) socket.write(messages.map((m) => JSON.stringify(m) + '\n').join(''));
    };
    const onData = lineSplitter((line) => {
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        return send({ id: 0, type: 'error', message: 'protocol: a line that is not JSON' });
      }
      const parsed = clientMessageSchema.safeParse(raw);
      if (!parsed.success) {
        const id = typeof (raw as { id?: unknown })?.id === 'number' ? (raw as { id: number }).id : 0;
        const issue = parsed.error.issues[0]!;
        return send({ id, type: 'error', message: `protocol: ${issue.path.join('.') || 'message'}: ${issue.message}` });
      }
      void this.handle(parsed.data, send).catch((e: Error) => send({ id: parsed.data.id, type: 'error', message: redactSecrets(e.message) }));
    });
    socket.on('data', (chunk) => {
      try {
        onData(chunk);
      } catch (e) {
        send({ id: 0, type: 'error', message: (e as Error).message });
        socket.destroy();
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => this.sockets.delete(socket));
  }

  private async handle(m: import('./protocol').ClientMessage, send: (...m: DaemonMessage[]) => void): Promise<void> {
    switch (m.type) {
      case 'hello':
        if (m.protocol !== FASTCACHE_PROTOCOL) throw new Error(`protocol ${m.protocol} asked, this daemon speaks ${FASTCACHE_PROTOCOL}`);
        await this.suspended?.gate;
        return send({
          id: m.id,
          type: 'hello',
          protocol: FASTCACHE_PROTOCOL,
          file: this.file,
          cacheFile: this.cache.dataPath,
          header: this.header,
          blob: this.options.blobUrl,
          prefetch: this.describePrefetch(),
        });
      case 'suspend':
        await this.suspend(m.timeoutMs ?? 120_000);
        return send({ id: m.id, type: 'suspended' });
      case 'resume':
        await this.resume();
        return send({ id: m.id, type: 'resumed', cacheFile: this.cache.dataPath });
      case 'stats':
        return send({ id: m.id, type: 'stats', stats: this.snapshot() });
    }
  }

  snapshot(): DaemonStats {
    this.fuse?.flushHits();
    return { ...this.stats, presentBricks: this.cache.presentCount, brickCount: this.layout.brickCount, suspended: this.suspended !== undefined };
  }

  /** The bricks that bytes [offset, offset + size) of the volume touch (none for the header alone). */
  private bricksOf(offset: number, size: number): number[] {
    const out: number[] = [];
    if (offset + size <= HEADER_BYTES) return out;
    const b = this.layout.brickBytes;
    const first = Math.max(0, Math.floor((offset - HEADER_BYTES) / b));
    const last = Math.min(this.layout.brickCount - 1, Math.floor((offset + size - 1 - HEADER_BYTES) / b));
    for (let n = first; n <= last; n++) out.push(n);
    return out;
  }

  /** A read the FUSE worker served from the cache file itself: logged here, off its path. */
  private onHit(offset: number, size: number, t0: number, ms: number): void {
    const bricks = this.bricksOf(offset, size);
    if (bricks.length === 0) return;
    const request = this.nextRequest++;
    this.stats.requests++;
    this.stats.hitBricks += bricks.length;
    this.writeLog({ tUnixMs: t0, kind: 'read', request, firstBrick: bricks[0]!, lastBrick: bricks.at(-1)!, bytes: size, result: 'hit', latencyMs: ms });
    this.readAhead(bricks, request);
  }

  /**
   * A read the worker handed over (a brick is missing, or the daemon is suspended): fetches what is missing
   * (joining GETs already in flight), then copies the bytes from the cache file. One log line per read.
   */
  private async readFile(offset: number, into: Uint8Array, t0: number): Promise<number> {
    // A read arriving while suspended waits for the resume (FAST is stopped). One already under way is
    // finished against the old cache before the suspend completes: gating it again would hold the
    // single-threaded FUSE loop, and with it every open and stat of the mount, until the resume, which
    // deadlocks a Cold that opens the file between the two.
    while (this.suspended) await this.suspended.gate;
    this.activeReads++;
    try {
      return await this.readAdmitted(offset, into, t0);
    } finally {
      this.activeReads--;
    }
  }

  private async readAdmitted(offset: number, into: Uint8Array, t0: number): Promise<number> {
    const bricks = this.bricksOf(offset, into.length);
    const request = this.nextRequest++;
    this.stats.requests++;
    const present = this.present;
    const missAtArrival = bricks.filter((b) => present[b] !== 1).length;
    for (let attempt = 0; ; attempt++) {
      const missing = bricks.filter((b) => present[b] !== 1);
      if (missing.length === 0) break;
      if (attempt === 3) throw new Error(`bricks ${missing[0]}-${missing.at(-1)}: still missing after ${attempt} fetches`);
      const waits = new Set<FetchJob>();
      const absent: number[] = [];
      for (const b of missing) {
        const job = this.queue.inflight.get(b);
        if (job) {
          this.queue.promote(job);
          waits.add(job);
        } else absent.push(b);
      }
      if (absent.length) for (const job of this.queue.add(absent, 'fetch', request)) waits.add(job);
      if (attempt === 0) this.readAhead(bricks, request);
      const results = await Promise.allSettled([...waits].map((j) => j.done));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) {
        const e = failed.reason as Error;
        this.logRead(request, t0, bricks, into.length, missAtArrival > 0, e);
        throw e;
      }
    }
    const n = await this.cache.read(into, offset);
    if (missAtArrival === 0) this.stats.hitBricks += bricks.length;
    else this.stats.missBricks += missAtArrival;
    this.logRead(request, t0, bricks, into.length, missAtArrival > 0);
    if (missAtArrival === 0) this.readAhead(bricks, request);
    return n;
  }

  private logRead(request: number, t0: number, bricks: number[], bytes: number, miss: boolean, failure?: Error): void {
    if (bricks.length === 0) return;
    this.writeLog({
      tUnixMs: t0,
      kind: 'read',
      request,
      firstBrick: bricks[0]!,
      lastBrick: bricks.at(-1)!,
      bytes,
      result: miss ? 'miss' : 'hit',
      latencyMs: now() - t0,
      ...(failure ? { detail: `error: ${redactSecrets(failure.message)}` } : {}),
    });
  }

  private readAhead(bricks: number[], request: number): void {
    // Hits drained after a suspend began must not start GETs into a cache that is about to be rotated.
    if (this.prefetch.kind === 'off' || bricks.length === 0 || this.suspended || this.closing) return;
    // Whole ranges, as the kernel's asynchronous read-ahead does: once the reader comes within a window of the
    // first brick not yet asked for, the next range from there is queued, so it reaches window to window + range − 1
    // bricks ahead. A window that slid one brick per read queued one-brick GETs, each paying a round trip and the
    // store's per-request cost: the viewer's Cold open at same-region read its row in ~70 GETs instead of ~10 and
    // took 1.25× as long (median of 4).
    const present = this.cache.present;
    const missing = (b: number) => present[b] !== 1 && !this.queue.inflight.has(b);
    const range = Math.min(this.queue.maxBricks, this.prefetch.bricks);
    const lastBrick = this.layout.brickCount - 1;
    const windowEnd = Math.min(bricks[bricks.length - 1]! + this.prefetch.bricks, lastBrick);
    const ahead: number[] = [];
    for (let b = bricks[bricks.length - 1]! + 1; b <= windowEnd; b++) {
      if (!missing(b)) continue;
      const stop = Math.min(b + range - 1, lastBrick);
      for (; b <= stop; b++) if (missing(b)) ahead.push(b);
      b--;
    }
    if (ahead.length) this.queue.add(ahead, 'prefetch', request);
  }

  /** Cold rotation: finish GETs in flight, drop queued read-ahead, close the cache files. */
  async suspend(timeoutMs: number): Promise<void> {
    // A second suspend while one is under way answers when the cache is closed, as the first does; answering
    // at once would let its caller rotate the folder under the reads still finishing.
    if (this.suspended) return this.suspended.closed;
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const timer = setTimeout(() => {
      // A harness that never comes back must not leave the cache stopped; but the rotation it may still
      // be doing now races this reopen, so the next resume reports the Cold as failed.
      this.selfResumed = `fastcache resumed on its own after ${timeoutMs} ms suspended; the Cold rotation around it is not trustworthy`;
      this.log.warn(`fastcache: ${this.selfResumed}`);
      this.resume(true).catch((e: Error) => this.log.error(`fastcache: resuming after the suspend timeout failed: ${e.message}`));
    }, timeoutMs);
    timer.unref();
    const suspended = { gate, open, timer, closed: Promise.resolve() };
    this.suspended = suspended;
    this.selfResumed = undefined;
    suspended.closed = (async () => {
      // From here every new FUSE read comes to this thread and waits at the gate until resume.
      this.fuse?.setSuspended(true);
      this.queue.dropReadAhead();
      await this.drainAndClose(gate);
    })();
    return suspended.closed;
  }

  /** Lets the reads already admitted finish, then closes the cache, unless the timeout resumed first. */
  private async drainAndClose(gate: Promise<void>): Promise<void> {
    const ours = () => this.suspended?.gate === gate;
    while (ours() && (this.activeReads > 0 || this.queue.busy)) {
      await this.queue.idle();
      if (this.activeReads > 0) await new Promise((r) => setTimeout(r, 1));
    }
    // The timeout fired while reads were still finishing: the daemon runs on a reopened cache now.
    if (!ours()) throw new Error(this.selfResumed ?? 'fastcache resumed before the suspend completed');
    await this.closeCache();
  }

  private async closeCache(): Promise<void> {
    if (this.cacheClosed) return;
    this.cacheClosed = true;
    await this.cache.close();
  }

  /**
   * Reopens the cache (an empty one if the folder was rotated) and lets waiting requests go on. Throws when
   * the daemon had already resumed on its own (suspend timeout): the caller's Cold did not hold. A failed
   * reopen leaves the daemon suspended with its timeout still armed, so it tries again then.
   */
  async resume(byTimeout = false): Promise<void> {
    const s = this.suspended;
    if (s) {
      this.resuming ??= (async () => {
        // A timeout while the suspend was still draining reads: the old cache is still open.
        await this.closeCache();
        await this.open();
        this.cacheClosed = false;
        clearTimeout(s.timer);
        this.fuse?.cacheReplaced();
        this.suspended = undefined;
        this.fuse?.setSuspended(false);
        s.open();
      })().finally(() => (this.resuming = undefined));
      await this.resuming;
    }
    if (byTimeout) return;
    const why = this.selfResumed;
    this.selfResumed = undefined;
    if (why) throw new Error(why);
  }

  async close(): Promise<void> {
    this.closing = true;
    // Unmount first: the application's file goes away before the cache behind it.
    await this.fuse?.close().catch((e: Error) => this.log.error(`fastcache: ${e.message}`));
    this.queue.dropReadAhead();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
    await this.queue.idle().catch(() => {});
    await this.closeCache();
    this.reader.close();
    if (this.logFd !== undefined) closeSync(this.logFd);
    this.logFd = undefined;
  }
}
