import type { MetricsColumn } from '../../shared/metrics';
import { percentileSorted } from '../../shared/statistics';
import { forEachLineRange } from './lines';
import { Float64List, RowProblems, shown } from './rowProblems';

// metrics.csv streamed once: only the rows inside the run window are kept, and of those only the columns the KPIs
// and the timeline use. Columns are found by header name (the contract), so a later version's extra columns or a
// different order do no harm. A row is malformed when its cell count differs from the header's, when t_unix_ms is
// not an integer, or (inside the window) when a used cell is neither empty nor a finite number.

const USED = ['cpu_pct', 'proc_cpu_pct', 'gpu_util_pct', 'proc_read_bps', 'ram_used_mb'] as const satisfies readonly MetricsColumn[];

export type MetricsWindow = {
  rows: number;
  windowRows: number;
  cpu_mean: number | null;
  proc_cpu_mean: number | null;
  gpu_mean: number | null;
  read_MB_s_p95: number | null;
  /** Downsampled (bucket means) rows of the window, for the timeline chart. */
  timeline: Timeline;
  /** Set when the file could not be used at all (no or wrong header). */
  unusable?: string;
};

type Timeline = {
  t_unix_ms: number[];
  cpu_pct: (number | null)[];
  proc_cpu_pct: (number | null)[];
  read_MB_s: (number | null)[];
  gpu_pct: (number | null)[];
  ram_used_mb: (number | null)[];
};

export const TIMELINE_POINTS = 300;

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * A decimal cell as Number() reads it, without making a string: for up to 15 digits and 22 decimals the integer
 * mantissa and the power of ten are exact doubles, so one division gives the correctly rounded value (Clinger's fast
 * path), identical to Number(). Anything else (exponents, spaces, junk) goes to Number() itself.
 */
export function parseDecimal(text: string, s: number, e: number): number {
  let i = s;
  const neg = text.charCodeAt(i) === 45;
  if (neg) i++;
  let m = 0;
  let digits = 0;
  let frac = 0;
  let dot = false;
  for (; i < e; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (dot) frac++;
    } else if (c === 46 && !dot) dot = true;
    else return Number(text.slice(s, e));
  }
  if (digits === 0 || digits > 15 || frac > 22) return Number(text.slice(s, e));
  const x = frac ? m / POW10[frac]! : m;
  return neg ? -x : x;
}

/** One pass over metrics.csv, a line at a time; a class so the hot path works on fields, not closure slots. */
class MetricsWindowReader {
  header: string[] | undefined;
  unusable: string | undefined;
  private iT = -1;
  private columns = 0;
  /** Which used metric (0..4, USED order) each cell feeds, -1 for none. */
  private role = new Int8Array(0);
  rows = 0;
  readonly sums = new Float64Array(3);
  readonly counts = new Float64Array(3);
  readonly reads = new Float64List();
  readonly tl = { t: new Float64List(), cpu: new Float64List(), proc: new Float64List(), read: new Float64List(), gpu: new Float64List(), ram: new Float64List() };

  constructor(
    private readonly from: number,
    private readonly to: number,
    private readonly problems: RowProblems,
  ) {}

