import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describePlan, PreflightError, runCampaign, type CampaignOptions, type CampaignOutcome, type CampaignProgress } from '../../core/campaign/campaign';
import { untilDecided } from '../../core/campaign/untilDecided';
import { preflight } from '../../core/campaign/preflight';
import type { PlanEntry } from '../../core/campaign/plan';
import type { RunResult } from '../../core/campaign/runOne';
import { loadConfig, runsFolderOf, type LoadedConfig } from '../../core/config/configFile';
import { DriverClient } from '../../core/driver/driverClient';
import { CACHE_POLICIES, CONFIG_FILE_NAME, MODES, type CachePolicy, type Mode } from '../../shared/names';
import { cliLogger } from '../cliLogger';
import { EXIT, JSON_OPTION, type CliIo, type Command } from '../command';

const fmtS = (s: number) => (s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 90 ? `${Math.round(s / 60)} min` : `${Math.round(s)} s`);

export function planLines(plan: PlanEntry[]): string[] {
  return plan.map(
    (e) =>
      `${String(e.index + 1).padStart(4)}  block ${e.block}  ${e.mode.padEnd(8)} ${e.policy.padEnd(4)}  ${e.workflow.name}${e.workflow.replay ? ` (replay ${e.workflow.replay})` : ''}  #${e.repeat}${e.warmup ? '  warm-up' : ''}`,
  );
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function progressPrinter(io: CliIo): (p: CampaignProgress) => void {
  return (p) => {
    const eta = p.etaS === null ? '' : `, ETA ${fmtS(p.etaS)}`;
    if (!p.result) io.err(`[${p.done}/${p.total}${eta}] ${p.message}`);
    else {
      const r = p.result;
      io.err(
        `  ${r.status} in ${r.seconds.toFixed(1)} s (between runs ${s(r.overheadMs)}: cache policy ${s(r.phases.policyMs)}, agent ${s(r.phases.agentMs)}, close ${s(r.phases.closeMs)}; launch to attach ${s(r.phases.attachMs)})${r.reason ? `: ${r.reason}` : ''}  ${r.folder}`,
      );
    }
  };
}

export async function loadCampaignConfig(configArg: string | undefined, io: CliIo): Promise<{ loaded: LoadedConfig; text: string }> {
  const file = path.resolve(io.cwd, configArg ?? CONFIG_FILE_NAME);
  const loaded = await loadConfig(file);
  return { loaded, text: readFileSync(file, 'utf8') };
}

export async function executeCampaign(
  o: { loaded: LoadedConfig; text: string; runsRoot: string; resume?: string; xvfbDisplay?: string; afterBlock?: CampaignOptions['afterBlock'] },
  io: CliIo,
): Promise<CampaignOutcome> {
  const env = { ...io.env, ...(o.xvfbDisplay ? { DISPLAY: o.xvfbDisplay } : {}) };
  return runCampaign({
    loaded: o.loaded,
    configText: o.text,
    runsRoot: o.runsRoot,
    ...(o.resume ? { resume: o.resume } : {}),
    startDriver: () => DriverClient.start({ env, log: cliLogger(io) }),
    env,
    log: cliLogger(io),
    signal: io.signal,
    progress: progressPrinter(io),
    ...(o.afterBlock ? { afterBlock: o.afterBlock } : {}),
  });
}

function badOption(io: CliIo, message: string): number {
  io.err(`fastbench campaign: ${message}\nUsage: ${campaignCommand.usage}`);
  return EXIT.badInput;
}

/** A campaign refused before launch: every problem on its own line, exit 2 (bad input). */
export const refused =
  (io: CliIo) =>
  (e: unknown): number => {
    if (!(e instanceof PreflightError)) throw e;
    for (const p of e.problems) io.err(p);
    io.err('nothing was launched');
    return EXIT.badInput;
  };

function summary(outcome: CampaignOutcome, io: CliIo, json: boolean): number {
  const counts = { complete: 0, failed: 0, aborted: 0 };
  for (const r of outcome.results) counts[r.status]++;
  const overhead = outcome.results.map((r) => r.overheadMs / 1000).sort((a, b) => a - b);
  const medOverhead = overhead.length ? overhead[Math.floor((overhead.length - 1) / 2)]! : 0;
  if (json) io.out(JSON.stringify({ campaign: outcome.folder, id: outcome.id, interrupted: outcome.interrupted, ...counts, runs: outcome.results }, null, 2));
  else {
    io.out(
      `campaign ${outcome.folder}: ${counts.complete} complete, ${counts.failed} failed, ${counts.aborted} aborted${outcome.interrupted ? ' (interrupted: resume with --resume)' : ''}`,
    );
    if (overhead.length) {
      const med = (k: keyof RunResult['phases']) => {
        const v = outcome.results.map((r) => r.phases[k] / 1000).sort((a, b) => a - b);
        return v[Math.floor((v.length - 1) / 2)]!.toFixed(1);
      };
      io.out(
        `between-run overhead per run: median ${medOverhead.toFixed(1)} s, max ${overhead.at(-1)!.toFixed(1)} s (medians: cache policy ${med('policyMs')} s, agent start ${med('agentMs')} s, close ${med('closeMs')} s); launch to attach ${med('attachMs')} s (inside open_time)`,
      );
    }
    for (const r of outcome.results.filter((x) => x.status !== 'complete')) io.out(`  ${r.status}: ${r.runId}: ${r.reason ?? ''}`);
    io.out(`analyse with: fastbench analyze ${outcome.folder}`);
  }
  if (outcome.interrupted) return EXIT.interrupted;
  return counts.failed + counts.aborted ? EXIT.failed : EXIT.ok;
}

export const campaignCommand: Command = {
  words: ['campaign'],
  summary: 'Run the campaign of fastbench.json: modes × cache policies × workflows × repeats, one run folder each',
  usage: 'fastbench campaign [--config FILE] [--out DIR] [--resume CAMPAIGN_DIR] [--dry-run] [--until-decided [--ci-width 10%] [--max-repeats N]] [--json]',
  details: `For each planned run: the cache policy (Cold: the OS file cache of the data and the FAST cache folder are
cleared and verified; Warm: the same workflow run unmeasured first, or the run just before it when that was the
same workflow and mode), launch target.executable with its arguments ({project} and {dataPath} from the mode),
metrics agent at 1 Hz, attach to the main window of the launched process tree, first_pixel (the render regions
show their first settled picture), the workflow with a render wait after each timed step, then the target is
closed (close keys or a polite request, killed after target.close.timeoutS). A run that fails is recorded with
its reason and the campaign goes on. Progress with ETA on stderr; Ctrl-C ends the current run cleanly (exit 130).
Order: campaign.order (interleaved by default: blocks alternate the mode order, so drift hits both modes).
--dry-run prints the plan and a rough duration after validating the config, launching nothing.
--resume DIR carries on a campaign folder (after Ctrl-C, kill -9 or a reboot): complete and failed runs stay,
the run that was interrupted is marked aborted and runs again.
Run folders go to --out (default runsFolder of the config), under a folder per campaign with campaign.json.
--until-decided runs campaign.repeats blocks, then analyses the runs so far after every block and adds another
interleaved block until every compared time KPI's B/A ratio has a 95 % CI narrower than --ci-width (default 10 %,
in ratio units) or --max-repeats blocks have run (default 10), and says which.
The target inherits this environment plus target.env, FASTBENCH_RUN_DIR (its run folder) and FASTBENCH_MODE.`,
  options: {
    ...JSON_OPTION,
    config: { type: 'string' },
    out: { type: 'string' },
    resume: { type: 'string' },
    'dry-run': { type: 'boolean' },
    'until-decided': { type: 'boolean' },
    'ci-width': { type: 'string' },
    'max-repeats': { type: 'string' },
  },
  positionals: { min: 0, max: 0 },
  run: async (args, io) => {
    const { loaded, text } = await loadCampaignConfig(args.values.config as string | undefined, io);
    if (args.values['dry-run']) {
      const { plan, estimateS } = describePlan(loaded);
      const problems = await preflight(loaded, plan);
      if (problems.length) {
        for (const p of problems) io.err(p);
        return EXIT.badInput;
      }
      if (args.values.json) io.out(JSON.stringify({ config: loaded.file, runs: plan.length, estimateS, plan }, null, 2));
      else {
        io.out(
          `${loaded.file}: valid; ${plan.length} runs, roughly ${fmtS(estimateS)} (launch and close ~10 s per run, 0.25 s per render wait; Warm runs that need their own warm-up pass count twice)`,
        );
        for (const line of planLines(plan)) io.out(line);
      }
      return EXIT.ok;
    }
    let afterBlock: CampaignOptions['afterBlock'];
    if (args.values['until-decided']) {
      const widthText = (args.values['ci-width'] as string | undefined) ?? '10%';
      const width = Number(widthText.replace(/%$/, '')) / (widthText.endsWith('%') ? 100 : 1);
      const max = args.values['max-repeats'] === undefined ? 10 : Number(args.values['max-repeats']);
      if (!(width > 0 && width < 10)) return badOption(io, `--ci-width: expected a width such as 10% or 0.1, found ${JSON.stringify(widthText)}`);
      if (!Number.isInteger(max) || max < 1 || max > 1000)
        return badOption(io, `--max-repeats: expected an integer from 1 to 1000, found ${JSON.stringify(args.values['max-repeats'])}`);
      afterBlock = untilDecided(loaded.config, { ciWidth: width, maxBlocks: max, onDecision: (d) => io.err(d.message) });
    } else if (args.values['ci-width'] !== undefined || args.values['max-repeats'] !== undefined) {
      return badOption(io, '--ci-width and --max-repeats go with --until-decided');
    }
    const resume = args.values.resume ? path.resolve(io.cwd, args.values.resume as string) : undefined;
    const runsRoot = resume ? path.dirname(resume) : path.resolve(io.cwd, (args.values.out as string | undefined) ?? runsFolderOf(loaded));
    const outcome = await executeCampaign({ loaded, text, runsRoot, ...(resume ? { resume } : {}), ...(afterBlock ? { afterBlock } : {}) }, io).catch(refused(io));
    return typeof outcome === 'number' ? outcome : summary(outcome, io, Boolean(args.values.json));
  },
};

function pick<T extends string>(raw: unknown, allowed: readonly T[], name: string): T {
  if (typeof raw !== 'string' || !(allowed as readonly string[]).includes(raw))
    throw new Error(`--${name}: expected ${allowed.join(' or ')}, found ${raw === undefined ? 'nothing' : JSON.stringify(raw)}`);
  return raw as T;
}

export const runCommand: Command = {
  words: ['run'],
  summary: 'One measured run (or N repeats) of a workflow in a mode and cache policy, as a campaign of its own',
  usage: 'fastbench run --mode A_shared|B_fast --policy Cold|Warm --workflow NAME [--repeat N] [--config FILE] [--out DIR] [--json]',
  details: 'The same engine as "fastbench campaign" with a plan of one mode, one policy and one workflow (see its --help).',
  options: {
    ...JSON_OPTION,
    config: { type: 'string' },
    out: { type: 'string' },
    mode: { type: 'string' },
    policy: { type: 'string' },
    workflow: { type: 'string' },
    repeat: { type: 'string' },
  },
  positionals: { min: 0, max: 0 },
  run: async (args, io) => {
    let mode: Mode, policy: CachePolicy, repeats: number;
    try {
      mode = pick(args.values.mode, MODES, 'mode');
      policy = pick(args.values.policy, CACHE_POLICIES, 'policy');
      repeats = args.values.repeat === undefined ? 1 : Number(args.values.repeat);
      if (!Number.isInteger(repeats) || repeats < 1 || repeats > 100) throw new Error(`--repeat: expected 1 to 100, found ${JSON.stringify(args.values.repeat)}`);
      if (typeof args.values.workflow !== 'string') throw new Error('--workflow: expected a workflow name defined under "workflows" in the config');
    } catch (e) {
      io.err(`fastbench run: ${(e as Error).message}\nUsage: ${runCommand.usage}`);
      return EXIT.badInput;
    }
    const { loaded, text } = await loadCampaignConfig(args.values.config as string | undefined, io);
    const workflow = args.values.workflow as string;
    if (!loaded.config.workflows[workflow]) {
      io.err(
        `fastbench run: --workflow: ${JSON.stringify(workflow)} is not defined under "workflows" in ${loaded.file} (defined: ${Object.keys(loaded.config.workflows).join(', ') || 'none'})`,
      );
      return EXIT.badInput;
    }
    if (!loaded.config.modes[mode]) {
      io.err(`fastbench run: --mode: ${mode} is not configured under "modes" in ${loaded.file}`);
      return EXIT.badInput;
    }
    loaded.config.campaign = { ...loaded.config.campaign, modes: [mode], cachePolicies: [policy], workflows: [workflow], repeats, warmupRuns: 0 };
    const runsRoot = path.resolve(io.cwd, (args.values.out as string | undefined) ?? runsFolderOf(loaded));
    const outcome = await executeCampaign({ loaded, text, runsRoot }, io).catch(refused(io));
    return typeof outcome === 'number' ? outcome : summary(outcome, io, Boolean(args.values.json));
  },
};
