import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastbenchConfig } from '../../shared/config';
import type { SessionFacts, WindowInfo } from '../../shared/driverProtocol';
import { MARKER_COLUMNS } from '../../shared/markers';
import type { Mode } from '../../shared/names';
import { applyCachePolicy, type PolicyReport, type ServiceControl } from '../cache/cachePolicy';
import { windowsColdRunner } from '../cache/coldHelper';
import type { DriverClient } from '../driver/driverClient';
import { MetricsAgentClient } from '../metrics/agentClient';
import { watchFromConfig, type WindowsWatch } from '../metrics/pdhCounters';
import { systemClock } from '../ports/clock';
import type { Logger } from '../ports/logger';
import { MarkerWriter } from '../runs/markerWriter';
import { RunFolder } from '../runs/runFolderWriter';
import { appVersion } from './appVersion';
import { waitBatch } from './batchWorkflow';
import { attachToLaunched, interstitialsUp, pressInto, type InterstitialSeen } from './attachTarget';
import { copyFastLog, fastLogOffset } from './fastLogSlice';
import { snapshotOpenFiles } from './openFilesSnapshot';
import type { PlanEntry } from './plan';
import { replayWorkflow } from './replayWorkflow';
import { sessionProblem, type RunEnvironment } from './runEnvironment';
import { waitFirstPicture } from './firstPicture';
import { waitImageGone } from './targetGone';
import { closeTargetSteps, expandArguments, launchTarget, processTree, TARGET_ENV, targetCmdline, type LaunchedTarget } from './targetProcess';
import { keyEvents, runWorkflow, type NamedRegion } from './workflowRunner';

export type RunContext = {
  config: FastbenchConfig;
  configDir: string;
  configText: string;
  runsRoot: string;
  campaignId: string;
  total: number;
  driver: DriverClient;
  /** The target's environment (plus target.env and the FASTBENCH_* variables). */
  env: NodeJS.ProcessEnv;
  /** Our own child processes' environment, when it differs (the extension host runs Node as Electron). */
  toolEnv?: NodeJS.ProcessEnv;
  /**
   * How to run the metrics agent (default: this Node with dist/agent.js beside the running bundle). A bundle that
   * does not sit in dist/ — a test bundle in dist/test/wine, run by Windows node.exe under Wine — names it.
   */
  agentCommand?: string[];
  log: Logger;
  signal: AbortSignal;
  /** The campaign's run environment (collected once), written into run.json. */
  environment?: RunEnvironment;
  /** The session as the driver sees it: a locked or disconnected session fails the run, checked before and after. */
  session?: () => Promise<SessionFacts>;
  /** The run just before this one in the campaign, to see whether it warmed this one's cache. */
  previous?: { entry: PlanEntry; status: string; runId: string };
};

/** Where a run's time went besides the measured work: the cache policy, starting the agent, closing the target, and
 *  (inside open_time) launch to attach. */
export type RunPhases = { policyMs: number; agentMs: number; closeMs: number; attachMs: number };
export type RunResult = { runId: string; folder: string; status: 'complete' | 'failed' | 'aborted'; reason?: string; overheadMs: number; phases: RunPhases; seconds: number };

const abs = (dir: string, p: string) => path.resolve(dir, p);

export function modeValues(config: FastbenchConfig, dir: string, mode: Mode): { dataPath: string; project?: string } {
  const m = config.modes[mode];
  if (!m) throw new Error(`modes.${mode} is not configured`);
  const project = m.project ?? config.target.project;
  return { dataPath: abs(dir, m.dataPath), ...(project ? { project: abs(dir, project) } : {}) };
}

export function renderRegions(config: FastbenchConfig): { regions: NamedRegion[]; settleMs?: number; openTimeoutMs: number } {
  const p = config.target.renderProbe;
  if (!p) return { regions: [], openTimeoutMs: 600_000 };
  if ('regions' in p) return { regions: p.regions, ...(p.settleMs !== undefined ? { settleMs: p.settleMs } : {}), openTimeoutMs: (p.openTimeoutS ?? 600) * 1000 };
  return { regions: [p], openTimeoutMs: 600_000 };
}

