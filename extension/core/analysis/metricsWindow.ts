import type { MetricsColumn } from '../../shared/metrics';
import { percentileSorted } from '../../shared/statistics';
import { forEachLine } from './lines';
import { Float64List, RowProblems, shown } from './rowProblems';

// metrics.csv streamed once: only the rows inside the run window are kept, and of those only the columns the KPIs
// and the timeline use. Columns are found by header name (the contract), so a later version's extra columns or a
// different order do no harm. A row is malformed when its cell count differs from the header's, when t_unix_ms is
// not an integer, or (inside the window) when a used cell is neither empty nor a finite number.

const USED = ['cpu_pct', 'proc_cpu_pct', 'gpu_util_pct', 'proc_read_bps'] as const satisfies readonly MetricsColumn[];

export type MetricsWindow = {
  rows: number;
  windowRows: number;
  cpu_mean: number | null;
  proc_cpu_mean: number | null;
  gpu_mean: number | null;
  read_MB_s_p95: number | null;
  /** Downsampled (bucket means) rows of the window, for the timeline chart. */
  timeline: { t_unix_ms: number[]; cpu_pct: (number | null)[]; proc_cpu_pct: (number | null)[]; read_MB_s: (number | null)[] };
  /** Set when the file could not be used at all (no or wrong header). */
  unusable?: string;
};

export const TIMELINE_POINTS = 300;

/** [from, to] inclusive in t_unix_ms; to = null runs to the last row. from = null: no window (KPIs stay empty). */
export async function readMetricsWindow(chunks: AsyncIterable<Buffer>, window: { from: number | null; to: number | null }, problems: RowProblems): Promise<MetricsWindow> {
  const from = window.from ?? Infinity;
  const to = window.to ?? Infinity;
  let header: string[] | undefined;
  let iT = -1;
  const idx: number[] = [];
  let columns = 0;
  let rows = 0;
  const sums = [0, 0, 0];
  const counts = [0, 0, 0];
  const reads = new Float64List();
  const tl = { t: new Float64List(), cpu: new Float64List(), proc: new Float64List(), read: new Float64List() };
  let unusable: string | undefined;

  await forEachLine(chunks, (line, lineNo) => {
    if (header === undefined) {
      header = line.replace(/^\uFEFF/, '').split(',');
      columns = header.length;
      iT = header.indexOf('t_unix_ms');
      for (const c of USED) idx.push(header.indexOf(c));
      if (iT < 0) unusable = `${problems.file}:1: expected a header naming t_unix_ms, found ${shown(line)}`;
      return;
    }
    if (unusable || line === '') return;
    rows++;
    const cells = line.split(',');
    if (cells.length !== columns) {
      problems.add(lineNo, `expected ${columns} comma-separated cells as in the header, found ${cells.length}`);
      return;
    }
    const tCell = cells[iT]!;
    const t = +tCell;
    if (tCell === '' || !Number.isInteger(t) || t < 0) {
      problems.add(lineNo, `t_unix_ms: expected an integer ≥ 0, found ${shown(tCell)}`);
      return;
    }
    if (t < from || t > to) return;
    const v = [NaN, NaN, NaN, NaN];
    for (let k = 0; k < 4; k++) {
      const i = idx[k]!;
      if (i < 0) continue;
      const cell = cells[i]!;
      if (cell === '') continue;
      const x = +cell;
      if (!Number.isFinite(x)) {
        problems.add(lineNo, `${USED[k]}: expected a number or an empty cell, found ${shown(cell)}`);
        return;
      }
      v[k] = x;
    }
    for (let k = 0; k < 3; k++) {
      if (!Number.isNaN(v[k]!)) {
        sums[k]! += v[k]!;
        counts[k]!++;
      }
    }
    const readMBs = v[3]! / 1e6;
    if (!Number.isNaN(readMBs)) reads.push(readMBs);
    tl.t.push(t);
    tl.cpu.push(v[0]!);
    tl.proc.push(v[1]!);
    tl.read.push(readMBs);
  });

  if (header === undefined) unusable = `${problems.file} is empty`;
  const mean = (k: number) => (window.from !== null && counts[k]! > 0 ? sums[k]! / counts[k]! : null);
  const sortedReads = reads.view().sort();
  return {
    rows,
    windowRows: window.from === null ? 0 : tl.t.length,
    cpu_mean: mean(0),
    proc_cpu_mean: mean(1),
    gpu_mean: mean(2),
    read_MB_s_p95: window.from !== null && sortedReads.length > 0 ? percentileSorted(sortedReads, 95) : null,
    timeline: downsample(tl.t.view(), [tl.cpu.view(), tl.proc.view(), tl.read.view()]),
    ...(unusable ? { unusable } : {}),
  };
}

/** At most TIMELINE_POINTS points: each is the mean of a run of consecutive rows (empty cells ignored). */
function downsample(t: Float64Array, series: Float64Array[]): MetricsWindow['timeline'] {
  const n = t.length;
  const buckets = Math.min(n, TIMELINE_POINTS);
  const out = { t_unix_ms: [] as number[], cpu_pct: [] as (number | null)[], proc_cpu_pct: [] as (number | null)[], read_MB_s: [] as (number | null)[] };
  const targets = [out.cpu_pct, out.proc_cpu_pct, out.read_MB_s];
  for (let b = 0; b < buckets; b++) {
    const lo = Math.floor((b * n) / buckets);
    const hi = Math.floor(((b + 1) * n) / buckets);
    out.t_unix_ms.push(t[lo]!);
    series.forEach((s, k) => {
      let sum = 0;
      let c = 0;
      for (let i = lo; i < hi; i++) {
        const x = s[i]!;
        if (!Number.isNaN(x)) {
          sum += x;
          c++;
        }
      }
      targets[k]!.push(c ? Math.round((sum / c) * 1000) / 1000 : null);
    });
  }
  return out;
}
