// The FUSE side of fastcache, on a worker thread: libfuse3's high-level API through koffi, single-threaded
// (`-s`), so every callback runs synchronously on this thread inside fuse_main_real. The filesystem holds
// one read-only file, the volume, laid out exactly like the .fbvol (and like the cache file behind it).
//
// A read whose bricks are all in the cache file (the shared `present` map says so, the daemon is not
// suspended) is served right here with one pread of the cache file into FUSE's buffer: no hop to the main
// thread, so a warm hit never waits for the main thread's event loop or its garbage collector (that wait
// was the 15 ms tail of the old socket protocol). Anything else is handed to the main thread, which is free
// to fetch from Blob asynchronously; this thread waits on a SharedArrayBuffer until the bytes are there.
import koffi, { type LibraryHandle, type TypeObject } from 'koffi';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

/** Slots of the control Int32Array shared with the main thread. */
export const CTRL = { state: 0, result: 1, suspended: 2, generation: 3 } as const;
export const CTRL_SLOTS = 4;
/** Request state: the worker posted a request and waits; the main thread answered. */
export const REQ = { idle: 0, pending: 1, answered: 2 } as const;
/**
 * The hit ring: hits are reported to the main thread through shared memory, not one message each. Int32
 * slots first (records written, records read, a wake-up is pending, records dropped when full), then
 * HIT_FIELDS float64 per record (t0, offset, size, ms). A message per hit woke the main thread for every
 * read: on 2 cores that third runnable thread (plus its log write) was part of the hits' tail.
 */
export const HITS = { written: 0, read: 1, pending: 2, dropped: 3 } as const;
export const HIT_HEADER_BYTES = 16;
export const HIT_FIELDS = 4;
export const HIT_CAPACITY = 8192;
export const hitRingBytes = () => HIT_HEADER_BYTES + HIT_CAPACITY * HIT_FIELDS * 8;

export type FuseWorkerData = {
  kind: 'fastcache-fuse';
  mountPoint: string;
  fileName: string;
  fileBytes: number;
  headerBytes: number;
  brickBytes: number;
  brickCount: number;
  cachePath: string;
  /** libfuse -o options (without "-o"). */
  mountOptions: string[];
  /** Bricks the daemon reads ahead after a read (0 = off): a hit with a gap in them is reported at once. */
  readAheadBricks: number;
  /** Set keep_cache on opens until the cache generation changes (FuseMountOptions.keepCacheAcrossOpens). */
  keepCache: boolean;
  control: SharedArrayBuffer;
  /** Bytes of a slow-path read, written by the main thread. */
  data: SharedArrayBuffer;
  /** One byte per brick, 1 = in the cache file (written by the main thread after the data). */
  present: SharedArrayBuffer;
  /** The hit ring (HITS). */
  hits: SharedArrayBuffer;
};

/** Worker → main messages. Times are performance.timeOrigin-based Unix ms. */
export type FuseWorkerMessage =
  | { type: 'mounted' }
  | { type: 'read'; offset: number; size: number; t0: number }
  /**
   * Hits are waiting in the ring (sent once until the main thread drains it); `now` when a hit's read-ahead
   * window has bricks missing, so the main thread starts the prefetch without the batching delay.
   */
  | { type: 'hits'; now: boolean }
  | { type: 'error'; message: string }
  | { type: 'exited'; code: number; error?: string };

const ENOENT = 2;
const EIO = 5;
const EACCES = 13;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const O_ACCMODE = 3;
/** struct fuse_file_info: int32 flags, then the bit fields (writepage, direct_io, keep_cache, …), LSB first. */
const FI_BITS_OFFSET = 4;
const FI_KEEP_CACHE = 1 << 2;
/** struct stat on x86-64 Linux (glibc): 144 bytes. */
const STAT_BYTES = 144;

// struct fuse_operations of libfuse 3.14, in order: 42 function pointers.
const OPERATIONS = [
  'getattr',
  'readlink',
  'mknod',
  'mkdir',
  'unlink',
  'rmdir',
  'symlink',
  'rename',
  'link',
  'chmod',
  'chown',
  'truncate',
  'open',
  'read',
  'write',
  'statfs',
  'flush',
  'release',
  'fsync',
  'setxattr',
  'getxattr',
  'listxattr',
  'removexattr',
  'opendir',
  'readdir',
  'releasedir',
  'fsyncdir',
  'init',
  'destroy',
  'access',
  'create',
  'lock',
  'utimens',
  'bmap',
  'ioctl',
  'poll',
  'write_buf',
  'read_buf',
  'flock',
  'fallocate',
  'copy_file_range',
  'lseek',
] as const;

