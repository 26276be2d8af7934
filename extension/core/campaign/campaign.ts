import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { SessionFacts } from '../../shared/driverProtocol';
import type { LoadedConfig } from '../config/configFile';
import type { DriverClient } from '../driver/driverClient';
import type { Logger } from '../ports/logger';
import { CampaignState } from './campaignState';
import { buildPlan, estimateSeconds, type PlanEntry } from './plan';
import { markInterrupted } from './interruptedRun';
import { preflight } from './preflight';
import { collectRunEnvironment, type RunEnvironment } from './runEnvironment';
import { modeValues, runOne, type RunResult } from './runOne';

export type CampaignProgress = {
  done: number;
  total: number;
  entry: PlanEntry;
  result?: RunResult;
  /** Seconds left, from the runs finished so far (null until one has). */
  etaS: number | null;
  message: string;
};

export type CampaignOptions = {
  loaded: LoadedConfig;
  configText: string;
  runsRoot: string;
  /** Resume this campaign folder instead of starting one. */
  resume?: string;
  startDriver: () => Promise<DriverClient>;
  env: NodeJS.ProcessEnv;
  toolEnv?: NodeJS.ProcessEnv;
  /** The metrics agent's command, when dist/agent.js is not beside the running bundle (RunContext.agentCommand). */
  agentCommand?: string[];
  log: Logger;
  signal: AbortSignal;
  progress: (p: CampaignProgress) => void;
  /** Called after each block; more entries to run (an adaptive campaign) or nothing. */
  afterBlock?: (state: CampaignState, block: number) => Promise<PlanEntry[] | undefined>;
};

/** The campaign was refused before anything launched; each problem names the file and field. */
export class PreflightError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'PreflightError';
  }
}

export type CampaignOutcome = { folder: string; id: string; results: RunResult[]; state: CampaignState; interrupted: boolean };

export const configDigest = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

export function newCampaignId(now = new Date()): string {
  return `campaign-${now.toISOString().replace(/[:.]/g, '-').slice(0, 19)}`;
}

/** The plan with a rough time, for --dry-run and the confirmation in VS Code. */
export function describePlan(loaded: LoadedConfig): { plan: PlanEntry[]; estimateS: number } {
  const plan = buildPlan(loaded.config);
  return { plan, estimateS: estimateSeconds(plan, loaded.config.workflows) };
}

/**
 * Seconds left: each pending run at the mean time of the finished runs of its workflow (a scrub of 100 inlines
 * takes many times a single attribute step), or of all finished runs when its workflow has none yet.
 */
function etaSeconds(pending: PlanEntry[], done: Map<string, number[]>): number | null {
  const all = [...done.values()].flat();
  if (!all.length) return null;
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  return pending.reduce((t, e) => t + mean(done.get(e.workflow.name) ?? all), 0);
}

/**
 * Runs a campaign: every plan entry that is not done yet, one at a time, through one driver. A run that fails
 * is recorded with its reason and the campaign goes on; an interrupt (Ctrl-C, Cancel) ends the current run
 * cleanly, marks it aborted and stops. campaign.json is rewritten after every state change.
 */