  line(text: string, s: number, e: number, lineNo: number): void {
    if (this.header === undefined) return this.readHeader(text.slice(s, e));
    if (this.unusable !== undefined || s === e) return;
    this.rows++;
    const role = this.role;
    const iT = this.iT;
    let t = NaN;
    let v0 = NaN;
    let v1 = NaN;
    let v2 = NaN;
    let v3 = NaN;
    let v4 = NaN;
    let bad = -1;
    let cell = 0;
    let cs = s;
    // One pass over the commas: count the cells, parse only t_unix_ms and the used cells, in place.
    for (;;) {
      let ce = text.indexOf(',', cs);
      if (ce < 0 || ce > e) ce = e;
      if (cell === iT) t = cs === ce ? NaN : parseDecimal(text, cs, ce);
      else if (cell < role.length && cs !== ce) {
        const r = role[cell]!;
        if (r >= 0) {
          const x = parseDecimal(text, cs, ce);
          if (x - x !== 0) bad = bad < 0 ? cell : bad;
          else if (r === 0) v0 = x;
          else if (r === 1) v1 = x;
          else if (r === 2) v2 = x;
          else if (r === 3) v3 = x;
          else v4 = x;
        }
      }
      cell++;
      if (ce === e) break;
      cs = ce + 1;
    }
    if (cell !== this.columns) return this.problems.add(lineNo, `expected ${this.columns} comma-separated cells as in the header, found ${cell}`);
    if (!Number.isInteger(t) || t < 0) return this.problems.add(lineNo, `t_unix_ms: expected an integer ≥ 0, found ${shown(cellText(text, s, e, iT))}`);
    if (t < this.from || t > this.to) return;
    if (bad >= 0) return this.problems.add(lineNo, `${this.header[bad]}: expected a number or an empty cell, found ${shown(cellText(text, s, e, bad))}`);
    if (!Number.isNaN(v0)) {
      this.sums[0]! += v0;
      this.counts[0]!++;
    }
    if (!Number.isNaN(v1)) {
      this.sums[1]! += v1;
      this.counts[1]!++;
    }
    if (!Number.isNaN(v2)) {
      this.sums[2]! += v2;
      this.counts[2]!++;
    }
    const readMBs = v3 / 1e6;
    if (!Number.isNaN(readMBs)) this.reads.push(readMBs);
    this.tl.t.push(t);
    this.tl.cpu.push(v0);
    this.tl.proc.push(v1);
    this.tl.read.push(readMBs);
    this.tl.gpu.push(v2);
    this.tl.ram.push(v4);
  }

  private readHeader(line: string): void {
    const header = line.replace(/^\uFEFF/, '').split(',');
    this.header = header;
    this.columns = header.length;
    this.iT = header.indexOf('t_unix_ms');
    this.role = new Int8Array(header.length).fill(-1);
    USED.forEach((c, k) => {
      const i = header.indexOf(c);
      if (i >= 0) this.role[i] = k;
    });
    if (this.iT < 0) this.unusable = `${this.problems.file}:1: expected a header naming t_unix_ms, found ${shown(line)}`;
  }
}

function cellText(text: string, s: number, e: number, index: number): string {
  let cs = s;
  for (let c = 0; c < index; c++) cs = text.indexOf(',', cs) + 1;
  const ce = text.indexOf(',', cs);
  return text.slice(cs, ce < 0 || ce > e ? e : ce);
}

/** [from, to] inclusive in t_unix_ms; to = null runs to the last row. from = null: no window (KPIs stay empty). */
export async function readMetricsWindow(chunks: AsyncIterable<Buffer>, window: { from: number | null; to: number | null }, problems: RowProblems): Promise<MetricsWindow> {
  const reader = new MetricsWindowReader(window.from ?? Infinity, window.to ?? Infinity, problems);
  await forEachLineRange(chunks, (text, s, e, lineNo) => reader.line(text, s, e, lineNo));
  const unusable = reader.header === undefined ? `${problems.file} is empty` : reader.unusable;
  const { sums, counts, tl } = reader;
  const mean = (k: number) => (window.from !== null && counts[k]! > 0 ? sums[k]! / counts[k]! : null);
  const sortedReads = reader.reads.view().sort();
  return {
    rows: reader.rows,
    windowRows: window.from === null ? 0 : tl.t.length,
    cpu_mean: mean(0),
    proc_cpu_mean: mean(1),
    gpu_mean: mean(2),
    read_MB_s_p95: window.from !== null && sortedReads.length > 0 ? percentileSorted(sortedReads, 95) : null,
    timeline: downsample(tl.t.view(), [tl.cpu.view(), tl.proc.view(), tl.read.view(), tl.gpu.view(), tl.ram.view()]),
    ...(unusable ? { unusable } : {}),
  };
}

/** At most TIMELINE_POINTS points: each is the mean of a run of consecutive rows (empty cells ignored). */
function downsample(t: Float64Array, series: Float64Array[]): MetricsWindow['timeline'] {
  const n = t.length;
  const buckets = Math.min(n, TIMELINE_POINTS);
  const out: Timeline = { t_unix_ms: [], cpu_pct: [], proc_cpu_pct: [], read_MB_s: [], gpu_pct: [], ram_used_mb: [] };
  const targets = [out.cpu_pct, out.proc_cpu_pct, out.read_MB_s, out.gpu_pct, out.ram_used_mb];
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
