import { closeSync, constants, openSync, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { Throughput } from '../../shared/baseline';
import { startCpuMeter } from './cpuMeter';

// File reads for the NAS probe. Each stream is a worker thread doing blocking reads, so N streams are N
// reads in flight whatever the size of libuv's thread pool (4 by default, shared with everything else).

/** Windows: libuv's UV_FS_O_DIRECT, which it turns into FILE_FLAG_NO_BUFFERING. */
const WIN_O_DIRECT = 0x02000000;
export const UNBUFFERED_FLAG = process.platform === 'win32' ? WIN_O_DIRECT : (constants.O_DIRECT ?? 0);
export const BLOCK_BYTES = 1 << 20;

/** Can this file be opened for unbuffered reads? (tmpfs, some FUSE and SMB mounts refuse O_DIRECT.) */
export function unbufferedSupported(file: string): boolean {
  if (!UNBUFFERED_FLAG) return false;
  try {
    closeSync(openSync(file, constants.O_RDONLY | UNBUFFERED_FLAG));
    return true;
  } catch {
    return false;
  }
}

type WorkerJob = { file: string; flags: number; start: number; end: number; block: number; unbuffered: boolean; write: boolean };

// Runs inside each worker (stringified: the bundle has no separate worker file). Unbuffered I/O needs a
// memory buffer aligned to the device's block size; JavaScript cannot see addresses, so it probes offsets
// into an oversized buffer until the kernel accepts one (EINVAL means misaligned).
function streamWorker(): void {
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const fs = require('node:fs') as typeof import('node:fs');
  const { performance: perf } = require('node:perf_hooks') as typeof import('node:perf_hooks');
  const job = workerData as WorkerJob;
  const now = () => perf.timeOrigin + perf.now();
  try {
    const fd = fs.openSync(job.file, job.flags);
    const raw = Buffer.allocUnsafeSlow(job.block + 8192);
    let view = raw.subarray(0, job.block);
    if (job.unbuffered) {
      let found = false;
      for (let off = 0; off <= 8192 && !found; off += 16) {
        const candidate = raw.subarray(off, off + job.block);
        try {
          if (job.write) fs.writeSync(fd, candidate, 0, job.block, job.start);
          else fs.readSync(fd, candidate, 0, job.block, job.start);
          view = candidate;
          found = true;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
        }
      }
      if (!found) throw new Error('no buffer alignment accepted for unbuffered I/O');
    }
    if (job.write) view.fill(0x5a);
    parentPort!.postMessage({ ready: true });
    // Released together with the deadline, after every stream has opened its file and found its buffer.
    parentPort!.once('message', ({ deadlineMs }: { deadlineMs: number }) => {
      const t0 = now();
      let pos = job.start;
      let bytes = 0;
      while (pos < job.end && now() < deadlineMs) {
        const n = job.write ? fs.writeSync(fd, view, 0, job.block, pos) : fs.readSync(fd, view, 0, job.block, pos);
        if (n <= 0) break;
        bytes += n;
        pos += n;
      }
      if (job.write) fs.fsyncSync(fd);
      const t1 = now();
      fs.closeSync(fd);
      parentPort!.postMessage({ bytes, t0, t1 });
    });
  } catch (e) {
    parentPort!.postMessage({ error: `${(e as NodeJS.ErrnoException).code ?? ''} ${(e as Error).message}`.trim() });
  }
}

/**
 * Reads (or writes) [start, end) of a file with `streams` workers, each on its own contiguous share, in
 * BLOCK_BYTES requests, until the region is done or `seconds` have passed. Throughput is counted from the
 * moment all workers are released together to the moment the last one finishes.
 */
export async function fileStreams(options: {
  file: string;
  streams: number;
  start: number;
  end: number;
  seconds: number;
  unbuffered: boolean;
  write?: boolean;
}): Promise<Throughput> {
  const { streams, unbuffered } = options;
  const write = options.write ?? false;
  const block = BLOCK_BYTES;
  const blocks = Math.floor((options.end - options.start) / block);
  if (blocks < streams) throw new Error(`${options.file}: ${options.end - options.start} bytes is too small for ${streams} stream(s) of 1 MiB reads`);
  const per = Math.floor(blocks / streams);
  const baseFlags = write ? constants.O_WRONLY : constants.O_RDONLY;
  const flags = baseFlags | (unbuffered ? UNBUFFERED_FLAG : 0);
  const code = `(${streamWorker.toString()})()`;
  const workers = Array.from({ length: streams }, (_, i) => {
    const start = options.start + i * per * block;
    const job: WorkerJob = { file: options.file, flags, start, end: start + per * block, block, unbuffered, write };
    return new Worker(code, { eval: true, workerData: job });
  });
  const message = (w: Worker) =>
    new Promise<{ ready?: boolean; error?: string; bytes?: number; t0?: number; t1?: number }>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
  try {
    const ready = await Promise.all(workers.map(message));
    const bad = ready.find((r) => r.error);
    if (bad) throw new Error(`${options.file}: ${bad.error}`);
    const meter = startCpuMeter();
    const releaseAt = performance.timeOrigin + performance.now();
    const done = workers.map(message);
    for (const w of workers) w.postMessage({ deadlineMs: releaseAt + options.seconds * 1000 });
    const results = await Promise.all(done);
    const cpu = meter();
    const failed = results.find((r) => r.error);
    if (failed) throw new Error(`${options.file}: ${failed.error}`);
    const bytes = results.reduce((a, r) => a + (r.bytes ?? 0), 0);
    const seconds = (Math.max(...results.map((r) => r.t1 ?? 0)) - releaseAt) / 1000;
    return { streams, blockBytes: block, bytes, seconds: Math.round(seconds * 1000) / 1000, MBps: Math.round((bytes / 1e6 / seconds) * 10) / 10, cpu };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

export function fileSize(file: string): number {
  return statSync(file).size;
}
