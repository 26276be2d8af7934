import { explainCost, standinModeCost } from '../../core/netprofile/costModel';
import type { NetProfile } from '../../core/netprofile/profiles';
import type { AnalysisResult } from '../../shared/kpi';
import { headerFor, type VolumeSpec } from '../../standin/volume/generate';
import { VolumeLayout } from '../../standin/volume/volumeFormat';

/**
 * The demo's --explain view: for open and scrub of W_scrub100, each mode's Cold median beside what the network
 * model says it should cost (its Warm median as the compute term, plus the bricks it must fetch over its link).
 * A figure the network cannot explain stands out.
 */
export function explainDemo(result: AnalysisResult, spec: VolumeSpec, links: { nas: NetProfile; wan: NetProfile }, inlines: number): string[] {
  const layout = new VolumeLayout(headerFor(spec));
  const rowBricks = layout.bricks[1] * layout.bricks[2];
  const lines = [
    `model (extension/core/netprofile/costModel.ts): compute + waves × RTT + bytes / rate; NAS ${links.nas.name} ${links.nas.rttMs} ms ${links.nas.mbps} Mbit/s, WAN ${links.wan.name} ${links.wan.rttMs} ms ${links.wan.mbps} Mbit/s`,
  ];
  const kpis = [
    { kpi: 'open_time_s', bricks: rowBricks },
    { kpi: 'scrub_time_s', bricks: Math.floor(inlines / spec.brickSize) * rowBricks },
  ] as const;
  for (const { kpi, bricks } of kpis) {
    const row = (policy: 'Cold' | 'Warm') => result.comparisons.find((c) => c.workflow === 'W_scrub100' && c.cache_policy === policy && c.kpi === kpi);
    const cold = row('Cold');
    const warm = row('Warm');
    if (!cold || !warm) {
      lines.push(`${kpi}: not enough runs in both modes and policies to explain`);
      continue;
    }
    for (const mode of ['A_shared', 'B_fast'] as const) {
      const warmMs = (mode === 'A_shared' ? warm.median_A_shared : warm.median_B_fast) * 1000;
      const coldMs = (mode === 'A_shared' ? cold.median_A_shared : cold.median_B_fast) * 1000;
      const model = standinModeCost({ mode, policy: 'Cold', computeMs: warmMs, bricks, brickBytes: layout.brickBytes, ...links });
      lines.push(explainCost(`${mode} Cold ${kpi} (${bricks} bricks to fetch)`, model, coldMs));
    }
  }
  return lines;
}
