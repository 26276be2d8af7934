import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { METRICS_COLUMNS, OPEN_FILE_COLUMNS, formatMetricsRow } from '../../shared/metrics';
import { percentileSorted } from '../../shared/statistics';
import { TOOL_VERSION } from '../version';
import { AGENT_PROTOCOL_VERSION, type AgentOutput, type AgentReport } from './agentMessages';
import { LinuxProcSampler } from './linuxSampler';
import { NvidiaSmiReader } from './nvidiaSmi';
import { escapeTsvPath, linuxOpenFiles, type OpenFilesLister } from './openFiles';
import { pathClassifier, type PathRule } from './pathClasses';
import { LineAppender, writeJsonAtomic } from './runFiles';
import type { MetricsSampler } from './sampler';
import { SystemInformationSampler } from './systemInformationSampler';
import { TickSchedule } from './tickSchedule';
import { WindowsTypeperfSampler } from './windowsSampler';

export type SamplerName = 'proc' | 'typeperf' | 'si';

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
};

export const defaultSampler = (): SamplerName => (process.platform === 'linux' ? 'proc' : process.platform === 'win32' ? 'typeperf' : 'si');

async function makeSampler(name: SamplerName, pid: number | undefined): Promise<MetricsSampler> {
  const gpu = await NvidiaSmiReader.start();
  if (name === 'proc') return new LinuxProcSampler(pid, gpu);
  if (name === 'typeperf') return new WindowsTypeperfSampler(pid, gpu);
  return new SystemInformationSampler(pid, gpu);
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
  const sampler = await makeSampler(options.sampler, options.targetPid);
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
      sampler: options.sampler,
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
    sampler: options.sampler,
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
