import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { runCampaign, type CampaignOutcome, type CampaignProgress } from '../../extension/core/campaign/campaign';
import { loadConfig } from '../../extension/core/config/configFile';
import { DriverClient } from '../../extension/core/driver/driverClient';
import { AGENT_NODE_FLAGS } from '../../extension/core/metrics/agentClient';
import type { Logger } from '../../extension/core/ports/logger';
import { lane, laneUnavailable } from './lane';

/** Why a campaign cannot run in this lane (no Wine lane, or no metrics agent bundle), or undefined. */
export function laneCampaignUnavailable(): string | undefined {
  const why = laneUnavailable();
  if (why) return why;
  if (!existsSync(lane.agent)) return `no metrics agent bundle at ${lane.agent} (node esbuild.mjs --only=agent)`;
  return undefined;
}

/** Writes `config` to `file` and runs its campaign in-process with the lane's driver and agent bundles (Windows node.exe). */
export async function runLaneCampaign(file: string, config: unknown, runsRoot: string, log: Logger, progress: (p: CampaignProgress) => void = () => {}): Promise<CampaignOutcome> {
  writeFileSync(file, JSON.stringify(config, null, 2));
  return runCampaign({
    loaded: await loadConfig(file),
    configText: readFileSync(file, 'utf8'),
    runsRoot,
    startDriver: () => DriverClient.start({ command: [process.execPath, lane.driver], log }),
    env: process.env,
    // This bundle lives in dist/test/wine; the agent bundle is dist/agent.js.
    agentCommand: [process.execPath, ...AGENT_NODE_FLAGS, lane.agent],
    log,
    signal: new AbortController().signal,
    progress,
  });
}