/** Path, size, mtime and a hash of the first MiB: enough to tell whether two runs read the same data. */
export function datasetIdentity(file: string): Record<string, unknown> {
  try {
    const st = statSync(file);
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(Math.min(1 << 20, st.size));
      const n = readSync(fd, buf, 0, buf.length, 0);
      return { path: file, size: st.size, mtime: st.mtime.toISOString(), head_sha256: createHash('sha256').update(buf.subarray(0, n)).digest('hex') };
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    return { path: file, error: (e as Error).message };
  }
}

function commandService(name: string, cmd: { stop: string[]; start: string[] }, env: NodeJS.ProcessEnv): ServiceControl {
  const run = (argv: string[]) =>
    new Promise<string>((resolve, reject) =>
      execFile(argv[0]!, argv.slice(1), { env, timeout: 180_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`${argv.join(' ')}: ${(stderr || err.message).trim().split('\n').pop()}`)) : resolve(stdout.trim().split('\n').pop() || `${argv.join(' ')}: ok`),
      ),
    );
  return { name, stop: () => run(cmd.stop), start: () => run(cmd.start) };
}

export async function applyPolicyFor(ctx: Pick<RunContext, 'config' | 'configDir' | 'env'>, mode: Mode): Promise<PolicyReport> {
  const { config, configDir } = ctx;
  const { dataPath } = modeValues(config, configDir, mode);
  const b = mode === 'B_fast' ? config.modes.B_fast! : undefined;
  // Windows: elevated → the scripts directly; else the installed cold helper (the preflight made sure of one).
  const windows = process.platform === 'win32' ? { windows: await windowsColdRunner({ cacheFolder: b && abs(configDir, b.cacheFolder), serviceName: b?.serviceName }) } : {};
  if (!b) return applyCachePolicy({ policy: 'Cold', mode, dataFiles: [dataPath], ...windows });
  return applyCachePolicy({
    ...windows,
    policy: 'Cold',
    mode,
    dataFiles: [dataPath],
    cacheFolder: abs(configDir, b.cacheFolder),
    keepRotated: b.keepRotated,
    ...(b.serviceName ? { serviceName: b.serviceName } : {}),
    ...(b.serviceControl && process.platform !== 'win32' ? { service: commandService('FAST (serviceControl)', b.serviceControl, ctx.env) } : {}),
  });
}

/** Warm by pre-read: every data file read end to end through the mode's own path. */
async function preread(file: string): Promise<string> {
  const t0 = Date.now();
  let bytes = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) bytes += (chunk as Buffer).length;
  return `read ${(bytes / 2 ** 20).toFixed(1)} MiB of ${file} in ${((Date.now() - t0) / 1000).toFixed(1)} s`;
}

type Session = { markers?: MarkerWriter; runStart: number; folder?: string; noteNow?: (extra: Record<string, unknown>) => void };

/**
 * One launch of the target: launch, attach, first picture, the workflow, close. Measured (markers, metrics, FAST
 * log) when a run folder is given; a Warm run's unmeasured warm-up pass calls it without one.
 */
