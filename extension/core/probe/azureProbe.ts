import type { AzureBaseline, Throughput } from '../../shared/baseline';
import { blobDisplayUrl, safeText, type BlobAddress } from '../storage/blobAddress';
import { BlobRangeClient } from '../storage/blobRangeClient';
import { uploadThroughput } from '../storage/blobUpload';
import { rangeThroughput } from '../storage/rangeThroughput';
import { latencyStats } from './latencyStats';
import { tcpConnectRtt } from './tcpRtt';

export type AzureProbeOptions = {
  tries: number;
  streams: number[];
  rangeBytes: number;
  stepSeconds: number;
  uploadTest: boolean;
  uploadBytes: number;
  sasSource: string;
  signal?: AbortSignal;
  progress: (message: string) => void;
};

const errorOf = (e: unknown) => ({ error: safeText((e as Error).message ?? String(e)) });

/**
 * The Azure half of the baseline. A blob that cannot be read at all (bad SAS, no such blob, no route)
 * fails the whole section with that reason; later measurements that fail keep their error in place.
 */
export async function probeAzure(a: BlobAddress, o: AzureProbeOptions): Promise<AzureBaseline> {
  const url = new URL(blobDisplayUrl(a));
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  o.progress(`Azure: TCP connect RTT to ${url.hostname}:${port} (${o.tries} tries)`);
  const tcp = await tcpConnectRtt(url.hostname, port, o.tries, 3000, o.signal).catch(errorOf);
  const maxStreams = Math.max(...o.streams);
  const client = new BlobRangeClient(a, maxStreams);
  try {
    // The first HEAD tells whether the blob can be read at all; its error is the section's error.
    const { sizeBytes } = await client.head();
    if (!(sizeBytes > 0)) throw new Error(`${blobDisplayUrl(a)} is empty: the probe needs a blob of at least one range`);
    o.progress(`Azure: request RTT (HEAD, ${o.tries} tries)`);
    const heads: number[] = [];
    for (let i = 0; i < o.tries; i++) heads.push((await client.head()).ms);
    const requestRtt = latencyStats(heads);

    const rangeBytes = Math.min(o.rangeBytes, sizeBytes);
    o.progress(`Azure: time to first byte of ${(rangeBytes / 2 ** 20).toFixed(1)} MiB ranged GETs (${o.tries} tries)`);
    let ttfb: AzureBaseline['ttfb'];
    try {
      const ranges = Math.max(1, Math.floor(sizeBytes / rangeBytes));
      const samples: number[] = [];
      for (let i = 0; i < o.tries; i++) samples.push((await client.getRange(((i * 7919) % ranges) * rangeBytes, rangeBytes)).ttfbMs);
      ttfb = { ...latencyStats(samples), rangeBytes };
    } catch (e) {
      ttfb = errorOf(e);
    }

    const sweep: AzureBaseline['sweep'] = [];
    let offset = 0;
    for (const streams of o.streams) {
      o.signal?.throwIfAborted();
      o.progress(`Azure: ranged GET throughput, ${streams} stream(s), ${o.stepSeconds} s`);
      try {
        const r = await rangeThroughput(client, {
          blobBytes: sizeBytes,
          streams,
          rangeBytes,
          seconds: o.stepSeconds,
          startOffset: offset,
          ...(o.signal ? { signal: o.signal } : {}),
        });
        offset = r.endOffset;
        const { endOffset: _, ...t } = r;
        sweep.push(t);
      } catch (e) {
        if (o.signal?.aborted) throw e;
        sweep.push(errorOf(e));
      }
    }
    const ok = sweep.filter((s): s is Throughput => !('error' in s));
    const best = ok.length ? ok.reduce((b, s) => (s.MBps > b.MBps ? s : b)) : null;

    let upload: AzureBaseline['upload'] = null;
    if (o.uploadTest) {
      o.progress(`Azure: upload ${(o.uploadBytes / 2 ** 20).toFixed(0)} MiB with ${best?.streams ?? maxStreams} stream(s)`);
      upload = await uploadThroughput(a, { bytes: o.uploadBytes, blockBytes: rangeBytes, streams: best?.streams ?? maxStreams }).catch(errorOf);
    }
    return {
      endpoint: a.accountUrl.replace(/[?#].*$/, ''),
      container: a.container,
      blob: a.blob,
      sasSource: o.sasSource,
      blobBytes: sizeBytes,
      tcpConnectRtt: tcp,
      requestRtt,
      ttfb,
      sweep,
      best,
      upload,
    };
  } finally {
    client.close();
  }
}
