import { z } from 'zod';
import { COMPARED_KPIS, type AnalysisResult, type ComparedKpi, type KpiRow, type RunTimeline } from './kpi';
import { CACHE_POLICIES, MODES } from './names';

// Messages between the KPIs side panel (webviews/kpis) and its host (extension/host/kpiView.ts), validated on both
// sides. The host posts nothing until the view says `view/ready`. The analysis travels as the plain AnalysisResult
// the core returns (without the per-run timelines, which this panel does not draw).

const num = z.number();
const kpiName = z.enum(COMPARED_KPIS);
const mode = z.enum(MODES);
const policy = z.enum(CACHE_POLICIES);

export const kpiRowSchema = z.object({
  run_id: z.string(),
  campaign_id: z.string().nullable(),
  machine: z.string().nullable(),
  mode,
  cache_policy: policy,
  workflow: z.string(),
  repeat: num,
  status: z.string(),
  warmup: z.boolean(),
  observed_source: z.enum(['NAS', 'FAST_cache', 'mixed', 'none']),
  source_matches_mode: z.boolean().nullable(),
  ...(Object.fromEntries(COMPARED_KPIS.map((k) => [k, num.nullable()])) as Record<ComparedKpi, z.ZodNullable<z.ZodNumber>>),
});

const comparisonRowSchema = z.object({
  machine: z.string(),
  workflow: z.string(),
  cache_policy: policy,
  kpi: kpiName,
  n_A_shared: num,
  median_A_shared: num,
  n_B_fast: num,
  median_B_fast: num,
  ratio_B_over_A: num.nullable(),
  ci95_low: num.nullable(),
  ci95_high: num.nullable(),
  p_value: num.nullable(),
  verdict: z.string(),
  values_A_shared: z.array(num),
  values_B_fast: z.array(num),
});

const modeSummarySchema = z.object({
  machine: z.string(),
  workflow: z.string(),
  cache_policy: policy,
  mode,
  kpi: kpiName,
  n: num,
  median: num,
  ci95_low: num.nullable(),
  ci95_high: num.nullable(),
});

const runFlagSchema = z.object({
  run_id: z.string(),
  folder: z.string(),
  kind: z.enum(['wrong_source', 'no_evidence', 'not_cold', 'aborted', 'outlier', 'malformed_rows', 'missing_markers', 'missing_file']),
  detail: z.string(),
});

export const runTimelineSchema = z.object({
  run_id: z.string(),
  label: z.string(),
  t_s: z.array(num),
  cpu_pct: z.array(num.nullable()),
  proc_cpu_pct: z.array(num.nullable()),
  read_MB_s: z.array(num.nullable()),
  gpu_pct: z.array(num.nullable()),
  ram_used_mb: z.array(num.nullable()),
  markers: z.array(z.object({ t_s: num, name: z.string() })),
});

export const analysisResultSchema = z.object({
  generated_at: z.string(),
  tool_version: z.string(),
  grouping: z.enum(['by-machine', 'pooled']),
  bootstrap: z.object({ resamples: num, seed: num }),
  has_fast_columns: z.boolean(),
  kpis: z.array(kpiRowSchema),
  comparisons: z.array(comparisonRowSchema),
  summaries: z.array(modeSummarySchema),
  flags: z.array(runFlagSchema),
  skipped: z.array(z.object({ folder: z.string(), reason: z.string() })),
  malformed: z.array(z.object({ file: z.string(), count: num, examples: z.array(z.string()) })),
  timelines: z.array(z.custom<RunTimeline>()).max(0),
  fast_cdfs: z.array(z.object({ label: z.string(), latency_ms: z.array(num), fraction: z.array(num), n: num })),
  contexts: z.array(z.object({ run_id: z.string(), machine: z.string().nullable(), dataset: z.string().nullable(), config_digest: z.string().nullable() })),
});

