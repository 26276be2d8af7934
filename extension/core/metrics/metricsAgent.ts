import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { METRICS_COLUMNS, OPEN_FILE_COLUMNS, formatMetricsRow } from '../../shared/metrics';
import { percentileSorted } from '../../shared/statistics';
import { TOOL_VERSION } from '../version';
import { AGENT_PROTOCOL_VERSION, type AgentOutput, type AgentReport } from './agentMessages';
import { LinuxProcSampler } from './linuxSampler';
import { NvidiaSmiReader } from './nvidiaSmi';
import { escapeTsvPath, linuxOpenFiles, type OpenFilesLister } from './openFiles';
import { chooseWindowsSampler } from './pdhCounters';
import { WindowsPdhSampler, type WindowsWatch } from './pdhSampler';
import { pathClassifier, type PathRule } from './pathClasses';
import { LineAppender, writeJsonAtomic } from './runFiles';
import type { MetricsSampler } from './sampler';
import { SystemInformationSampler } from './systemInformationSampler';
import { TickSchedule } from './tickSchedule';
import type { WindowsPerfPort } from './windowsPerfPort';
import { WindowsTypeperfSampler } from './windowsSampler';

export type SamplerName = 'proc' | 'pdh' | 'typeperf' | 'si';

export type AgentOptions = {
  outDir: string;
  targetPid?: number;
  pathRules: PathRule[];
  intervalMs: number;
  sampler: SamplerName;
  /** Stop by itself when the target exits (otherwise system columns go on until told to stop). */
  exitWithTarget: boolean;
  openFiles: boolean;
  /** Lists the target's open files; default /proc on Linux, none elsewhere (the agent's entry hands in Windows'). */
  openFilesLister?: OpenFilesLister;
  emit: (message: AgentOutput) => void;
  /** PDH and friends, loaded by the agent's entry from the native layer (or why they could not be). */
  windowsPerf?: WindowsPerfPort | { error: string };
  /** What the Windows sampler measures besides the machine and the target: NAS share, cache volume, FAST, route. */
  watch?: WindowsWatch;
};

export const defaultSampler = (): SamplerName => (process.platform === 'linux' ? 'proc' : process.platform === 'win32' ? 'pdh' : 'si');

type Made = { sampler: MetricsSampler; name: SamplerName; why?: string };

async function makeSampler(options: AgentOptions): Promise<Made> {
  const { sampler: name, targetPid: pid } = options;
  const gpu = await NvidiaSmiReader.start();
  if (name === 'proc') return { sampler: new LinuxProcSampler(pid, gpu), name };
  if (name === 'si') return { sampler: new SystemInformationSampler(pid, gpu), name };
  if (name === 'typeperf') return { sampler: new WindowsTypeperfSampler(pid, gpu), name, why: 'typeperf requested (--sampler typeperf)' };
  let port: WindowsPerfPort | undefined;
  const choice = chooseWindowsSampler(() => {
    const w = options.windowsPerf;
    if (!w) return { ok: false, error: 'no native PDH binding in this process' };
    if ('error' in w) return { ok: false, error: w.error };
    const q = w.openQuery();
    if (!q.ok) return { ok: false, error: `PdhOpenQueryW failed with status ${q.status}` };
    q.query.close();
    port = w;
    return { ok: true };
  });
  if (port) return { sampler: new WindowsPdhSampler(port, pid, gpu, options.watch), name: 'pdh', why: choice.why };
  return { sampler: new WindowsTypeperfSampler(pid, gpu), name: 'typeperf', why: choice.why };
}

function chooseLister(options: AgentOptions): OpenFilesLister | undefined {
  if (!options.openFiles || options.targetPid === undefined) return undefined;
  return options.openFilesLister ?? (process.platform === 'linux' ? linuxOpenFiles : undefined);
}

function openFilesSource(options: AgentOptions, lister: OpenFilesLister | undefined): string {
  if (!options.openFiles || options.targetPid === undefined) return 'none (not requested)';
  return lister?.source ?? `none on ${process.platform}: no open-files source for this platform`;
}

/**
 * The agent's work: sample on absolute ticks, append a metrics row and the target's open files each
 * tick, report a heartbeat, note the target's exit, and keep agent.json current. Returns a stop function.
 */
