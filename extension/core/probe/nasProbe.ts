import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { NasBaseline } from '../../shared/baseline';
import { fileSize, fileStreams, unbufferedSupported, BLOCK_BYTES } from './fileThroughput';
import { icmpRtt } from './icmpPing';
import { tcpConnectRtt } from './tcpRtt';

export type NasProbeOptions = {
  host: string;
  port: number;
  testFile: string | undefined;
  streams: number;
  writeTest: boolean;
  writeBytes: number;
  tries: number;
  stepSeconds: number;
  signal?: AbortSignal;
  progress: (message: string) => void;
};

const errorOf = (e: unknown) => ({ error: (e as Error).message ?? String(e) });

function fileError(file: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'a folder, not a file' : (e as Error).message;
  return new Error(`probe.nas.testFile ${file}: expected a readable file, found ${why}`);
}

const UNBUFFERED_NOTE = 'unbuffered reads (O_DIRECT on Linux, FILE_FLAG_NO_BUFFERING on Windows): the OS file cache neither served nor kept the data';
const BUFFERED_NOTE = "NOT avoided: the file system refused unbuffered reads, so data already in this machine's file cache is served from RAM and inflates the figure";
const HALVES_NOTE = "; the 1-stream and multi-stream tests read different halves of the file, so the NAS's own cache does not serve one test from the other";

/** The NAS half of the baseline: TCP (and ICMP) RTT to the host, read throughput of the test file, an optional write. */
export async function probeNas(o: NasProbeOptions): Promise<NasBaseline> {
  o.progress(`NAS: TCP connect RTT to ${o.host}:${o.port} (${o.tries} tries)`);
  const tcp = await tcpConnectRtt(o.host, o.port, o.tries, 3000, o.signal).catch(errorOf);
  const icmp = await icmpRtt(o.host, Math.min(o.tries, 20));
  let read: NasBaseline['read'] = null;
  let write: NasBaseline['write'] = null;
  if (o.testFile) {
    let size = 0;
    let statError: Error | undefined;
    try {
      size = fileSize(o.testFile);
    } catch (e) {
      statError = fileError(o.testFile, e);
    }
    if (statError) {
      read = { file: o.testFile, sizeBytes: 0, cacheAvoidance: 'not measured', unbuffered: false, oneStream: errorOf(statError), multiStream: errorOf(statError) };
    } else {
      const unbuffered = unbufferedSupported(o.testFile);
      const half = Math.floor(size / 2 / BLOCK_BYTES) * BLOCK_BYTES;
      o.progress(`NAS: read ${path.basename(o.testFile)} with 1 stream (${o.stepSeconds} s max)`);
      const oneStream = await fileStreams({ file: o.testFile, streams: 1, start: 0, end: half, seconds: o.stepSeconds, unbuffered }).catch(errorOf);
      o.progress(`NAS: read ${path.basename(o.testFile)} with ${o.streams} streams (${o.stepSeconds} s max)`);
      const multiStream = await fileStreams({ file: o.testFile, streams: o.streams, start: half, end: size, seconds: o.stepSeconds, unbuffered }).catch(errorOf);
      read = { file: o.testFile, sizeBytes: size, cacheAvoidance: (unbuffered ? UNBUFFERED_NOTE : BUFFERED_NOTE) + HALVES_NOTE, unbuffered, oneStream, multiStream };
    }
    if (o.writeTest) {
      const tmp = path.join(path.dirname(o.testFile), `fastbench-probe-write-${process.pid}-${Date.now()}.tmp`);
      o.progress(`NAS: write ${(o.writeBytes / 2 ** 20).toFixed(0)} MiB to ${path.dirname(o.testFile)}`);
      try {
        writeFileSync(tmp, '');
        const unbuffered = unbufferedSupported(tmp);
        const t = await fileStreams({ file: tmp, streams: 1, start: 0, end: o.writeBytes, seconds: o.stepSeconds, unbuffered, write: true });
        write = {
          ...t,
          cacheAvoidance: unbuffered
            ? 'unbuffered writes, then fsync (timed)'
            : 'buffered writes, then fsync (timed): the fsync makes the data reach the NAS before the clock stops',
        };
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        write = {
          error: `write test in ${path.dirname(o.testFile)}: ${code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOSPC' ? 'no space left' : (e as Error).message}`,
        };
      } finally {
        rmSync(tmp, { force: true });
      }
    }
  }
  return { host: o.host, port: o.port, tcpConnectRtt: tcp, icmpRtt: icmp, read, write };
}
