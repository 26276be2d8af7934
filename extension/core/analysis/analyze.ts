import { type AnalysisResult, type FastLatencyCdf, type KpiRow } from '../../shared/kpi';
import { BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED } from '../../shared/statistics';
import { TOOL_VERSION } from '../version';
import { compareModes, isComparable } from './compare';
import { analyseRun, type AnalysedRun } from './runAnalysis';
import type { RunStore } from './runStore';

// The whole analysis: discover run folders in every store, read each one (streaming), compare the modes, and hand
// back one plain AnalysisResult for the CSV writers, the report and any webview.

export type AnalyzeOptions = {
  pooled?: boolean;
  resamples?: number;
  seed?: number;
  /** Runs read at once; > 1 helps remote stores, where each file is a round trip. */
  concurrency?: number;
  onProgress?: (done: number, total: number, rows: number) => void;
  /** Each skipped folder, as soon as it is known (the CLI names it on stderr). */
  onSkipped?: (folder: string, reason: string) => void;
  signal?: AbortSignal;
  now?: () => Date;
};

export type AnalyzeOutcome = { result: AnalysisResult; metricsRows: number };

async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      signal?.throwIfAborted();
      await work(items[next++]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
}

const CDF_POINTS = 400;

function latencyCdfs(runs: AnalysedRun[], pooled: boolean): FastLatencyCdf[] {
  const machines = new Set(runs.map((r) => r.kpi.machine ?? 'unknown machine'));
  const byGroup = new Map<string, Float64Array[]>();
  for (const r of runs) {
    if (!isComparable(r.kpi) || r.fastLatencies.length === 0) continue;
    const machine = pooled || machines.size < 2 ? '' : ` · ${r.kpi.machine ?? 'unknown machine'}`;
    const label = `${r.kpi.mode} · ${r.kpi.cache_policy}${machine}`;
    byGroup.set(label, [...(byGroup.get(label) ?? []), r.fastLatencies]);
  }
  return [...byGroup]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([label, parts]) => {
      const all = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
      let o = 0;
      for (const p of parts) {
        all.set(p, o);
        o += p.length;
      }
      all.sort();
      // The empirical CDF (fraction of requests ≤ x), at every request or at CDF_POINTS evenly spaced ranks.
      const n = all.length;
      const latency_ms: number[] = [all[0]!];
      const fraction: number[] = [0];
      const steps = Math.min(n, CDF_POINTS);
      for (let j = 1; j <= steps; j++) {
        const i = Math.ceil((j / steps) * n) - 1;
        latency_ms.push(all[i]!);
        fraction.push(Math.round(((i + 1) / n) * 1e6) / 1e6);
      }
      return { label, latency_ms, fraction, n: all.length };
    });
}

const byStart = (a: AnalysedRun, b: AnalysedRun) =>
  a.manifest.started_at.localeCompare(b.manifest.started_at) || a.manifest.run_id.localeCompare(b.manifest.run_id) || a.folder.localeCompare(b.folder);

export async function analyzeRuns(stores: RunStore[], opts: AnalyzeOptions = {}): Promise<AnalyzeOutcome> {
  const pooled = opts.pooled ?? false;
  const resamples = opts.resamples ?? BOOTSTRAP_RESAMPLES;
  const seed = opts.seed ?? BOOTSTRAP_SEED;
  const skipped: AnalysisResult['skipped'] = [];
  const skip = (folder: string, reason: string) => {
    skipped.push({ folder, reason });
    opts.onSkipped?.(folder, reason);
  };
  const work: { store: RunStore; folder: string }[] = [];
  for (const store of stores) {
    const found = await store.discover();
    for (const s of found.skipped) skip(s.folder, s.reason);
    for (const folder of found.folders) work.push({ store, folder });
  }
  const runs: AnalysedRun[] = [];
  let done = 0;
  let rows = 0;
  await pool(
    work,
    opts.concurrency ?? 1,
    async ({ store, folder }) => {
      // A folder that cannot be read (permissions, a file vanishing mid-read) is skipped like any broken one.
      const outcome = await analyseRun(store, folder).catch((e: Error) => ({ kind: 'skipped' as const, folder: store.describe(folder), reason: `cannot read: ${e.message}` }));
      if (outcome.kind === 'skipped') skip(outcome.folder, outcome.reason);
      else {
        runs.push(outcome);
        rows += outcome.metricsRows;
      }
      opts.onProgress?.(++done, work.length, rows);
    },
    opts.signal,
  );
  runs.sort(byStart);
  // The same run pushed twice (or analysed from two roots) would count twice: keep the first, say so.
  const seen = new Map<string, AnalysedRun>();
  const unique: AnalysedRun[] = [];
  for (const r of runs) {
    const first = seen.get(r.manifest.run_id);
    if (first) skip(r.folder, `duplicate run_id ${r.manifest.run_id} (also in ${first.folder})`);
    else {
      seen.set(r.manifest.run_id, r);
      unique.push(r);
    }
  }
  const kpis: KpiRow[] = unique.map((r) => r.kpi);
  const folders = new Map(unique.map((r) => [r.manifest.run_id, r.folder]));
  const { comparisons, summaries, outliers } = compareModes(kpis, { pooled, resamples, seed, folders });
  const result: AnalysisResult = {
    generated_at: (opts.now?.() ?? new Date()).toISOString(),
    tool_version: TOOL_VERSION,
    grouping: pooled ? 'pooled' : 'by-machine',
    bootstrap: { resamples, seed },
    has_fast_columns: unique.some((r) => r.hasFastLog),
    kpis,
    comparisons,
    summaries,
    flags: [...unique.flatMap((r) => r.flags), ...outliers],
    skipped: skipped.sort((a, b) => a.folder.localeCompare(b.folder)),
    malformed: unique.flatMap((r) => r.problems.filter((p) => p.count > 0).map((p) => ({ file: p.file, count: p.count, examples: [...p.examples] }))),
    timelines: unique.map((r) => r.timeline),
    fast_cdfs: latencyCdfs(unique, pooled),
    contexts: unique.map((r) => r.context),
  };
  return { result, metricsRows: rows };
}
