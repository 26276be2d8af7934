import type { LatencyStats } from '../../shared/baseline';

/** Nearest-rank percentile: always a sample that was really observed. */
export function nearestRank(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function latencyStats(samplesMs: number[]): LatencyStats {
  if (samplesMs.length === 0) throw new Error('no samples');
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const r = (v: number) => Math.round(v * 1000) / 1000;
  return {
    n: sorted.length,
    p50: r(nearestRank(sorted, 50)),
    p95: r(nearestRank(sorted, 95)),
    p99: r(nearestRank(sorted, 99)),
    min: r(sorted[0]!),
    max: r(sorted[sorted.length - 1]!),
    samplesMs: samplesMs.map(r),
  };
}