async function session(ctx: RunContext, entry: PlanEntry, s: Session, notes: Record<string, unknown>): Promise<void> {
  const { config, driver } = ctx;
  const values = modeValues(config, ctx.configDir, entry.mode);
  const batch = entry.workflow.batch;
  if (batch && !config.target.batch) throw new Error(`workflow ${entry.workflow.name} is a batch workflow but target.batch.arguments is not configured`);
  const args = expandArguments(batch ? config.target.batch!.arguments : config.target.arguments, { ...values, ...(batch ? { workflow: batch } : {}) });
  const env = { ...ctx.env, ...config.target.env, ...(s.folder ? { [TARGET_ENV.runFolder]: s.folder } : {}), [TARGET_ENV.mode]: entry.mode };
  const { regions, settleMs, openTimeoutMs } = renderRegions(config);
  const b = entry.mode === 'B_fast' ? config.modes.B_fast : undefined;
  const logPath = b?.logPath ? abs(ctx.configDir, b.logPath) : undefined;
  const logFrom = s.folder && logPath ? fastLogOffset(logPath) : undefined;
  let target: LaunchedTarget | undefined;
  let agent: MetricsAgentClient | undefined;
  let agentStarting: Promise<MetricsAgentClient> | undefined;
  let window: WindowInfo | undefined;
  // The run stops as soon as the target dies, instead of waiting out a render timeout.
  const died = new AbortController();
  const signal = AbortSignal.any([ctx.signal, died.signal]);
  try {
    s.markers?.mark('open_start', `${entry.mode} ${path.basename(values.dataPath)}`, s.runStart);
    target = await launchTarget(abs(ctx.configDir, config.target.executable), args, env);
    void target.exited.then(() => died.abort());
    // Written at once: if this process is killed, a resumed campaign finds and ends what it left running.
    s.noteNow?.({ target: { pid: target.pid, cmdline: targetCmdline(target.pid) } });
    // The agent starts beside the attach, not before it: its start-up (~0.7 s) must not delay watching for the
    // first picture, or a fast open would be stamped late.
    agentStarting = s.folder
      ? MetricsAgentClient.start({
          outDir: s.folder,
          targetPid: target.pid,
          pathRules: config.pathRules.map((r) => ({ class: r.class, prefix: abs(ctx.configDir, r.prefix) })),
          watch: runWatch(config, entry.mode, ctx.configDir),
          log: ctx.log,
          ...(ctx.toolEnv ? { env: ctx.toolEnv } : {}),
          ...(ctx.agentCommand ? { command: ctx.agentCommand } : {}),
        })
      : undefined;
    const t0 = Date.now();
    agentStarting?.then(
      (a) => {
        agent = a;
        notes.agent_started_after_launch_ms = Date.now() - t0;
      },
      () => undefined,
    );
    if (batch) {
      // No window: the application runs the workflow and exits; the run is timed by its exit.
      notes.batch = {
        workflow: batch,
        exit: await waitBatch(target, { name: batch, timeoutMs: config.target.batch!.timeoutS * 1000, markers: s.markers, names: entry.workflow.markers, signal: ctx.signal }),
      };
      if (agentStarting) agent = await agentStarting;
      s.markers?.mark('session_end');
      return;
    }
    const a0 = Date.now();
    const seen: InterstitialSeen[] = [];
    try {
      window = await attachToLaunched(
        driver,
        target,
        {
          ...config.target.window,
          timeoutMs: config.target.attachTimeoutS * 1000,
          stableMs: config.target.stableMs,
          interstitials: config.target.interstitials,
          interstitialTimeoutMs: config.target.interstitialTimeoutS * 1000,
          seen,
        },
        signal,
      );
    } finally {
      if (seen.length) notes.interstitials = seen;
    }
    notes.attach_ms = Date.now() - a0;
    const fg = await driver.request('window/foreground', { handle: window.handle });
    if (!fg.ok) throw new Error(`cannot bring the target window to the front: ${fg.reason ?? 'refused'}`);
    notes.window = { title: window.title, pid: window.pid, client: window.clientRect, dpiScale: window.dpiScale };
    if (regions.length) {
      const first = await waitFirstPicture(driver, window.handle, regions, { timeoutMs: openTimeoutMs, ...(settleMs !== undefined ? { settleMs } : {}), signal });
      s.markers?.mark('first_pixel', first.detail, first.at);
    }
    // A run without its metrics is not a run: a failed agent start fails it here, after first_pixel was taken.
    if (agentStarting) agent = await agentStarting;
    if (s.folder) notes.open_files_snapshots = [snapshotOpenFiles(s.folder, target.pid, config.pathRules, ctx.configDir)];
    const workflow = entry.workflow;
    if (workflow.replay) {
      await replayWorkflow({ driver, window, file: abs(ctx.configDir, workflow.replay), signal, log: ctx.log, ...(s.markers ? { markers: s.markers } : {}) });
    } else {
      const def = config.workflows[workflow.name];
      if (!def) throw new Error(`workflow ${workflow.name} is not defined under "workflows"`);
      await runWorkflow(def, { driver, window, regions, ...(settleMs !== undefined ? { settleMs } : {}), ...(s.markers ? { markers: s.markers } : {}), signal });
    }
    if (s.folder) (notes.open_files_snapshots as number[]).push(snapshotOpenFiles(s.folder, target.pid, config.pathRules, ctx.configDir));
    s.markers?.mark('session_end');
  } catch (e) {
    if (target?.exitReason() && !ctx.signal.aborted && !batch) {
      const said = target.stderrTail() ? `; it said: ${target.stderrTail()}` : '';
      if (!window) throw new Error(`the target exited (${target.exitReason()}) before it showed a matching window${said}`);
      throw new Error(`the target exited (${target.exitReason()}) during the run${said}; last: ${(e as Error).message}`);
    }
    throw e;
  } finally {
    if (target) {
      const c0 = Date.now();
      const keys = config.target.close.keys;
      const politeKeys = keys?.length && window ? keys : undefined;
      const prompt = config.target.close.savePrompt;
      const answered = new Set<string>();
      const t = target;
      const closed = await closeTargetSteps(t, {
        timeoutMs: config.target.close.timeoutS * 1000,
        // The "save project?" prompt of the target is answered No (once per window), so no run changes the project.
        ...(prompt
          ? {
              watch: async () => {
                const rule = { titlePattern: prompt.titlePattern, action: 'key' as const, key: prompt.key };
                const up = interstitialsUp(await driver.request('windows/list', {}), new Set(processTree(t.pid)), [rule]).filter((u) => !answered.has(u.window.handle));
                if (!up.length) return undefined;
                answered.add(up[0]!.window.handle);
                await pressInto(driver, up[0]!.window.handle, prompt.key);
                return `answering "${up[0]!.window.title}" with ${prompt.key}`;
              },
            }
          : {}),
        ...(politeKeys
          ? {
              politeClose: async () => {
                for (const k of politeKeys) {
                  // "Alt+F4": modifiers first, the key last.
                  const parts = k.split('+');
                  const key = parts.pop()!;
                  await driver.request('input/inject', { handle: window!.handle, coordinates: 'client', events: keyEvents(key, parts) as never });
                }
              },
            }
          : {}),
      }).catch((e: Error) => ({ how: `could not be closed: ${e.message}`, endedBy: undefined, prompts: [] as string[] }));
      notes.close = closed.how;
      if (closed.endedBy) notes.close_ended_by = closed.endedBy;
      notes.close_ms = Date.now() - c0;
    }
    // An agent still starting when the run failed is waited for, so it is stopped too.
    agent ??= await agentStarting?.catch(() => undefined);
    await agent?.stop().catch(() => undefined);
    if (s.folder && logPath && logFrom !== undefined) notes.fast_log = copyFastLog(logPath, logFrom, path.join(s.folder, 'fast_log.tsv'), b!.logFormat);
  }
}

