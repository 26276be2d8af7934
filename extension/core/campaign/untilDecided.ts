import { analyzeRuns } from '../analysis/analyze';
import { LocalRunStore } from '../analysis/runStore';
import type { FastbenchConfig } from '../../shared/config';
import type { CampaignState } from './campaignState';
import { buildPlan, type PlanEntry } from './plan';

export type Decision = { decided: boolean; blocks: number; undecided: string[]; message: string };

/**
 * After each block: are all compared time KPIs decided, i.e. is each ratio's 95 % CI narrower than the target
 * width (in ratio units: 0.10 = ±5 % around 1.00)? If not, and blocks remain, the next interleaved block is the
 * answer; otherwise nothing more, and `last` says why the campaign stopped.
 */
export function untilDecided(config: FastbenchConfig, o: { ciWidth: number; maxBlocks: number; onDecision: (d: Decision) => void }) {
  return async (state: CampaignState, block: number): Promise<PlanEntry[] | undefined> => {
    const { result } = await analyzeRuns([new LocalRunStore(state.folder)], {});
    const rows = result.comparisons.filter((c) => c.kpi.endsWith('_time_s'));
    const undecided = rows
      .filter((c) => c.ci95_low === null || c.ci95_high === null || c.ci95_high - c.ci95_low > o.ciWidth)
      .map((c) => `${c.workflow} ${c.cache_policy} ${c.kpi} (${c.ci95_low === null ? 'n < 3' : `CI ${c.ci95_low.toFixed(2)}–${c.ci95_high!.toFixed(2)}`})`);
    const decided = rows.length > 0 && undecided.length === 0;
    const width = `${Math.round(o.ciWidth * 100)} %`;
    if (decided) {
      o.onDecision({ decided, blocks: block, undecided, message: `decided after ${block} block(s): every ratio's 95 % CI is narrower than ${width}` });
      return undefined;
    }
    if (block >= o.maxBlocks) {
      o.onDecision({
        decided,
        blocks: block,
        undecided,
        message: `stopped at the maximum of ${o.maxBlocks} block(s) with ${undecided.length} KPI(s) still wider than ${width}: ${undecided.join('; ')}`,
      });
      return undefined;
    }
    o.onDecision({ decided, blocks: block, undecided, message: `after block ${block}: ${undecided.length} KPI(s) wider than ${width}; running block ${block + 1}` });
    return buildPlan(config, { repeats: 1, firstBlock: block + 1 });
  };
}
