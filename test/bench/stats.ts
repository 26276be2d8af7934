import { median, percentile } from '../../extension/shared/statistics';

// The benches summarise with the one statistics module (extension/shared/statistics.ts: numpy-linear percentiles),
// so a bench's p99 and the agent's agent.json p99 mean the same thing.
export { median, percentile };

/** "goal …: met" or "goal …: MISSED", so a bench says in words when it fell short. */
export const goal = (what: string, met: boolean) => `goal ${what}: ${met ? 'met' : 'MISSED'}`;

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
