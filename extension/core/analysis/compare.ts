import { COMPARED_KPIS, DURATION_KPIS, coldDidNotHold, type ComparedKpi, type ComparisonRow, type KpiRow, type ModeSummary, type RunFlag } from '../../shared/kpi';
import type { CachePolicy, Mode } from '../../shared/names';
import {
  BOOTSTRAP_RESAMPLES,
  BOOTSTRAP_SEED,
  MAD_NORMAL_SCALE,
  bootstrapRatioOfMedians,
  mad,
  madOutliers,
  mannWhitneyU,
  median,
  medianCi,
  smallestExactP,
} from '../../shared/statistics';

// A vs B per (machine, workflow, cache policy, KPI). Which runs count, and how the verdict is worded, is the
// README's "Analysis" section; the numbers come from the one statistics module.

export const MIN_RUNS = 3;
export const ALPHA = 0.05;
export const POOLED_MACHINE = 'all machines';

/**
 * complete, not a warm-up, not read from the other mode's storage ("none" = no evidence: kept, flagged), and
 * not a B_fast "Cold" run that FAST served entirely from its cache.
 */
export function isComparable(k: KpiRow): boolean {
  return k.status === 'complete' && !k.warmup && k.source_matches_mode !== false && !coldDidNotHold(k);
}

const formatP = (p: number) => (p < 0.0001 ? 'p < 0.0001' : `p = ${Number(p.toPrecision(2))}`);
const pct = (x: number) => `${Math.round(x * 100)} %`;

export function verdictFor(kpi: ComparedKpi, nA: number, nB: number, ratio: number | null, low: number | null, high: number | null, p: number | null): string {
  const n = `n = ${nA} vs ${nB}`;
  if (nA < MIN_RUNS || nB < MIN_RUNS) return `too few runs (n < ${MIN_RUNS}): ${nA} vs ${nB}`;
  if (ratio === null || low === null || high === null || p === null) return `no ratio: the A_shared median is 0 (${n})`;
  const clear = p < ALPHA && (low > 1 || high < 1);
  if (!clear) {
    const floor = smallestExactP(nA, nB);
    const note = floor >= ALPHA ? `; ${nA} vs ${nB} runs cannot reach p < ${ALPHA}, add runs` : '';
    return `no detectable difference (${formatP(p)}, ${n}${note})`;
  }
  const duration = DURATION_KPIS.includes(kpi);
  if (ratio >= 1) return `B_fast is ${pct(ratio - 1)} ${duration ? 'slower' : 'higher'} [${pct(low - 1)}, ${pct(high - 1)}], ${formatP(p)}, ${n}`;
  return `B_fast is ${pct(1 - ratio)} ${duration ? 'faster' : 'lower'} [${pct(1 - high)}, ${pct(1 - low)}], ${formatP(p)}, ${n}`;
}

type Group = { machine: string; workflow: string; cache_policy: CachePolicy; runs: KpiRow[] };

function groups(kpis: KpiRow[], pooled: boolean): Group[] {
  const map = new Map<string, Group>();
  for (const k of kpis) {
    const machine = pooled ? POOLED_MACHINE : (k.machine ?? 'unknown machine');
    const key = JSON.stringify([machine, k.workflow, k.cache_policy]);
    const g = map.get(key) ?? { machine, workflow: k.workflow, cache_policy: k.cache_policy, runs: [] };
    g.runs.push(k);
    map.set(key, g);
  }
  const policyOrder = (p: string) => (p === 'Cold' ? 0 : 1);
  return [...map.values()].sort((a, b) => a.machine.localeCompare(b.machine) || a.workflow.localeCompare(b.workflow) || policyOrder(a.cache_policy) - policyOrder(b.cache_policy));
}

const valuesOf = (runs: KpiRow[], mode: Mode, kpi: ComparedKpi) => runs.filter((r) => r.mode === mode && r[kpi] !== null).map((r) => ({ run: r, v: r[kpi] as number }));

const tidy = (v: number) => Math.round(v * 1e6) / 1e6;

export function compareModes(
  kpis: KpiRow[],
  opts: { pooled: boolean; resamples?: number; seed?: number; folders?: Map<string, string> },
): { comparisons: ComparisonRow[]; summaries: ModeSummary[]; outliers: RunFlag[] } {
  const resamples = opts.resamples ?? BOOTSTRAP_RESAMPLES;
  const seed = opts.seed ?? BOOTSTRAP_SEED;
  const comparisons: ComparisonRow[] = [];
  const summaries: ModeSummary[] = [];
  const outliers: RunFlag[] = [];
  for (const g of groups(kpis.filter(isComparable), opts.pooled)) {
    for (const kpi of COMPARED_KPIS) {
      const side = { A_shared: valuesOf(g.runs, 'A_shared', kpi), B_fast: valuesOf(g.runs, 'B_fast', kpi) };
      for (const mode of ['A_shared', 'B_fast'] as const) {
        const vs = side[mode].map((x) => x.v);
        if (vs.length === 0) continue;
        const ci = medianCi(vs);
        summaries.push({
          machine: g.machine,
          workflow: g.workflow,
          cache_policy: g.cache_policy,
          mode,
          kpi,
          n: vs.length,
          median: tidy(median(vs)),
          ci95_low: ci && tidy(ci.low),
          ci95_high: ci && tidy(ci.high),
        });
        const m = median(vs);
        const d = mad(vs);
        for (const i of madOutliers(vs)) {
          const { run, v } = side[mode][i]!;
          outliers.push({
            run_id: run.run_id,
            folder: opts.folders?.get(run.run_id) ?? '',
            kind: 'outlier',
            detail: `${kpi} ${v} is ${(Math.abs(v - m) / (MAD_NORMAL_SCALE * d)).toFixed(1)} scaled MADs from the median ${tidy(m)} of ${vs.length} ${mode} runs (${g.machine} · ${g.workflow} · ${g.cache_policy}); kept, medians are robust to it`,
          });
        }
      }
      const a = side.A_shared.map((x) => x.v);
      const b = side.B_fast.map((x) => x.v);
      if (a.length === 0 || b.length === 0) continue;
      const medA = median(a);
      const medB = median(b);
      const enough = a.length >= MIN_RUNS && b.length >= MIN_RUNS;
      const ratio = medA !== 0 ? medB / medA : null;
      const ci = enough && ratio !== null ? bootstrapRatioOfMedians(a, b, { resamples, seed }) : null;
      const p = enough ? mannWhitneyU(a, b).pValue : null;
      const ciOk = ci && Number.isFinite(ci.low) && Number.isFinite(ci.high) ? ci : null;
      comparisons.push({
        machine: g.machine,
        workflow: g.workflow,
        cache_policy: g.cache_policy,
        kpi,
        n_A_shared: a.length,
        median_A_shared: tidy(medA),
        n_B_fast: b.length,
        median_B_fast: tidy(medB),
        ratio_B_over_A: ratio === null ? null : tidy(ratio),
        ci95_low: ciOk && tidy(ciOk.low),
        ci95_high: ciOk && tidy(ciOk.high),
        p_value: p,
        verdict: verdictFor(kpi, a.length, b.length, ratio, ciOk?.low ?? null, ciOk?.high ?? null, p),
        values_A_shared: a,
        values_B_fast: b,
      });
    }
  }
  return { comparisons, summaries, outliers };
}
