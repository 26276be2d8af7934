import { performance } from 'node:perf_hooks';
import type { Throughput } from '../../shared/baseline';
import { startCpuMeter } from '../probe/cpuMeter';
import type { BlobRangeClient } from './blobRangeClient';

/**
 * Multi-stream ranged GET throughput, like azcopy bench: `streams` requests in flight, each fetching the
 * next rangeBytes of the blob (wrapping round at its end), until `seconds` have passed or `maxBytes` were
 * requested; no new range starts after that, and the figure counts up to the last byte of the last range.
 * Starting at `startOffset` lets successive steps read different parts of the blob, so a server cache
 * warmed by one step does not flatter the next.
 */
export async function rangeThroughput(
  client: BlobRangeClient,
  options: { blobBytes: number; streams: number; rangeBytes: number; seconds?: number; maxBytes?: number; startOffset?: number; signal?: AbortSignal },
): Promise<Throughput & { endOffset: number }> {
  const { blobBytes, streams } = options;
  const rangeBytes = Math.min(options.rangeBytes, blobBytes);
  const ranges = Math.ceil(blobBytes / rangeBytes);
  let next = Math.floor((options.startOffset ?? 0) / rangeBytes) % ranges;
  let requested = 0;
  let bytes = 0;
  const meter = startCpuMeter();
  const t0 = performance.now();
  const deadline = t0 + (options.seconds ?? Infinity) * 1000;
  const maxBytes = options.maxBytes ?? Infinity;
  const worker = async () => {
    while (performance.now() < deadline && requested < maxBytes) {
      options.signal?.throwIfAborted();
      const offset = next * rangeBytes;
      const length = Math.min(rangeBytes, blobBytes - offset);
      next = (next + 1) % ranges;
      requested += length;
      const r = await client.getRange(offset, length);
      bytes += r.bytes;
    }
  };
  await Promise.all(Array.from({ length: streams }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = meter();
  return {
    streams,
    blockBytes: rangeBytes,
    bytes,
    seconds: Math.round(seconds * 1000) / 1000,
    MBps: Math.round((bytes / 1e6 / seconds) * 10) / 10,
    cpu,
    endOffset: next * rangeBytes,
  };
}
