import type { LatencyStats } from '../../shared/baseline';
import { percentileSorted } from '../../shared/statistics';

// Percentiles as extension/shared/statistics.ts defines them (numpy linear), like every other figure FastBench prints.

export function latencyStats(samplesMs: number[]): LatencyStats {
  if (samplesMs.length === 0) throw new Error('no samples');
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const r = (v: number) => Math.round(v * 1000) / 1000;
  return {
    n: sorted.length,
    p50: r(percentileSorted(sorted, 50)),
    p95: r(percentileSorted(sorted, 95)),
    p99: r(percentileSorted(sorted, 99)),
    min: r(sorted[0]!),
    max: r(sorted[sorted.length - 1]!),
    samplesMs: samplesMs.map(r),
  };
}
