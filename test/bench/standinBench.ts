import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { blobUrlOf, sasFor, uploadVolume } from '../../extension/standin/storage/volumeUpload';
import { BlobReader } from '../../extension/standin/fastcache/blobReader';
import { FastcacheBrickSource } from '../../extension/standin/fastcache/fastcacheSource';
import { startFastcache } from '../../extension/standin/fastcache/fastcacheProcess';
import { FileBrickSource } from '../../extension/standin/volume/fileSource';
import { DEMO_SPEC, dimsForSize, generateVolume } from '../../extension/standin/volume/generate';
import { startAzurite } from '../../extension/standin/volume/localAzurite';
import { DAEMON_SCRIPT, tempDir } from '../standin/harness';
import { median, percentile, procUsage } from './stats';

// npm run bench:standin — the FAST-like cache's figures, each a ratio or a distribution measured side by
// side in one run against the same Azurite (2 noisy cores: medians of alternating repeats).
//  1. Cold-fetch throughput: fastcache filling an empty cache as the viewer scrubs (one request per inline
//     brick row, waiting for each, as W_scrub100 does), against a plain multi-stream ranged GET of the same
//     blob (same streams, same range size, into memory). Goal: ratio ≥ 0.8.
//  2. Warm hit latency: readBricks of one brick (512 KiB) and of two adjacent bricks (1 MiB) from a full cache,
//     request → bytes in the viewer's buffer. Goal: p99 ≤ 1 ms. The NAS-file source on page-cached data is
//     shown beside it: the difference is the daemon round trip.
// FASTBENCH_BENCH_MIB sets the volume size (default: the 320 MiB demo volume); REPEATS the repeats (5).

const MiB = 1024 * 1024;
const STREAMS = 8;
const RANGE_MIB = 4;
const REPEATS = Number(process.env.REPEATS ?? 5);

type Run = { mibps: number; clientCpuMsPerMiB: number };
const cpuOf = (pids: number[]) => pids.reduce((s, p) => s + procUsage(p).cpuS, 0);

async function plainRangedGet(url: string, sas: string, bytes: number): Promise<Run> {
  const cpu0 = cpuOf([process.pid]);
  const reader = new BlobReader(url, sas, STREAMS);
  const range = RANGE_MIB * MiB;
  const buffers = Array.from({ length: STREAMS }, () => Buffer.allocUnsafe(range));
  let next = 4096;
  const t0 = performance.now();
  await Promise.all(
    buffers.map(async (buffer) => {
      while (next < bytes) {
        const offset = next;
        next += range;
        await reader.readRange(offset, Math.min(range, bytes - offset), buffer);
      }
    }),
  );
  const s = (performance.now() - t0) / 1000;
  reader.close();
  const mib = (bytes - 4096) / MiB;
  return { mibps: mib / s, clientCpuMsPerMiB: ((cpuOf([process.pid]) - cpu0) * 1000) / mib };
}

/** Cold fill as the viewer scrubs: one request per brick row ("rows"), or the whole volume in one request ("all"). */
async function fastcacheCold(dir: string, url: string, n: number, prefetch: string, pattern: 'rows' | 'all' = 'rows'): Promise<Run> {
  const cacheFolder = path.join(dir, `cache-${prefetch}-${n}`);
  const daemon = await startFastcache(
    ['--blob', url, '--cache-folder', cacheFolder, '--log', path.join(dir, 'fastcache.log'), '--endpoint', path.join(dir, 'fc.sock'), '--streams', String(STREAMS), '--range-mib', String(RANGE_MIB), '--prefetch', prefetch],
    { script: DAEMON_SCRIPT },
  );
  const src = await FastcacheBrickSource.connect(daemon.endpoint);
  try {
    const rows = src.layout.bricks[0];
    const cpu0 = cpuOf([daemon.pid, process.pid]);
    const t0 = performance.now();
    let bytes = 0;
    if (pattern === 'all') bytes = (await src.readBricks([...Array(src.layout.brickCount).keys()])).size * src.layout.brickBytes;
    else {
      for (let bi = 0; bi < rows; bi++) {
        const got = await src.readBricks(src.layout.inlineBricks(bi * src.header.brickSize));
        bytes += got.size * src.layout.brickBytes;
      }
    }
    const s = (performance.now() - t0) / 1000;
    return { mibps: bytes / MiB / s, clientCpuMsPerMiB: ((cpuOf([daemon.pid, process.pid]) - cpu0) * 1000) / (bytes / MiB) };
  } finally {
    await src.close();
    await daemon.stop();
    rmSync(cacheFolder, { recursive: true, force: true });
  }
}

async function hitLatencies(read: (bricks: number[]) => Promise<unknown>, brickCount: number, width: number, n: number): Promise<number[]> {
  const out: number[] = [];
  let seed = 12345;
  for (let i = 0; i < n + 50; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const b = seed % (brickCount - width);
    const bricks = Array.from({ length: width }, (_, k) => b + k);
    const t0 = performance.now();
    await read(bricks);
    if (i >= 50) out.push(performance.now() - t0); // the first 50 warm up the JIT
  }
  return out;
}

const fmt = (v: number[], digits = 3) => `p50 ${percentile(v, 50).toFixed(digits)} ms, p99 ${percentile(v, 99).toFixed(digits)} ms (n=${v.length})`;