export function runFuseWorker(d: FuseWorkerData): void {
  const port = parentPort!;
  const ctrl = new Int32Array(d.control);
  const present = new Uint8Array(d.present);
  const data = new Uint8Array(d.data);
  const hitIndex = new Int32Array(d.hits, 0, HIT_HEADER_BYTES / 4);
  const hitRecords = new Float64Array(d.hits, HIT_HEADER_BYTES);
  const windowHasGap = (offset: number, size: number): boolean => {
    if (d.readAheadBricks === 0) return false;
    const last = Math.floor((offset + size - 1 - d.headerBytes) / d.brickBytes);
    for (let b = last + 1; b <= Math.min(last + d.readAheadBricks, d.brickCount - 1); b++) if (present[b] !== 1) return true;
    return false;
  };
  let urgentPosted = false;
  const reportHit = (offset: number, size: number, t0: number, ms: number) => {
    const w = Atomics.load(hitIndex, HITS.written);
    if (w - Atomics.load(hitIndex, HITS.read) >= HIT_CAPACITY) {
      Atomics.add(hitIndex, HITS.dropped, 1);
    } else {
      const at = (w % HIT_CAPACITY) * HIT_FIELDS;
      hitRecords[at] = t0;
      hitRecords[at + 1] = offset;
      hitRecords[at + 2] = size;
      hitRecords[at + 3] = ms;
      Atomics.store(hitIndex, HITS.written, w + 1);
    }
    const gap = windowHasGap(offset, size);
    if (Atomics.compareExchange(hitIndex, HITS.pending, 0, 1) === 0) {
      urgentPosted = gap;
      port.postMessage({ type: 'hits', now: gap } satisfies FuseWorkerMessage);
    } else if (gap && !urgentPosted) {
      // A batch is waiting on its timer, but this hit's read-ahead should start now.
      urgentPosted = true;
      port.postMessage({ type: 'hits', now: true } satisfies FuseWorkerMessage);
    }
  };
  const now = () => performance.timeOrigin + performance.now();
  let lib: LibraryHandle;
  try {
    lib = koffi.load('libfuse3.so.3');
  } catch (e) {
    port.postMessage({
      type: 'exited',
      code: -1,
      error: `cannot load libfuse3.so.3 (${(e as Error).message}): install it with "apt-get install fuse3"`,
    } satisfies FuseWorkerMessage);
    return;
  }
  const Getattr = koffi.proto('int fc_getattr(const char *path, void *st, void *fi)');
  const Open = koffi.proto('int fc_open(const char *path, void *fi)');
  const Read = koffi.proto('int fc_read(const char *path, void *buf, size_t size, int64_t offset, void *fi)');
  const Filler = koffi.proto('int fc_filler(void *buf, const char *name, void *st, int64_t off, int flags)');
  const Readdir = koffi.proto('int fc_readdir(const char *path, void *buf, void *filler, int64_t offset, void *fi, int flags)');
  const Init = koffi.proto('void *fc_init(void *conn, void *cfg)');
  // Used slots are typed with their prototype: koffi passes a registered callback through a plain
  // 'void *' field as something other than the function pointer (libfuse then sees garbage returns).
  const typed: Record<string, TypeObject> = {
    getattr: koffi.pointer(Getattr),
    open: koffi.pointer(Open),
    read: koffi.pointer(Read),
    readdir: koffi.pointer(Readdir),
    init: koffi.pointer(Init),
  };
  const fields: Record<string, string | TypeObject> = {};
  for (const name of OPERATIONS) fields[name] = typed[name] ?? 'void *';
  const Operations = koffi.struct('fc_fuse_operations', fields);
  const fuseMainReal = lib.func('int fuse_main_real(int argc, const char **argv, const fc_fuse_operations *op, size_t op_size, void *private_data)');

  const file = `/${d.fileName}`;
  const mtime = Math.floor(Date.now() / 1000);
  const fillStat = (st: unknown, dir: boolean) => {
    const v = new DataView(koffi.view(st, STAT_BYTES));
    for (let i = 0; i < STAT_BYTES; i += 8) v.setBigUint64(i, 0n, true);
    v.setBigUint64(16, dir ? 2n : 1n, true); // st_nlink
    v.setUint32(24, dir ? S_IFDIR | 0o555 : S_IFREG | 0o444, true); // st_mode
    v.setBigInt64(48, dir ? 0n : BigInt(d.fileBytes), true); // st_size
    v.setBigInt64(56, 4096n, true); // st_blksize
    v.setBigInt64(64, dir ? 0n : BigInt(Math.ceil(d.fileBytes / 512)), true); // st_blocks
    for (const at of [72, 88, 104]) v.setBigInt64(at, BigInt(mtime), true); // atime, mtime, ctime
  };

  // The cache generation of the last open (keepCache): -1 = none yet, so the first open starts clean.
  let keptGeneration = -1;
  // The cache file as this thread last opened it; reopened when the main thread rotates it (generation).
  let fd: number | undefined;
  let fdGeneration = -1;
  const cacheFd = (): number => {
    const g = Atomics.load(ctrl, CTRL.generation);
    if (fd === undefined || g !== fdGeneration) {
      // Forget the old descriptor before reopening: if the open fails (the file was rotated away), a retry
      // must not close the same number again, by then perhaps a socket or /dev/fuse of this process.
      const old = fd;
      fd = undefined;
      if (old !== undefined) closeSync(old);
      fd = openSync(d.cachePath, 'r');
      fdGeneration = g;
    }
    return fd;
  };
  const allPresent = (offset: number, size: number): boolean => {
    if (offset + size <= d.headerBytes) return true;
    const first = Math.max(0, Math.floor((offset - d.headerBytes) / d.brickBytes));
    const last = Math.min(d.brickCount - 1, Math.floor((offset + size - 1 - d.headerBytes) / d.brickBytes));
    for (let b = first; b <= last; b++) if (present[b] !== 1) return false;
    return true;
  };

  // An exception must never unwind into libfuse: it becomes EIO, reported once to the main thread.
  let reported = false;
  const guard =
    <A extends unknown[]>(name: string, fn: (...args: A) => number) =>
    (...args: A): number => {
      try {
        return fn(...args);
      } catch (e) {
        if (!reported) port.postMessage({ type: 'error', message: `${name}: ${(e as Error).message}` } satisfies FuseWorkerMessage);
        reported = true;
        return -EIO;
      }
    };
  const callbacks = {
    getattr: koffi.register(
      guard('getattr', (path: string, st: unknown) => {
        if (path === '/') fillStat(st, true);
        else if (path === file) fillStat(st, false);
        else return -ENOENT;
        return 0;
      }),
      koffi.pointer(Getattr),
    ),
    open: koffi.register(
      guard('open', (path: string, fi: unknown) => {
        if (path !== file) return -ENOENT;
        const v = new DataView(koffi.view(fi, FI_BITS_OFFSET + 4));
        if ((v.getInt32(0, true) & O_ACCMODE) !== 0) return -EACCES;
        if (d.keepCache) {
          // Pages read since the last rotation are the cache file's bytes: keep them. After a rotation the
          // first open leaves keep_cache unset, so the kernel drops them and the next reads miss as Cold must.
          const g = Atomics.load(ctrl, CTRL.generation);
          if (g === keptGeneration) v.setUint32(FI_BITS_OFFSET, v.getUint32(FI_BITS_OFFSET, true) | FI_KEEP_CACHE, true);
          keptGeneration = g;
        }
        return 0;
      }),
      koffi.pointer(Open),
    ),
    read: koffi.register(
      guard('read', (path: string, buf: unknown, sizeArg: number | bigint, offsetArg: number | bigint) => {
        if (path !== file) return -ENOENT;
        const offset = Number(offsetArg);
        const size = Math.max(0, Math.min(Number(sizeArg), d.fileBytes - offset));
        if (size === 0) return 0;
        const t0 = now();
        const out = new Uint8Array(koffi.view(buf, size));
        if (Atomics.load(ctrl, CTRL.suspended) === 0 && allPresent(offset, size)) {
          try {
            const n = readSync(cacheFd(), out, 0, size, offset);
            if (n === size) {
              reportHit(offset, size, t0, now() - t0);
              return n;
            }
          } catch {
            /* the cache file moved under us (rotation): the main thread answers below */
          }
        }
        // The slow path: the main thread fetches what is missing and copies the bytes into `data`.
        if (size > data.length) return -EIO;
        Atomics.store(ctrl, CTRL.state, REQ.pending);
        port.postMessage({ type: 'read', offset, size, t0 } satisfies FuseWorkerMessage);
        while (Atomics.load(ctrl, CTRL.state) === REQ.pending) Atomics.wait(ctrl, CTRL.state, REQ.pending, 1000);
        const result = Atomics.load(ctrl, CTRL.result);
        Atomics.store(ctrl, CTRL.state, REQ.idle);
        if (result < 0) return result;
        out.set(data.subarray(0, result));
        return result;
      }),
      koffi.pointer(Read),
    ),
    readdir: koffi.register(
      guard('readdir', (path: string, buf: unknown, filler: unknown) => {
        if (path !== '/') return -ENOENT;
        for (const name of ['.', '..', d.fileName]) koffi.call(filler, Filler, buf, name, null, 0, 0);
        return 0;
      }),
      koffi.pointer(Readdir),
    ),
    init: koffi.register(() => {
      port.postMessage({ type: 'mounted' } satisfies FuseWorkerMessage);
      return null;
    }, koffi.pointer(Init)),
  };
  const ops: Record<string, unknown> = {};
  for (const name of OPERATIONS) ops[name] = (callbacks as Record<string, unknown>)[name] ?? null;
  const argv = ['fastcache', '-f', '-s', '-o', ['ro', 'fsname=fastcache', 'subtype=fastcache', ...d.mountOptions].join(','), d.mountPoint];
  let code = -1;
  let error: string | undefined;
  try {
    // Blocks this thread until the filesystem is unmounted (fusermount3 -u).
    code = fuseMainReal(argv.length, argv, ops, koffi.sizeof(Operations), null) as number;
    if (code !== 0) error = `libfuse could not mount ${d.mountPoint} (fuse_main_real returned ${code}; its message is on the daemon's stderr)`;
  } catch (e) {
    error = (e as Error).message;
  } finally {
    for (const cb of Object.values(callbacks)) koffi.unregister(cb);
    if (fd !== undefined) closeSync(fd);
  }
  port.postMessage({ type: 'exited', code, ...(error ? { error } : {}) } satisfies FuseWorkerMessage);
}