/** A whole run: the cache policy, then a measured session, each step recorded in the run folder. */
export async function runOne(ctx: RunContext, entry: PlanEntry, onStarted?: (run: { runId: string; folder: string }) => void): Promise<RunResult> {
  const { config } = ctx;
  const t0 = Date.now();
  const values = modeValues(config, ctx.configDir, entry.mode);
  const rf = new RunFolder(ctx.runsRoot, {
    campaignId: ctx.campaignId,
    mode: entry.mode,
    cachePolicy: entry.policy,
    workflow: entry.workflow.name,
    repeat: entry.repeat,
    app: (() => {
      const exe = abs(ctx.configDir, config.target.executable);
      const version = appVersion(exe);
      return { executable: exe, ...(version ? { version } : {}) };
    })(),
    configText: ctx.configText,
    extra: {
      warmup: entry.warmup,
      campaign: { index: entry.index, total: ctx.total, block: entry.block },
      dataset: datasetIdentity(values.dataPath),
      ...(ctx.environment ? { environment: ctx.environment } : {}),
    },
  });
  const runId = path.basename(rf.folder);
  onStarted?.({ runId, folder: rf.folder });
  const notes: Record<string, unknown> = {};
  // Time spent between measurements: the cache policy, a warm-up pass, starting the agent, closing the target.
  let policyMs = 0;
  const phases = (): RunPhases => ({
    policyMs,
    agentMs: Number(notes.agent_started_after_launch_ms ?? 0),
    closeMs: Number(notes.close_ms ?? 0),
    attachMs: Number(notes.attach_ms ?? 0),
  });
  const overhead = () => policyMs + Number(notes.close_ms ?? 0) + Number(notes.agent_started_after_launch_ms ?? 0);
  const checkSession = async (when: 'before' | 'after') => {
    const problem = ctx.session && (await sessionProblem(ctx.session, when));
    if (problem) throw new Error(problem);
  };
  try {
    await checkSession('before');
    const p0 = Date.now();
    if (entry.policy === 'Cold') {
      // Open or mapped files survive a purge: the target's image must be gone first (the launched process was
      // waited for when it closed; this also catches one a person started, or a launcher's child).
      const image = config.target.window.processImage;
      if (image) rf.note({ target_gone: await waitImageGone(image, { timeoutMs: config.target.close.timeoutS * 1000 }) });
      const report = await applyPolicyFor(ctx, entry.mode);
      rf.note({ cache_policy_report: report });
      if (!report.ok)
        throw new Error(
          `the Cold policy failed: ${report.steps
            .filter((x) => !x.ok)
            .map((x) => x.detail)
            .join('; ')}`,
        );
    } else if (config.campaign.warm === 'preread') {
      rf.note({ warm: { method: 'preread', detail: await preread(values.dataPath) } });
    } else {
      const p = ctx.previous;
      if (p && p.status === 'complete' && p.entry.mode === entry.mode && p.entry.workflow.name === entry.workflow.name) {
        rf.note({ warm: { method: 'pass', by_run: p.runId } });
      } else {
        const w0 = Date.now();
        const passNotes: Record<string, unknown> = {};
        await session(ctx, entry, { runStart: systemClock.mono() }, passNotes);
        rf.note({ warm: { method: 'pass', unmeasured: true, seconds: (Date.now() - w0) / 1000, ...passNotes } });
      }
    }
    policyMs = Date.now() - p0;
    notes.policy_ms = policyMs;
    if (ctx.signal.aborted) throw new Error('interrupted');
    const runStart = systemClock.mono();
    const markers = new MarkerWriter(rf.file('markers.tsv'), runStart);
    try {
      await session(ctx, entry, { markers, runStart, folder: rf.folder, noteNow: (extra) => rf.note(extra) }, notes);
    } finally {
      rf.note(notes);
    }
    await checkSession('after');
    rf.finish('complete');
    return { runId, folder: rf.folder, status: 'complete', overheadMs: overhead(), phases: phases(), seconds: (Date.now() - t0) / 1000 };
  } catch (e) {
    const status = ctx.signal.aborted ? 'aborted' : 'failed';
    const message = (e as Error).message;
    const reason = ctx.signal.aborted ? `interrupted by the user (Ctrl-C or Cancel)${/^interrupted/.test(message) ? '' : `: ${message}`}` : message;
    rf.finish(status, reason);
    // A run that failed before it was measured still gets the file every run folder has.
    if (!existsSync(rf.file('markers.tsv'))) writeFileSync(rf.file('markers.tsv'), MARKER_COLUMNS.join('\t') + '\n');
    rf.note(notes);
    return { runId, folder: rf.folder, status, reason, overheadMs: overhead(), phases: phases(), seconds: (Date.now() - t0) / 1000 };
  }
}

/** What the Windows metrics sampler watches in this run's mode; the cache folder as the run resolves it. */
function runWatch(config: FastbenchConfig, mode: 'A_shared' | 'B_fast', configDir: string): WindowsWatch {
  const w = watchFromConfig(config, mode);
  return w.cacheFolder ? { ...w, cacheFolder: abs(configDir, w.cacheFolder) } : w;
}