async function main(): Promise<void> {
  const dir = tempDir('bench-standin');
  const azurite = await startAzurite(path.join(dir, 'azurite'));
  try {
    const mib = process.env.FASTBENCH_BENCH_MIB ? Number(process.env.FASTBENCH_BENCH_MIB) : undefined;
    const spec = mib ? { ...DEMO_SPEC, dims: dimsForSize(mib, 'int16') } : DEMO_SPEC;
    // Other work on the machine moves every figure here; the load says how much to trust them.
    console.log(`load average at start: ${loadavg().map((x) => x.toFixed(2)).join(' ')} (${require('node:os').cpus().length} cores)`);
    const gen = await generateVolume(path.join(dir, 'nas', 'bench.fbvol'), spec);
    console.log(`volume: ${spec.dims.join('×')} int16, ${(gen.bytes / MiB).toFixed(0)} MiB, ${(gen.bytes - 4096) / (512 * 1024)} bricks of 512 KiB; generated in ${gen.seconds.toFixed(1)} s (${((gen.bytes / MiB) / gen.seconds).toFixed(0)} MiB/s)`);
    const location = { accountUrl: azurite.accountUrl, container: 'seismic', blob: 'bench.fbvol' };
    const sas = sasFor(location, undefined);
    const up = await uploadVolume({ file: gen.file, location, sas, sha256: gen.sha256 });
    console.log(`upload to Azurite: ${up.seconds.toFixed(1)} s (${((gen.bytes / MiB) / up.seconds).toFixed(0)} MiB/s)`);
    const url = blobUrlOf(location);

    await plainRangedGet(url, sas, gen.bytes); // warm Azurite's own file cache and sockets once
    const variants: [string, () => Promise<Run>][] = [
      ['plain', () => plainRangedGet(url, sas, gen.bytes)],
      ['rows-off', () => fastcacheCold(dir, url, 0, 'off')],
      ['rows-ahead', () => fastcacheCold(dir, url, 0, 'readahead')],
      ['all', () => fastcacheCold(dir, url, 0, 'off', 'all')],
    ];
    const runs = new Map<string, Run[]>(variants.map(([k]) => [k, []]));
    for (let r = 0; r < REPEATS; r++) {
      // Rotate the order each repeat so drift in the machine's load hits every variant alike.
      for (let v = 0; v < variants.length; v++) {
        const [name, fn] = variants[(v + r) % variants.length]!;
        runs.get(name)!.push(await fn());
      }
    }
    const plain = runs.get('plain')!;
    const line = (label: string, name: string, goal = '') => {
      const xs = runs.get(name)!;
      const ratios = xs.map((x, i) => x.mibps / plain[i]!.mibps);
      console.log(
        `${label}: median ${median(xs.map((x) => x.mibps)).toFixed(0)} MiB/s` +
          (name === 'plain' ? ` (${xs.map((x) => x.mibps.toFixed(0)).join(', ')})` : `, ratio to plain ${median(ratios).toFixed(2)} (${ratios.map((x) => x.toFixed(2)).join(', ')})${goal}`) +
          `; client CPU ${median(xs.map((x) => x.clientCpuMsPerMiB)).toFixed(2)} ms/MiB`,
      );
    };
    line(`plain ranged GET (${STREAMS} streams × ${RANGE_MIB} MiB ranges, into memory)`, 'plain');
    line('fastcache cold fill, one request per brick row (scrub), prefetch off', 'rows-off', ' — goal ≥ 0.8');
    line('fastcache cold fill, one request per brick row (scrub), readahead one row', 'rows-ahead');
    line('fastcache cold fill, the whole volume in one request', 'all');
    console.log('  (client CPU: the GETting process; for fastcache the daemon plus the viewer reading the cache file)');

    // Warm: fill one cache completely, then time hits.
    const cacheFolder = path.join(dir, 'cache-warm');
    const daemon = await startFastcache(['--blob', url, '--cache-folder', cacheFolder, '--log', path.join(dir, 'warm.log'), '--endpoint', path.join(dir, 'warm.sock')], { script: DAEMON_SCRIPT });
    const fast = await FastcacheBrickSource.connect(daemon.endpoint);
    const nas = await FileBrickSource.open(gen.file);
    try {
      const all = [...Array(fast.layout.brickCount).keys()];
      await fast.readBricks(all);
      await nas.readBricks(all);
      const n = 2000;
      const hit1 = await hitLatencies((b) => fast.readBricks(b), all.length, 1, n);
      const hit2 = await hitLatencies((b) => fast.readBricks(b), all.length, 2, n);
      const nas1 = await hitLatencies((b) => nas.readBricks(b), all.length, 1, n);
      const nas2 = await hitLatencies((b) => nas.readBricks(b), all.length, 2, n);
      console.log(`warm hit, 1 brick (512 KiB):  fastcache ${fmt(hit1)}; NAS file (page cache) ${fmt(nas1)}`);
      console.log(`warm hit, 2 bricks (1 MiB):   fastcache ${fmt(hit2)}; NAS file (page cache) ${fmt(nas2)} — goal p99 ≤ 1 ms`);
    } finally {
      await fast.close();
      await nas.close();
      await daemon.stop();
    }
    console.log(`load average at end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  } finally {
    await azurite.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  console.error(`bench:standin: ${e.message}`);
  process.exitCode = 1;
});