export async function startMetricsAgent(options: AgentOptions): Promise<{ stop: (reason: string) => AgentReport }> {
  mkdirSync(options.outDir, { recursive: true });
  const made = await makeSampler(options);
  const sampler = made.sampler;
  await sampler.prime();
  const metrics = new LineAppender(path.join(options.outDir, 'metrics.csv'), METRICS_COLUMNS.join(','));
  const openFiles = new LineAppender(path.join(options.outDir, 'open_files.tsv'), OPEN_FILE_COLUMNS.join('\t'));
  const lister = chooseLister(options);
  const classify = pathClassifier(options.pathRules, undefined, lister?.drives);
  const listCostMs: number[] = [];
  const warned = new Set<string>();
  const reportFile = path.join(options.outDir, 'agent.json');
  // Lateness of each tick, kept as whole-ms counts so ten hours at 1 Hz stay a small fixed array.
  // Every tick's lateness, kept exactly (8 bytes a tick: 0.7 MB a day at 1 Hz) so agent.json's percentiles are the
  // statistics module's, the same figures bench:agent computes from the heartbeats.
  const lateness: number[] = [];
  let rows = 0;
  let targetExitUnixMs: number | null = null;

  const schedule = new TickSchedule(options.intervalMs, async ({ index, lateMs }) => {
    const t = Date.now();
    let files: string[] | undefined;
    try {
      const row = await sampler.sample(t);
      metrics.append(formatMetricsRow(row) + '\n');
      rows++;
      if (lister && targetExitUnixMs === null) {
        const l0 = performance.now();
        files = await lister.list(options.targetPid!);
        listCostMs.push(performance.now() - l0);
        if (files?.length) openFiles.append(files.map((f) => `${t}\t${escapeTsvPath(f)}\t${classify(f)}\n`).join(''));
        const w = lister.warning;
        if (w && !warned.has(w)) {
          warned.add(w);
          options.emit({ type: 'warning', message: `open files: ${w}` });
        }
      }
    } catch (e) {
      options.emit({ type: 'warning', message: `tick ${index}: ${(e as Error).message}` });
    }
    lateness.push(lateMs);
    const gone = options.targetPid !== undefined && sampler.targetGone();
    if (gone && targetExitUnixMs === null) {
      targetExitUnixMs = t;
      options.emit({ type: 'target_exit', t_unix_ms: t });
      writeJsonAtomic(reportFile, report('running', null));
    }
    options.emit({
      type: 'heartbeat',
      tick: index,
      t_unix_ms: t,
      lateMs: Math.round(lateMs * 100) / 100,
      rows,
      skipped: schedule.skipped,
      target: options.targetPid === undefined ? 'none' : gone ? 'exited' : 'running',
      openFiles: files ? files.length : null,
    });
    if (gone && options.exitWithTarget) stop('target exited');
  });

  const startedUnixMs = Date.now();
  const report = (state: 'running' | 'stopped', stopReason: string | null): AgentReport => {
    const sorted = Float64Array.from(lateness).sort();
    const n = sorted.length;
    const cost = Float64Array.from(listCostMs).sort();
    return {
      schema: 'fastbench-agent/1',
      toolVersion: TOOL_VERSION,
      platform: process.platform,
      agentPid: process.pid,
      targetPid: options.targetPid ?? null,
      sampler: made.name,
      ...(made.why ? { samplerReason: made.why } : {}),
      intervalMs: options.intervalMs,
      startedUnixMs,
      firstTickUnixMs: schedule.wall0,
      sources: Object.fromEntries(Object.entries(sampler.sources).filter(([, v]) => v)),
      openFilesSource: openFilesSource(options, lister),
      pathRules: options.pathRules,
      state,
      targetExitUnixMs,
      stoppedUnixMs: state === 'stopped' ? Date.now() : null,
      stopReason,
      rows,
      skippedTicks: schedule.skipped,
      lateMs: n ? { n, p50: round3(percentileSorted(sorted, 50)), p99: round3(percentileSorted(sorted, 99)), max: round3(sorted[n - 1]!) } : null,
      openFilesMs: cost.length ? { n: cost.length, p50: round3(percentileSorted(cost, 50)), p99: round3(percentileSorted(cost, 99)), max: round3(cost[cost.length - 1]!) } : null,
      ...(sampler.sampleCpuMs?.length ? { sampleCpuMs: spread(sampler.sampleCpuMs) } : {}),
    };
  };

  let final: AgentReport | undefined;
  const stop = (reason: string): AgentReport => {
    if (final) return final;
    schedule.stop();
    sampler.close();
    metrics.close();
    openFiles.close();
    lister?.close?.();
    final = report('stopped', reason);
    writeJsonAtomic(reportFile, final);
    options.emit({ type: 'stopped', reason, rows, skipped: schedule.skipped });
    return final;
  };

  writeJsonAtomic(reportFile, report('running', null));
  options.emit({
    type: 'hello',
    protocol: AGENT_PROTOCOL_VERSION,
    pid: process.pid,
    targetPid: options.targetPid ?? null,
    sampler: made.name,
    firstTickUnixMs: schedule.wall0,
    intervalMs: options.intervalMs,
  });
  if (options.openFiles && options.targetPid !== undefined && !lister) {
    options.emit({ type: 'warning', message: `open files are not collected: ${openFilesSource(options, lister)}` });
  }
  schedule.start();
  return { stop };
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;

/** The agent's CPU per sample() (ms), first tick left out: it pays for lazy initialisation. */
// Windows counts process CPU time in scheduler ticks (~15.6 ms), so single ticks read 0 or 15.6: the mean is the figure.
function spread(values: readonly number[]): { n: number; mean: number; p50: number; p99: number; max: number } {
  const sorted = Float64Array.from(values.length > 1 ? values.slice(1) : values).sort();
  const n = sorted.length;
  const mean = sorted.reduce((a, v) => a + v, 0) / n;
  return { n, mean: round3(mean), p50: round3(percentileSorted(sorted, 50)), p99: round3(percentileSorted(sorted, 99)), max: round3(sorted[n - 1]!) };
}
