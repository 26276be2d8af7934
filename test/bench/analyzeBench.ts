import { spawnSync } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { analyzeRuns } from '../../extension/core/analysis/analyze';
import { LocalRunStore } from '../../extension/core/analysis/runStore';
import { writeAnalysisOutputs } from '../../extension/core/report/writeOutputs';
import { METRICS_COLUMNS } from '../../extension/shared/metrics';
import { median } from '../../extension/shared/statistics';

// npm run bench:analyze [-- --runs 200 --repeats 3] — `fastbench analyze` end to end over a generated corpus of one-hour
// runs (3,600 metrics rows each), against the floor: the same corpus's metrics.csv files read by a bare
// read-and-split loop in Node. Each measurement runs in a fresh child process (so peak RSS is the analysis's own,
// not the generator's), floor and analysis alternate, and medians are printed with their n.
// Goals: ≥ 1 M metrics rows/s, within 2× of the floor, peak RSS ≤ 256 MB.

const ROWS_PER_RUN = 3600;
const GOALS = { rowsPerS: 1e6, vsFloor: 2, rssMB: 256 };

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i < 0 ? fallback : Number(process.argv[i + 1]);
  if (!(v > 0) || !Number.isInteger(v)) throw new Error(`--${name}: expected a positive integer, found ${process.argv[i + 1]}`);
  return v;
}

