// The FAST-like cache daemon: answers "are these bricks in the cache file yet?" for viewers on a local
// socket, fetching misses from Blob storage with ranged GETs (see fetchQueue.ts), optionally reading ahead,
// and appending one fastcache-v1 log line per request (see shared/fastcacheFormat.ts).
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
import { FASTCACHE_PROTOCOL, clientMessageSchema, lineSplitter, parseEndpoint, type DaemonMessage, type DaemonStats } from './protocol';

export type PrefetchPolicy = { kind: 'off' } | { kind: 'readahead'; bricks: number };

/** "off", "readahead" (one brick row: the next inline brick row) or "readahead:N" bricks. */
export function parsePrefetch(text: string): PrefetchPolicy | { kind: 'readahead'; bricks: 'row' } {
  if (text === 'off') return { kind: 'off' };
  if (text === 'readahead') return { kind: 'readahead', bricks: 'row' };
  const m = /^readahead:(\d+)$/.exec(text);
  if (m && Number(m[1]) > 0) return { kind: 'readahead', bricks: Number(m[1]) };
  throw new Error(`--prefetch: expected off, readahead or readahead:N (N bricks > 0), found ${JSON.stringify(text)}`);
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
  log?: Logger;
};

const now = () => performance.timeOrigin + performance.now();

