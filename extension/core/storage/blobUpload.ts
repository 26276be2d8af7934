import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import type { Throughput } from '../../shared/baseline';
import { startCpuMeter } from '../probe/cpuMeter';
import { blobRequestUrl, safeText, type BlobAddress } from './blobAddress';
import { explainBlobStatus } from './blobRangeClient';

/**
 * Upload throughput: a fresh blob next to the probe blob, staged as blocks of blockBytes with `streams`
 * in flight (the SDK's uploadData), then deleted.
 */
export async function uploadThroughput(a: BlobAddress, options: { bytes: number; blockBytes: number; streams: number }): Promise<Throughput> {
  // require, not import(): in a CommonJS bundle import() picks the SDK's ESM build, which breaks
  // (createRequire(import.meta.url)). Still loaded only here, on first use.
  const { BlockBlobClient, RestError } = require('@azure/storage-blob') as typeof import('@azure/storage-blob');
  const slash = a.blob.lastIndexOf('/');
  const name = `${slash >= 0 ? a.blob.slice(0, slash + 1) : ''}fastbench-probe-upload-${Date.now()}.bin`;
  const client = new BlockBlobClient(blobRequestUrl(a, name).toString());
  // Random bytes: a compressing proxy or dedup appliance must not shrink the test.
  const data = randomBytes(options.bytes);
  const meter = startCpuMeter();
  const t0 = performance.now();
  try {
    await client.uploadData(data, { blockSize: options.blockBytes, concurrency: options.streams });
  } catch (e) {
    if (e instanceof RestError && e.statusCode) throw new Error(explainBlobStatus({ ...a, blob: name }, e.statusCode, e.code, 'upload'));
    throw new Error(safeText(`upload of ${name} failed: ${(e as Error).message}`));
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = meter();
  await client.deleteIfExists().catch(() => undefined);
  return {
    streams: options.streams,
    blockBytes: options.blockBytes,
    bytes: data.length,
    seconds: Math.round(seconds * 1000) / 1000,
    MBps: Math.round((data.length / 1e6 / seconds) * 10) / 10,
    cpu,
  };
}
