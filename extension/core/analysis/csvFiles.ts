import { COMPARISON_COLUMNS, FAST_KPI_COLUMNS, KPI_COLUMNS, type AnalysisResult, type ComparisonRow, type KpiRow } from '../../shared/kpi';

// kpis.csv and comparison_kpis.csv: RFC 4180 (comma, "\r\n"-free "\n" lines, quotes doubled), empty cell = not
// measured. Numbers are written as JavaScript prints them after rounding to 6 decimals (p-values to 6 significant
// digits), so the same input gives byte-identical files wherever it is analysed.

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function kpisCsv(result: AnalysisResult): string {
  const columns: (keyof KpiRow)[] = [...KPI_COLUMNS, ...(result.has_fast_columns ? FAST_KPI_COLUMNS : [])];
  const lines = [columns.join(',')];
  for (const row of result.kpis) lines.push(columns.map((c) => cell(row[c])).join(','));
  return `${lines.join('\n')}\n`;
}

export function comparisonCsv(result: AnalysisResult): string {
  const lines: string[] = [COMPARISON_COLUMNS.join(',')];
  for (const row of result.comparisons) {
    lines.push(
      COMPARISON_COLUMNS.map((c) => {
        const v = row[c as keyof ComparisonRow];
        return c === 'p_value' && typeof v === 'number' ? cell(Number(v.toPrecision(6))) : cell(v);
      }).join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}
