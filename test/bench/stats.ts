/** Percentile by linear interpolation between closest ranks; NaN for no data. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export const median = (values: number[]) => percentile(values, 50);

export function summary(values: number[], unit: string, digits = 2): string {
  const f = (v: number) => v.toFixed(digits);
  return `p50 ${f(percentile(values, 50))} ${unit}, p95 ${f(percentile(values, 95))} ${unit}, p99 ${f(percentile(values, 99))} ${unit}, max ${f(Math.max(...values))} ${unit} (n=${values.length})`;
}

/** CPU seconds (user+system) and RSS of a Linux process, from /proc. */
export function procUsage(pid: number): { cpuS: number; rssMiB: number } {
  const fs = require('node:fs') as typeof import('node:fs');
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return { cpuS: ticks / 100, rssMiB: rssKb / 1024 };
}
