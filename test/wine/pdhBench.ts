import { spawn } from 'node:child_process';
import { NO_GPU } from '../../extension/core/metrics/nvidiaSmi';
import { WindowsPdhSampler } from '../../extension/core/metrics/pdhSampler';
import { emptyRow } from '../../extension/core/metrics/sampler';
import { loadWindowsPerf } from '../../extension/driver/win32/windowsPerf';
import { quantile } from './lane';

// The metrics agent's cost per tick on Windows/Wine (bash test/wine/run.sh --bench; BENCH_ONLY=pdh for this part
// alone): the PDH sampler's whole sample() against its parts — one bare PdhCollectQueryData with one counter, the
// kernel32 totals of one process — and an empty row as the floor, interleaved in blocks so drift hits all alike.
// CPU time is counted in scheduler ticks (10–15.6 ms), so it is the total over many calls divided by their number.

const N = Number(process.env.BENCH_PDH_TICKS ?? 300);
const BLOCK = 25;

type Variant = { name: string; run: () => void; wall: number[]; cpuUs: number; calls: number };

export async function pdhBench(): Promise<Record<string, unknown>> {
  const perf = loadWindowsPerf();
  const target = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600000)'], { stdio: 'ignore' });
  try {
    const sampler = new WindowsPdhSampler(perf, target.pid!, NO_GPU, {
      nasShare: '\\\\nas01\\seismic',
      cacheFolder: 'C:\\fastcache',
      fastService: 'EventLog',
      routeHost: '127.0.0.1',
    });
    await sampler.prime();
    const bare = perf.openQuery();
    if (!bare.ok) throw new Error('PdhOpenQueryW failed');
    const one = bare.query.add('\\Processor(_Total)\\% Processor Time');
    if (!one.ok) throw new Error('\\Processor(_Total)\\% Processor Time refused');
    bare.query.collect();
    let t = Date.now();
    const variants: Variant[] = [
      { name: 'PDH sampler sample() (everything it found here)', run: () => sampler.sample(t++), wall: [], cpuUs: 0, calls: 0 },
      {
        name: 'PdhCollectQueryData + 1 formatted value',
        run: () => {
          bare.query.collect();
          bare.query.value(one.counter);
        },
        wall: [],
        cpuUs: 0,
        calls: 0,
      },
      { name: 'kernel32 totals of one process (kept handle)', run: () => perf.processTotals(target.pid!), wall: [], cpuUs: 0, calls: 0 },
      { name: 'empty row (floor)', run: () => emptyRow(t++), wall: [], cpuUs: 0, calls: 0 },
    ];
    for (let done = 0; done < N; done += BLOCK) {
      for (const v of variants) {
        const c0 = process.cpuUsage();
        for (let i = 0; i < BLOCK; i++) {
          const w0 = process.hrtime.bigint();
          v.run();
          v.wall.push(Number(process.hrtime.bigint() - w0) / 1e6);
        }
        const c = process.cpuUsage(c0);
        v.cpuUs += c.user + c.system;
        v.calls += BLOCK;
      }
    }
    bare.query.close();
    sampler.close();
    const result: Record<string, unknown> = {};
    const full = variants[0]!;
    for (const v of variants) {
      const cpuMs = v.cpuUs / 1000 / v.calls;
      const s = { n: v.calls, cpuMsPerCall: cpuMs, wallP50: quantile(v.wall, 0.5), wallP95: quantile(v.wall, 0.95) };
      result[v.name] = s;
      console.log(
        `${v.name.padEnd(50)} n=${String(v.calls).padStart(4)}  CPU ${cpuMs.toFixed(3)} ms/call  wall p50 ${s.wallP50.toFixed(3)}  p95 ${s.wallP95.toFixed(3)} ms  (x${(quantile(full.wall, 0.5) / Math.max(1e-6, s.wallP50)).toFixed(1)} of this = the sampler)`,
      );
    }
    console.log(
      `PDH sampler sources here: ${Object.entries(sampler.sources)
        .filter(([, v]) => !v?.startsWith('none'))
        .map(([k]) => k)
        .join(', ')}`,
    );
    return result;
  } finally {
    target.kill();
  }
}