// The schema must describe the core's type exactly (both directions), or a change there would slip past validation.
type Parsed = z.infer<typeof analysisResultSchema>;
export const sameShape: [Parsed extends AnalysisResult ? true : false, AnalysisResult extends Parsed ? true : false] = [true, true];

/** Which runs the panel analyses; null = all. */
export const kpiFilterSchema = z.strictObject({
  campaign: z.string().nullable(),
  machine: z.string().nullable(),
  workflow: z.string().nullable(),
});
export type KpiFilter = z.infer<typeof kpiFilterSchema>;

export const toKpiViewSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('kpis/loading'), folder: z.string() }),
  z.strictObject({
    type: z.literal('kpis/show'),
    folder: z.string(),
    filter: kpiFilterSchema,
    /** Every value each filter can take, from all runs of the folder. */
    options: z.strictObject({ campaign: z.array(z.string()), machine: z.array(z.string()), workflow: z.array(z.string()) }),
    /** The core's result without the per-run rows (kpis, contexts, timelines) and with at most MAX_FLAGS flags. */
    result: analysisResultSchema,
    /** One entry per analysed run: what the filters, counts and "show these runs" need. */
    runs: z.array(z.strictObject({ run_id: z.string(), campaign: z.string().nullable(), machine: z.string().nullable(), mode, cache_policy: policy, workflow: z.string() })),
    flagCount: num,
    analysisMs: num,
  }),
  z.strictObject({ type: z.literal('kpis/empty'), folder: z.string().nullable(), message: z.string() }),
]);

/** What the view shows after a render, read back from its DOM and its Chart.js instances (for tests and timing). */
export const kpiShownSchema = z.strictObject({
  table: z.array(z.array(z.string())),
  charts: z.array(
    z.strictObject({
      id: z.string(),
      title: z.string(),
      labels: z.array(z.string()),
      datasets: z.array(z.strictObject({ label: z.string(), data: z.array(num.nullable()), whiskers: z.array(z.tuple([num, num]).nullable()) })),
      axes: z.array(z.strictObject({ id: z.string(), title: z.string(), ticks: z.array(z.string()) })),
    }),
  ),
  flags: z.array(z.string()),
  filter: kpiFilterSchema,
  message: z.string(),
  renderMs: num,
});
export type KpiShown = z.infer<typeof kpiShownSchema>;

export const fromKpiViewSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('view/ready') }),
  z.strictObject({ type: z.literal('view/error'), message: z.string() }),
  z.strictObject({ type: z.literal('kpis/filter'), filter: kpiFilterSchema }),
  /** Show these runs in the Runs tree; `label` says which row or bar they came from. */
  z.strictObject({ type: z.literal('kpis/reveal'), runIds: z.array(z.string()).min(1), label: z.string() }),
  z.strictObject({ type: z.literal('kpis/shown'), shown: kpiShownSchema }),
]);

export type ToKpiView = z.infer<typeof toKpiViewSchema>;
export type FromKpiView = z.infer<typeof fromKpiViewSchema>;

export const MAX_FLAGS = 100;

/**
 * The result as the panel gets it: the per-run rows become a compact run list (1,000 runs would otherwise be a 1 MB
 * message to validate), timelines are left to the run panel, and the flags are capped (their total is sent).
 */
export function forKpiView(result: AnalysisResult): { result: AnalysisResult; runs: KpiViewRun[]; flagCount: number } {
  return {
    result: { ...result, kpis: [], contexts: [], timelines: [], flags: result.flags.slice(0, MAX_FLAGS) },
    runs: result.kpis.map((k) => ({ run_id: k.run_id, campaign: k.campaign_id, machine: k.machine, mode: k.mode, cache_policy: k.cache_policy, workflow: k.workflow })),
    flagCount: result.flags.length,
  };
}
export type KpiViewRun = { run_id: string; campaign: string | null; machine: string | null; mode: KpiRow['mode']; cache_policy: KpiRow['cache_policy']; workflow: string };