/** A run like the stand-in demo writes: markers over the hour, 1 Hz metrics with plausible values, open files. */
function writeCorpus(root: string, runs: number): number {
  const t0 = 1764500000000;
  let rows = 0;
  for (let r = 0; r < runs; r++) {
    const mode = r % 2 === 0 ? 'A_shared' : 'B_fast';
    const policy = Math.floor(r / 2) % 2 === 0 ? 'Cold' : 'Warm';
    const start = t0 + r * 4_000_000;
    const dir = path.join(root, `campaign-${Math.floor(r / 50)}`, `run-${String(r).padStart(4, '0')}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'run.json'),
      JSON.stringify({
        schema_version: 1,
        run_id: `bench-${r}`,
        campaign_id: `campaign-${Math.floor(r / 50)}`,
        mode,
        cache_policy: policy,
        workflow: 'W_scrub100',
        repeat: r,
        started_at: new Date(start).toISOString(),
        status: 'complete',
        machine: { hostname: `ws${Math.floor(r / 4) % 2}`, os: 'Windows 11' },
        tool: { name: 'fastbench', version: '0.1.0' },
      }),
    );
    const open = 8000 + ((r * 7919) % 5000) + (mode === 'B_fast' ? 3000 : 0);
    const scrub = 60000 + ((r * 104729) % 20000);
    const m = [
      [0, 'open_start'],
      [open, 'first_pixel'],
      [open + 500, 'scrub_start'],
      [open + 500 + scrub, 'scrub_end'],
      [(ROWS_PER_RUN - 1) * 1000, 'session_end'],
    ] as const;
    writeFileSync(path.join(dir, 'markers.tsv'), `t_unix_ms\tt_run_ms\tname\tdetail\n${m.map(([t, n]) => `${start + t}\t${t}.000\t${n}\t`).join('\n')}\n`);
    const lines = [METRICS_COLUMNS.join(',')];
    let x = r + 1;
    for (let i = 0; i < ROWS_PER_RUN; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      const cpu = (x % 1000) / 10;
      lines.push(
        `${start + i * 1000},${cpu},${Math.min(100, cpu * 1.5).toFixed(1)},12034.5,20480.2,${(cpu * 3.1).toFixed(1)},2048.7,${x % 50_000_000},${x % 1_000_000},${(x % 900) / 10},1.5,${(x % 500) / 10},0.3,${x % 3 ? '' : (x % 100).toString()},${x % 3 ? '' : '1024'}`,
      );
    }
    rows += ROWS_PER_RUN;
    writeFileSync(path.join(dir, 'metrics.csv'), `${lines.join('\n')}\n`);
    writeFileSync(
      path.join(dir, 'open_files.tsv'),
      `t_unix_ms\tpath\tclass\n${start + 2000}\t${mode === 'A_shared' ? '//nas/vol.zgy' : 'C:/FAST/cache/vol.zgy'}\t${mode === 'A_shared' ? 'NAS' : 'FAST_cache'}\n`,
    );
  }
  return rows;
}

async function metricsFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name === 'metrics.csv') out.push(path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
  }
  return out.sort();
}

/** CPU time of this process so far (user + system), s: robust where wall time suffers from a busy machine. */
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

type Measured = { seconds: number; cpuSeconds: number; rows: number; maxRssMB: number; phases?: { read: number; statistics: number; outputs: number } };

/** The floor: every metrics.csv streamed, decoded, cut into lines and each line split at commas. Nothing else. */
async function floorChild(root: string): Promise<Measured> {
  const t = performance.now();
  let rows = 0;
  let cells = 0;
  for (const file of await metricsFiles(root)) {
    let rest = '';
    for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        cells += line.split(',').length;
        rows++;
      }
    }
    if (rest) rows++;
  }
  if (cells === 0) throw new Error('floor read nothing');
  return { seconds: (performance.now() - t) / 1000, cpuSeconds: cpuSeconds(), rows: rows - (await metricsFiles(root)).length, maxRssMB: process.resourceUsage().maxRSS / 1024 };
}

async function analyzeChild(root: string, out: string): Promise<Measured> {
  const t = performance.now();
  let readDone = t;
  const { result, metricsRows } = await analyzeRuns([new LocalRunStore(root)], { concurrency: 4, onProgress: () => (readDone = performance.now()) });
  const analysed = performance.now();
  await writeAnalysisOutputs(result, out);
  if (result.comparisons.length === 0) throw new Error('no comparison: the corpus must have both modes per machine');
  const end = performance.now();
  return {
    seconds: (end - t) / 1000,
    cpuSeconds: cpuSeconds(),
    rows: metricsRows,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    phases: { read: (readDone - t) / 1000, statistics: (analysed - readDone) / 1000, outputs: (end - analysed) / 1000 },
  };
}

function child(kind: 'floor' | 'analyze', root: string, out: string): Measured {
  const r = spawnSync(process.execPath, [process.argv[1]!, '--child', kind, root, out], { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`${kind} child failed (${r.status}): ${r.stderr.trim()}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Measured;
}

async function main(): Promise<void> {
  const ci = process.argv.indexOf('--child');
  if (ci >= 0) {
    const [kind, root, out] = process.argv.slice(ci + 1) as ['floor' | 'analyze', string, string];
    const m = kind === 'floor' ? await floorChild(root) : await analyzeChild(root, out);
    process.stdout.write(`${JSON.stringify(m)}\n`);
    return;
  }
  const runs = arg('runs', 200);
  const repeats = arg('repeats', 3);
  const dir = mkdtempSync(path.join(tmpdir(), 'fb-analyze-bench-'));
  try {
    const tg = performance.now();
    const rows = writeCorpus(path.join(dir, 'runs'), runs);
    console.log(`corpus: ${runs} one-hour runs, ${rows} metrics rows, written in ${((performance.now() - tg) / 1000).toFixed(1)} s (${dir})`);
    const floor: Measured[] = [];
    const analysis: Measured[] = [];
    for (let i = 0; i < repeats; i++) {
      floor.push(child('floor', path.join(dir, 'runs'), ''));
      analysis.push(child('analyze', path.join(dir, 'runs'), path.join(dir, `out-${i}`)));
      if (analysis.at(-1)!.rows !== rows || floor.at(-1)!.rows !== rows) {
        throw new Error(`row counts differ: corpus ${rows}, floor ${floor.at(-1)!.rows}, analysis ${analysis.at(-1)!.rows}`);
      }
    }
    const n = repeats;
    const floorS = median(floor.map((m) => m.seconds));
    const analysisS = median(analysis.map((m) => m.seconds));
    const rowsPerS = rows / analysisS;
    const ratio = analysisS / floorS;
    const rss = Math.max(...analysis.map((m) => m.maxRssMB));
    const miss = (ok: boolean, goal: string) => (ok ? `goal ${goal} met` : `GOAL MISSED (${goal})`);
    console.log(
      `machine: ${cpus().length} cores, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} (others' work slows both sides alike; the CPU-time ratio below is less sensitive to it)`,
    );
    console.log(
      `floor (read + split lines + split cells): median ${floorS.toFixed(3)} s (n = ${n}), ${(rows / floorS / 1e6).toFixed(2)} M rows/s, peak RSS ${median(floor.map((m) => m.maxRssMB)).toFixed(0)} MB`,
    );
    console.log(
      `fastbench analyze end to end (KPIs, comparisons, CSVs, report.html, PNGs): median ${analysisS.toFixed(3)} s (n = ${n}), all: ${analysis.map((m) => m.seconds.toFixed(3)).join(', ')} s`,
    );
    const phase = (k: 'read' | 'statistics' | 'outputs') => median(analysis.map((m) => m.phases![k])).toFixed(3);
    console.log(`  phases (medians, n = ${n}): reading runs ${phase('read')} s, statistics ${phase('statistics')} s, CSVs + report + PNGs ${phase('outputs')} s`);
    const cpuRatio = median(analysis.map((m) => m.cpuSeconds)) / median(floor.map((m) => m.cpuSeconds));
    console.log(
      `  CPU time (whole child process, incl. start-up): analysis ${median(analysis.map((m) => m.cpuSeconds)).toFixed(3)} s vs floor ${median(floor.map((m) => m.cpuSeconds)).toFixed(3)} s (medians, n = ${n}) → ${cpuRatio.toFixed(2)}×`,
    );
    console.log(`  rows/s: ${(rowsPerS / 1e6).toFixed(2)} M  — ${miss(rowsPerS >= GOALS.rowsPerS, '≥ 1 M rows/s')}`);
    console.log(`  vs floor: ${ratio.toFixed(2)}×  — ${miss(ratio <= GOALS.vsFloor, `≤ ${GOALS.vsFloor}× the floor`)}`);
    console.log(`  peak RSS: ${rss.toFixed(0)} MB (max of n = ${n})  — ${miss(rss <= GOALS.rssMB, `≤ ${GOALS.rssMB} MB`)}`);
  } finally {
    if (!process.env.FASTBENCH_BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`bench:analyze: ${(e as Error).message}`);
  process.exit(1);
});
