import { applyCachePolicy, type PolicyReport } from '../../core/cache/cachePolicy';
import { FastcacheClient } from '../../standin/fastcache/fastcacheClient';
import type { StandinStack } from './standinStack';

/**
 * Cold for one stand-in mode, as a campaign's cache policy does it: A_shared evicts the NAS file from the
 * client's page cache; B_fast suspends fastcache, rotates its cache folder and resumes. Throws with the
 * failed steps' details.
 */
export async function standinCold(stack: Pick<StandinStack, 'paths' | 'endpoint'>, mode: 'A_shared' | 'B_fast'): Promise<PolicyReport> {
  let report: PolicyReport;
  if (mode === 'A_shared') report = await applyCachePolicy({ policy: 'Cold', mode: 'A_shared', dataFiles: [stack.paths.volumeA] });
  else {
    const client = await FastcacheClient.connect(stack.endpoint);
    try {
      report = await applyCachePolicy({
        policy: 'Cold',
        mode: 'B_fast',
        dataFiles: [stack.paths.volumeB],
        cacheFolder: stack.paths.cacheFolder,
        keepRotated: 0,
        service: {
          name: 'fastcache',
          stop: async () => (await client.call({ type: 'suspend' }, 'suspended'), 'suspended'),
          start: async () => (await client.call({ type: 'resume' }, 'resumed'), 'resumed'),
        },
      });
    } finally {
      client.close();
    }
  }
  if (!report.ok)
    throw new Error(
      `Cold ${mode}: ${report.steps
        .filter((s) => !s.ok)
        .map((s) => s.detail)
        .join('; ')}`,
    );
  return report;
}
