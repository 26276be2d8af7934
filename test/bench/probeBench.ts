import { performance } from 'node:perf_hooks';
import { BlobRangeClient } from '../../extension/core/storage/blobRangeClient';
import { rangeThroughput } from '../../extension/core/storage/rangeThroughput';
import { containerSas, putBlob, startAzurite } from '../azure/azuriteHarness';
import { goal, median } from './stats';

// npm run bench:probe [-- --mib 256 --repeats 3] — the probe's ranged-GET throughput against the Azure SDK's
// downloadToBuffer with the same concurrency and range size, on the same Azurite, interleaved in one run
// (probe, SDK, probe, SDK, …) so drift hits both. Each measurement is one full pass over the blob.
// Goal: the probe's best ÷ the SDK at that concurrency ≥ 0.9 (a probe limited by itself would lie).

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i < 0 ? fallback : Number(process.argv[i + 1]);
  if (!(v > 0)) throw new Error(`--${name}: expected a positive number`);
  return v;
}

async function main(): Promise<void> {
  const mib = arg('mib', 256);
  const repeats = arg('repeats', 3);
  const rangeBytes = 8 << 20;
  const streamsList = [1, 2, 4, 8];
  const azurite = await startAzurite();
  try {
    const container = 'bench';
    const blob = 'vol.bin';
    const bytes = mib << 20;
    await putBlob(azurite.accountUrl, container, blob, bytes);
    const sas = containerSas(container, 'r');
    const { BlobClient } = require('@azure/storage-blob') as typeof import('@azure/storage-blob');
    const sdk = new BlobClient(`${azurite.accountUrl}/${container}/${blob}?${sas}`);
    const buffer = Buffer.alloc(bytes);
    const address = { accountUrl: azurite.accountUrl, container, blob, sas };
    console.log(`bench:probe: Azurite ${azurite.accountUrl}, ${mib} MiB blob, ${rangeBytes >> 20} MiB ranges, ${repeats} interleaved repeats per concurrency`);
    const rows: { streams: number; probe: number; sdk: number; bound: boolean }[] = [];
    // One untimed pass each, so neither side pays for Azurite's first reads of the blob.
    await sdk.downloadToBuffer(buffer, 0, bytes, { blockSize: rangeBytes, concurrency: 4 });
    for (const streams of streamsList) {
      const probe: number[] = [];
      const sdkRates: number[] = [];
      let bound = false;
      const client = new BlobRangeClient(address, streams);
      for (let i = 0; i < repeats; i++) {
        const p = await rangeThroughput(client, { blobBytes: bytes, streams, rangeBytes, maxBytes: bytes });
        if (p.bytes !== bytes) throw new Error(`probe read ${p.bytes} of ${bytes} bytes`);
        probe.push(p.MBps);
        bound ||= p.cpu.clientBound;
        const t0 = performance.now();
        await sdk.downloadToBuffer(buffer, 0, bytes, { blockSize: rangeBytes, concurrency: streams });
        sdkRates.push(bytes / 1e6 / ((performance.now() - t0) / 1000));
      }
      client.close();
      rows.push({ streams, probe: median(probe), sdk: median(sdkRates), bound });
      console.log(
        `  ${String(streams).padStart(2)} streams: probe median ${median(probe).toFixed(1)} MB/s (n=${probe.length}: ${probe.map((v) => v.toFixed(0)).join(', ')})${bound ? ' [client-bound]' : ''}; ` +
          `downloadToBuffer median ${median(sdkRates).toFixed(1)} MB/s (n=${sdkRates.length}: ${sdkRates.map((v) => v.toFixed(0)).join(', ')}); ratio ${(median(probe) / median(sdkRates)).toFixed(3)}`,
      );
    }
    const best = rows.reduce((b, r) => (r.probe > b.probe ? r : b));
    const bestSdk = rows.reduce((b, r) => (r.sdk > b.sdk ? r : b));
    console.log(
      `probe best ${best.probe.toFixed(1)} MB/s at ${best.streams} streams; downloadToBuffer at ${best.streams} streams ${best.sdk.toFixed(1)} MB/s: ratio ${(best.probe / best.sdk).toFixed(3)}; ${goal('≥ 0.9', best.probe / best.sdk >= 0.9)}`,
    );
    console.log(
      `(best of each side regardless of streams: probe ${best.probe.toFixed(1)} ÷ SDK ${bestSdk.sdk.toFixed(1)} at ${bestSdk.streams} = ${(best.probe / bestSdk.sdk).toFixed(3)})`,
    );
  } finally {
    await azurite.stop();
  }
}

main().catch((e: unknown) => {
  console.error(`bench:probe: ${(e as Error).message}`);
  process.exit(1);
});
