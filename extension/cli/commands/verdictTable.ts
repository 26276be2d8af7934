import type { AnalysisResult } from '../../shared/kpi';

/** The comparison of the two modes as a terminal table, time KPIs first: what a reader of the demo wants first. */
export function printVerdicts(result: AnalysisResult, out: (line: string) => void): void {
  const rows = result.comparisons.filter((c) => c.kpi.endsWith('_time_s'));
  if (!rows.length) {
    out('no KPI has comparable runs in both modes (see the flags in the report)');
    return;
  }
  const f = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
  const table = rows.map((c) => [c.workflow, c.cache_policy, c.kpi, `${f(c.median_A_shared)} s (n=${c.n_A_shared})`, `${f(c.median_B_fast)} s (n=${c.n_B_fast})`, c.verdict]);
  const head = ['workflow', 'policy', 'kpi', 'A_shared median', 'B_fast median', 'verdict'];
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i]!))).join('  ');
  out(line(head));
  for (const r of table) out(line(r));
  if (result.flags.length) out(`${result.flags.length} flag(s): ${[...new Set(result.flags.map((x) => x.kind))].join(', ')} (listed in the report)`);
}