export class FastcacheDaemon {
  private cache!: CacheFile;
  private queue!: FetchQueue;
  private server!: Server;
  private logFd: number | undefined;
  private suspended: { gate: Promise<void>; open: () => void; timer: NodeJS.Timeout } | undefined;
  private nextRequest = 1;
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
    this.prefetch = p.kind === 'readahead' && p.bricks === 'row' ? { kind: 'readahead', bricks: this.layout.bricks[1] * this.layout.bricks[2] } : (p as PrefetchPolicy);
    this.blobName = decodeURIComponent(new URL(options.blobUrl).pathname.split('/').pop() ?? 'volume');
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
      await daemon.listen();
      return daemon;
    } catch (e) {
      reader.close();
      throw e;
    }
  }

  private async open(): Promise<void> {
    this.cache = await CacheFile.open(this.options.cacheFolder, this.blobName, this.header, this.identity);
    const maxBricks = Math.max(1, Math.floor((this.options.rangeBytes ?? 4 * 1024 * 1024) / this.layout.brickBytes));
    this.queue = new FetchQueue(this.options.streams ?? 8, maxBricks, this.layout.brickBytes, { get: (j, b) => this.getRange(j, b), store: (j, b) => this.storeRange(j, b) });
    if (this.options.logFile && this.logFd === undefined) {
      mkdirSync(path.dirname(this.options.logFile), { recursive: true });
      this.logFd = openSync(this.options.logFile, 'a');
      if (fstatSync(this.logFd).size === 0) writeSync(this.logFd, FASTCACHE_LOG_HEADER + '\n');
      writeSync(this.logFd, `# start pid ${process.pid} blob ${this.options.blobUrl} cache ${this.cache.dataPath} prefetch ${this.describePrefetch()} present ${this.cache.presentCount}/${this.layout.brickCount}\n`);
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
    this.writeLog({ tUnixMs: t0, kind: job.kind, request: job.request, firstBrick: job.first, lastBrick: job.first + job.count - 1, bytes, result: 'error', latencyMs: now() - t0, detail: message });
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
        return send({ id: m.id, type: 'hello', protocol: FASTCACHE_PROTOCOL, cacheFile: this.cache.dataPath, header: this.header, blob: this.options.blobUrl, prefetch: this.describePrefetch() });
      case 'read':
        return this.read(m.id, m.bricks, send);
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
    return { ...this.stats, presentBricks: this.cache.presentCount, brickCount: this.layout.brickCount, suspended: this.suspended !== undefined };
  }

  private async read(id: number, bricks: number[], send: (...m: DaemonMessage[]) => void): Promise<void> {
    const arrival = now();
    if (this.suspended) await this.suspended.gate;
    const count = this.layout.brickCount;
    for (let n = 0; n < bricks.length; n++) {
      const b = bricks[n]!;
      if (b >= count) throw new Error(`brick ${b}: expected an index below ${count}`);
      if (n > 0 && b <= bricks[n - 1]!) throw new Error('bricks must be sorted ascending without repeats');
    }
    const request = this.nextRequest++;
    this.stats.requests++;
    const present = this.cache.present;
    const hits: number[] = [];
    const absent: number[] = [];
    const waits = new Map<FetchJob, number[]>();
    for (const b of bricks) {
      if (present[b] === 1) hits.push(b);
      else {
        const job = this.queue.inflight.get(b);
        if (job) {
          this.queue.promote(job);
          const list = waits.get(job);
          if (list) list.push(b);
          else waits.set(job, [b]);
        } else absent.push(b);
      }
    }
    const readyAt = new Map<number, number>();
    const hitAt = now();
    for (const b of hits) readyAt.set(b, hitAt);
    if (absent.length === 0 && waits.size === 0) {
      // All hits (the warm path): one write carries both replies.
      send({ id, type: 'ready', bricks: hits, hit: true }, { id, type: 'done', hits: hits.length, misses: 0, ms: now() - arrival });
      this.stats.hitBricks += hits.length;
      this.logRequest(request, arrival, bricks, new Set(hits), readyAt);
      this.readAhead(bricks, request);
      return;
    }
    if (hits.length) send({ id, type: 'ready', bricks: hits, hit: true });
    if (absent.length) for (const job of this.queue.add(absent, 'fetch', request)) waits.set(job, absent.filter((b) => b >= job.first && b < job.first + job.count));
    this.readAhead(bricks, request);
    let failure: Error | undefined;
    await Promise.all(
      [...waits].map(([job, mine]) =>
        job.done.then(
          () => {
            // A dropped read-ahead resolves without storing: fetch what is still missing.
            const missing = mine.filter((b) => present[b] !== 1);
            if (missing.length) {
              failure ??= new Error(`brick ${missing[0]}: its read-ahead was cancelled by a suspend (Cold rotation); read again`);
              return;
            }
            const t = now();
            for (const b of mine) readyAt.set(b, t);
            send({ id, type: 'ready', bricks: mine, hit: false });
          },
          (e: Error) => {
            failure ??= e;
          },
        ),
      ),
    );
    this.stats.hitBricks += hits.length;
    this.stats.missBricks += bricks.length - hits.length;
    this.logRequest(request, arrival, bricks, new Set(hits), readyAt, failure);
    if (failure) throw failure;
    send({ id, type: 'done', hits: hits.length, misses: bricks.length - hits.length, ms: now() - arrival });
  }

  /** One read line per run of adjacent bricks with the same result; latency = the run's last brick ready. */
  private logRequest(request: number, arrival: number, bricks: number[], hits: Set<number>, readyAt: Map<number, number>, failure?: Error): void {
    if (this.logFd === undefined) return;
    let start = 0;
    for (let n = 1; n <= bricks.length; n++) {
      const prev = bricks[n - 1]!;
      if (n < bricks.length && bricks[n] === prev + 1 && hits.has(bricks[n]!) === hits.has(prev)) continue;
      let latest = arrival;
      for (let k = start; k < n; k++) latest = Math.max(latest, readyAt.get(bricks[k]!) ?? now());
      const hit = hits.has(prev);
      this.writeLog({
        tUnixMs: arrival,
        kind: 'read',
        request,
        firstBrick: bricks[start]!,
        lastBrick: prev,
        bytes: (n - start) * this.layout.brickBytes,
        result: hit ? 'hit' : 'miss',
        latencyMs: latest - arrival,
        ...(failure && !hit ? { detail: `error: ${redactSecrets(failure.message)}` } : {}),
      });
      start = n;
    }
  }

  private readAhead(bricks: number[], request: number): void {
    if (this.prefetch.kind === 'off' || bricks.length === 0) return;
    const present = this.cache.present;
    const ahead: number[] = [];
    const last = bricks[bricks.length - 1]!;
    for (let b = last + 1; b <= Math.min(last + this.prefetch.bricks, this.layout.brickCount - 1); b++) {
      if (present[b] !== 1 && !this.queue.inflight.has(b)) ahead.push(b);
    }
    if (ahead.length) this.queue.add(ahead, 'prefetch', request);
  }

  /** Cold rotation: finish GETs in flight, drop queued read-ahead, close the cache files. */
  async suspend(timeoutMs: number): Promise<void> {
    if (this.suspended) return;
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const timer = setTimeout(() => {
      this.log.warn(`fastcache: suspended for ${timeoutMs} ms without resume; resuming`);
      void this.resume();
    }, timeoutMs);
    timer.unref();
    this.suspended = { gate, open, timer };
    this.queue.dropReadAhead();
    await this.queue.idle();
    await this.cache.close();
  }

  /** Reopens the cache (an empty one if the folder was rotated) and lets waiting requests go on. */
  async resume(): Promise<void> {
    const s = this.suspended;
    if (!s) return;
    clearTimeout(s.timer);
    await this.open();
    this.suspended = undefined;
    s.open();
  }

  async close(): Promise<void> {
    this.queue.dropReadAhead();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
    await this.queue.idle().catch(() => {});
    if (!this.suspended) await this.cache.close();
    this.reader.close();
    if (this.logFd !== undefined) closeSync(this.logFd);
    this.logFd = undefined;
  }
}