export async function runCampaign(o: CampaignOptions): Promise<CampaignOutcome> {
  const digest = configDigest(o.configText);
  let state: CampaignState;
  if (o.resume) {
    state = CampaignState.load(o.resume);
    if (state.digest !== digest) {
      throw new Error(
        `${o.resume}: the campaign was planned with another fastbench.json (digest ${state.digest.slice(7, 19)}…, now ${digest.slice(7, 19)}…); runs would not be comparable — start a new campaign`,
      );
    }
    for (const { entry, attempt } of state.interrupted()) {
      const reason = 'interrupted: the campaign process stopped during this run (killed, crashed or rebooted); run again on resume';
      const reaped = markInterrupted(attempt.folder, reason);
      if (reaped) o.log.info(reaped);
      state.record(entry.index, { ...attempt, status: 'aborted', reason });
      o.log.warn(`run ${entry.index + 1} (${attempt.run_id}) was interrupted; it runs again`);
    }
  } else {
    const plan = buildPlan(o.loaded.config);
    const problems = await preflight(o.loaded, plan);
    if (problems.length) throw new PreflightError(problems);
    const id = newCampaignId();
    const folder = path.join(o.runsRoot, id);
    mkdirSync(folder, { recursive: true });
    state = CampaignState.create(folder, { campaign_id: id, config_file: o.loaded.file, config_digest: digest, plan });
  }
  if (o.resume) {
    const problems = await preflight(o.loaded, state.pending());
    if (problems.length) throw new PreflightError(problems);
  }
  const results: RunResult[] = [];
  const durations = new Map<string, number[]>();
  const driver = await o.startDriver();
  let interrupted = false;
  const session = () => driver.request('system/session', {}, 10_000);
  try {
    const environment = await campaignEnvironment(o, driver, session);
    for (let pending = state.pending(); pending.length; pending = state.pending()) {
      for (const entry of pending) {
        if (o.signal.aborted) break;
        const prevEntry = state.plan[entry.index - 1];
        const prevAttempt = prevEntry ? state.last(prevEntry.index) : undefined;
        const total = state.plan.length;
        const done = state.plan.length - state.pending().length;
        const etaS = etaSeconds(state.pending(), durations);
        o.progress({
          done,
          total,
          entry,
          etaS,
          message: `run ${entry.index + 1}/${total}: ${entry.mode} ${entry.policy} ${entry.workflow.name} #${entry.repeat}${entry.warmup ? ' (warm-up)' : ''}`,
        });
        const result = await runOne(
          {
            config: o.loaded.config,
            configDir: o.loaded.dir,
            configText: o.configText,
            runsRoot: o.runsRoot,
            campaignId: state.id,
            total,
            driver,
            env: o.env,
            ...(o.toolEnv ? { toolEnv: o.toolEnv } : {}),
            ...(o.agentCommand ? { agentCommand: o.agentCommand } : {}),
            log: o.log,
            signal: o.signal,
            environment,
            session,
            ...(prevEntry && prevAttempt ? { previous: { entry: prevEntry, status: prevAttempt.status, runId: prevAttempt.run_id } } : {}),
          },
          entry,
          (started) => state.record(entry.index, { run_id: started.runId, folder: started.folder, status: 'running' }),
        );
        state.record(entry.index, {
          run_id: result.runId,
          folder: result.folder,
          status: result.status,
          ...(result.reason ? { reason: result.reason } : {}),
          seconds: result.seconds,
        });
        results.push(result);
        durations.set(entry.workflow.name, [...(durations.get(entry.workflow.name) ?? []), result.seconds]);
        o.progress({ done: done + 1, total, entry, result, etaS: etaSeconds(state.pending(), durations), message: `${result.status}${result.reason ? `: ${result.reason}` : ''}` });
        if (result.status === 'aborted') break;
      }
      if (o.signal.aborted) {
        interrupted = true;
        state.stop('interrupted');
        break;
      }
      const lastBlock = Math.max(...state.plan.map((e) => e.block));
      const more = o.afterBlock ? await o.afterBlock(state, lastBlock) : undefined;
      if (more?.length) state.extend(more.map((e, i) => ({ ...e, index: state.plan.length + i })));
    }
  } finally {
    await driver.request('system/keepAwake', { on: false }).catch(() => undefined);
    await driver.close();
  }
  return { folder: state.folder, id: state.id, results, state, interrupted };
}

/**
 * Once per campaign: keep the machine awake for as long as the driver lives (the whole campaign), and collect the
 * environment every run.json carries. Neither can fail the campaign; what could not be done is said in the record.
 */
async function campaignEnvironment(o: CampaignOptions, driver: DriverClient, session: () => Promise<SessionFacts>): Promise<RunEnvironment> {
  const { config, dir } = o.loaded;
  const awake = await driver.request('system/keepAwake', { on: true }).catch((e: Error) => ({ ok: false, detail: `the driver could not: ${e.message}` }));
  o.log.info(`keep awake: ${awake.detail}`);
  // The request belongs to the driver process: a restarted driver must be asked again.
  driver.onEvent((e) => {
    if (e.event === 'restarted') void driver.request('system/keepAwake', { on: true }).catch(() => undefined);
  });
  const dataPaths = o.loaded.config.campaign.modes.map((m) => modeValues(config, dir, m).dataPath);
  if (config.modes.B_fast) dataPaths.push(path.resolve(dir, config.modes.B_fast.cacheFolder));
  const environment = await collectRunEnvironment({ dataPaths, session, env: o.toolEnv ?? o.env });
  environment.keep_awake = awake.ok ? awake.detail : `unknown: ${awake.detail}`;
  o.log.info(`run environment collected in ${environment.collect_ms} ms`);
  return environment;
}
