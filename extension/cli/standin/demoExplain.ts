import { explainCost, scrubNewRows, standinModeCost } from '../../core/netprofile/costModel';
import { READAHEAD_WINDOW_MIB } from '../../standin/fastcache/daemon';
import { calibrationFile, loadCalibration } from './pathCalibration';
import { standinStartInline } from './standinStack';
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
  // A calibration made on bricks of another size measured another path: not applied.
  const saved = loadCalibration();
  const service = saved && saved.brickBytes === layout.brickBytes ? saved : undefined;
  const newRows = scrubNewRows(standinStartInline(spec, inlines), inlines, spec.brickSize, spec.dims[0]);
  const windowBricks = Math.min(rowBricks, Math.floor((READAHEAD_WINDOW_MIB * 1024 * 1024) / layout.brickBytes));
  const lines = [
    `model (extension/core/netprofile/costModel.ts): compute + waves × RTT + bytes / rate + misses × service; NAS ${links.nas.name} ${links.nas.rttMs} ms ${links.nas.mbps} Mbit/s, WAN ${links.wan.name} ${links.wan.rttMs} ms ${links.wan.mbps} Mbit/s`,
    service
      ? `service per missed brick (calibrated ${service.at} by bench:realism, ${calibrationFile()}): A_shared ${service.A_shared.toFixed(2)} ms, B_fast ${service.B_fast.toFixed(2)} ms`
      : saved
        ? `service per missed brick: the calibration in ${calibrationFile()} was made on ${saved.brickBytes}-byte bricks, this volume's are ${layout.brickBytes}: counted as 0 (run npm run bench:realism again)`
        : `service per missed brick: not calibrated on this machine (run npm run bench:realism once): counted as 0`,
  ];
  const kpis = [
    { kpi: 'open_time_s', bricks: rowBricks, prefetched: 0 },
    { kpi: 'scrub_time_s', bricks: newRows * rowBricks, prefetched: newRows * windowBricks },
  ] as const;
  for (const { kpi, bricks, prefetched } of kpis) {
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
      const model = standinModeCost({ mode, policy: 'Cold', computeMs: warmMs, bricks, prefetched, brickBytes: layout.brickBytes, ...links, ...(service ? { service } : {}) });
      lines.push(explainCost(`${mode} Cold ${kpi} (${model.misses} bricks to fetch)`, model, coldMs));
    }
  }
  return lines;
}
