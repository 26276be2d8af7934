import type { MarkerRow } from './markers';
import { percentile } from './statistics';

// Figures the run panel puts first, worked out from a run's own files (plain data; no Node, no DOM).

/** A timed step writes a marker named by its label with detail `#n 12.3 ms`; per label: count, p50, p95 (ms). */
export type StepStats = { name: string; n: number; p50_ms: number; p95_ms: number; max_ms: number };

const STEP_DETAIL = /^#\d+\s+(\d+(?:\.\d+)?)\s*ms\b/;

export function stepStats(markers: readonly MarkerRow[]): StepStats[] {
  const byName = new Map<string, number[]>();
  for (const m of markers) {
    const hit = STEP_DETAIL.exec(m.detail);
    if (!hit) continue;
    const list = byName.get(m.name) ?? [];
    list.push(Number(hit[1]));
    byName.set(m.name, list);
  }
  return [...byName].map(([name, ms]) => ({ name, n: ms.length, p50_ms: percentile(ms, 50), p95_ms: percentile(ms, 95), max_ms: Math.max(...ms) }));
}

type Step = { ok?: unknown; name?: unknown; step?: unknown; detail?: unknown };

/** What run.json says the cache policy did (Cold: each eviction step and its result; Warm: how it was warmed). */
export function cachePolicyEvidence(manifest: Record<string, unknown> | null): string[] {
  if (!manifest) return [];
  const out: string[] = [];
  const report = manifest.cache_policy_report as { ok?: unknown; steps?: Step[] } | undefined;
  if (report && typeof report === 'object') {
    out.push(`Cold policy ${report.ok === false ? 'FAILED' : 'applied'}`);
    for (const s of Array.isArray(report.steps) ? report.steps : []) {
      const what = typeof s.name === 'string' ? s.name : typeof s.step === 'string' ? s.step : 'step';
      out.push(`${s.ok === false ? '✗' : '✓'} ${what}${typeof s.detail === 'string' ? `: ${s.detail}` : ''}`);
    }
  }
  const warm = manifest.warm as { method?: unknown; by_run?: unknown; detail?: unknown } | undefined;
  if (warm && typeof warm === 'object') {
    const by = typeof warm.by_run === 'string' ? ` by run ${warm.by_run}` : '';
    const detail = typeof warm.detail === 'string' ? `: ${warm.detail}` : warm.detail && typeof warm.detail === 'object' ? `: ${JSON.stringify(warm.detail)}` : '';
    out.push(`Warm: ${String(warm.method ?? 'unknown method')}${by}${detail}`);
  }
  return out;
}
