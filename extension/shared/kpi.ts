import type { CachePolicy, Mode } from './names';

// What `fastbench analyze` produces, as plain data: the CLI writes it to CSV/HTML/PNG, and a VS Code panel can take
// the same object through postMessage (no classes, no Maps, no functions). A null is "not measured in this run".

/** A run's measured KPIs: the workflow times, then the machine figures over the run window. */
const MEASURED_KPIS = ['open_time_s', 'scrub_time_s', 'attr_time_s', 'horizon_time_s', 'export_time_s', 'cpu_mean', 'proc_cpu_mean', 'gpu_mean', 'read_MB_s_p95'] as const;

/** kpis.csv columns, in this order; the FAST columns follow when any run has a fast_log.tsv. */
export const KPI_COLUMNS = [
  'run_id',
  'campaign_id',
  'machine',
  'mode',
  'cache_policy',
  'workflow',
  'repeat',
  'status',
  'warmup',
  ...MEASURED_KPIS,
  'observed_source',
  'source_matches_mode',
] as const;

export const FAST_KPI_COLUMNS = ['fast_requests', 'fast_hit_ratio', 'fast_latency_p50_ms', 'fast_latency_p95_ms'] as const;

/** The numeric KPIs compared between modes, in report order. */
export const COMPARED_KPIS = [...MEASURED_KPIS, ...FAST_KPI_COLUMNS] as const;
export type ComparedKpi = (typeof COMPARED_KPIS)[number];

/** KPIs where a larger value is worse for the user: the verdict says "slower"/"faster" for these. */
export const DURATION_KPIS: readonly ComparedKpi[] = [
  'open_time_s',
  'scrub_time_s',
  'attr_time_s',
  'horizon_time_s',
  'export_time_s',
  'fast_latency_p50_ms',
  'fast_latency_p95_ms',
];

/** Storage classes that count as evidence of where data came from. */
export type ObservedSource = 'NAS' | 'FAST_cache' | 'mixed' | 'none';

export type KpiRow = {
  run_id: string;
  campaign_id: string | null;
  machine: string | null;
  mode: Mode;
  cache_policy: CachePolicy;
  workflow: string;
  repeat: number;
  status: string;
  warmup: boolean;
  observed_source: ObservedSource;
  /** null when observed_source is "none": no evidence either way. */
  source_matches_mode: boolean | null;
} & Record<ComparedKpi, number | null>;

export const COMPARISON_COLUMNS = [
  'machine',
  'workflow',
  'cache_policy',
  'kpi',
  'n_A_shared',
  'median_A_shared',
  'n_B_fast',
  'median_B_fast',
  'ratio_B_over_A',
  'ci95_low',
  'ci95_high',
  'p_value',
  'verdict',
] as const;

export type ComparisonRow = {
  machine: string;
  workflow: string;
  cache_policy: CachePolicy;
  kpi: ComparedKpi;
  n_A_shared: number;
  median_A_shared: number;
  n_B_fast: number;
  median_B_fast: number;
  /** null when median_A_shared is 0; CI and p are null with fewer than 3 runs on either side. */
  ratio_B_over_A: number | null;
  ci95_low: number | null;
  ci95_high: number | null;
  p_value: number | null;
  verdict: string;
  /** Each side's values, for whiskers and for anyone re-checking the numbers. */
  values_A_shared: number[];
  values_B_fast: number[];
};

export type RunFlagKind = 'wrong_source' | 'no_evidence' | 'not_cold' | 'aborted' | 'outlier' | 'malformed_rows' | 'missing_markers' | 'missing_file';

/**
 * A B_fast Cold run whose FAST log shows reads and not one miss did not start from an empty FAST cache: its
 * Cold did not hold (a rotation that failed silently, a cache that survived it), so it measures Warm.
 */
export function coldDidNotHold(k: Pick<KpiRow, 'mode' | 'cache_policy' | 'fast_requests' | 'fast_hit_ratio'>): boolean {
  return k.mode === 'B_fast' && k.cache_policy === 'Cold' && (k.fast_requests ?? 0) > 0 && k.fast_hit_ratio === 1;
}
export type RunFlag = { run_id: string; folder: string; kind: RunFlagKind; detail: string };

export type SkippedFolder = { folder: string; reason: string };

/** A run's metrics over time, downsampled for charts: seconds from open_start (or the first row). */
export type RunTimeline = {
  run_id: string;
  label: string;
  t_s: number[];
  cpu_pct: (number | null)[];
  proc_cpu_pct: (number | null)[];
  read_MB_s: (number | null)[];
  /** GPU utilisation % and used RAM (MiB, whole machine); empty when metrics.csv has no source for them. */
  gpu_pct: (number | null)[];
  ram_used_mb: (number | null)[];
  markers: { t_s: number; name: string }[];
};

/** Latency CDF of FAST read requests of one mode/policy group, downsampled to at most a few hundred points. */
export type FastLatencyCdf = { label: string; latency_ms: number[]; fraction: number[]; n: number };

/** One mode's KPI in one (machine, workflow, cache policy) group: the bars of the "by mode" charts. */
export type ModeSummary = {
  machine: string;
  workflow: string;
  cache_policy: CachePolicy;
  mode: Mode;
  kpi: ComparedKpi;
  n: number;
  median: number;
  /** Distribution-free 95 % CI of the median (order statistics, coverage ≥ 95 %); null below 6 runs. */
  ci95_low: number | null;
  ci95_high: number | null;
};

export type RunContext = { run_id: string; machine: string | null; dataset: string | null; config_digest: string | null };

export type AnalysisResult = {
  generated_at: string;
  tool_version: string;
  grouping: 'by-machine' | 'pooled';
  bootstrap: { resamples: number; seed: number };
  /** The FAST columns appear in kpis.csv only when at least one run had a FAST log. */
  has_fast_columns: boolean;
  kpis: KpiRow[];
  comparisons: ComparisonRow[];
  summaries: ModeSummary[];
  flags: RunFlag[];
  skipped: SkippedFolder[];
  /** Malformed rows per file, with the first few lines named (file:line: what was wrong). */
  malformed: { file: string; count: number; examples: string[] }[];
  timelines: RunTimeline[];
  fast_cdfs: FastLatencyCdf[];
  contexts: RunContext[];
};
