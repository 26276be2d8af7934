import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { BASELINE_SCHEMA, isFailed, type Baseline } from '../../shared/baseline';
import type { LoadedConfig } from '../config/configFile';
import type { Logger } from '../ports/logger';
import { normaliseSasToken, safeText } from '../storage/blobAddress';
import { TOOL_VERSION } from '../version';
import { probeAzure } from './azureProbe';
import { machineInventory } from './machineInventory';
import { probeNas } from './nasProbe';

export type ProbeRunOptions = {
  loaded: LoadedConfig;
  /** The SAS and where it came from ("FASTBENCH_AZURE_SAS", "the VS Code secret store"). */
  sas: { value: string | undefined; source: string };
  /** Seconds per throughput step (each stream count, each NAS test). */
  stepSeconds?: number;
  uploadBytes?: number;
  writeBytes?: number;
  signal?: AbortSignal;
  /** Progress for a person: the step now running and the share of steps done. */
  progress?: (message: string, fraction: number) => void;
  log?: Logger;
};

const errorOf = (e: unknown) => ({ error: safeText((e as Error).message ?? String(e)) });

/** Every failed measurement in the baseline, as "where: why" lines. */
export function problemsOf(b: Pick<Baseline, 'machine' | 'nas' | 'azure'>): string[] {
  const out: string[] = [];
  const walk = (v: unknown, where: string) => {
    if (isFailed(v)) out.push(`${where}: ${v.error}`);
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${where}[${i}]`));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) if (k !== 'samplesMs') walk(x, where ? `${where}.${k}` : k);
  };
  walk({ machine: b.machine, nas: b.nas, azure: b.azure }, '');
  return out;
}

/** Runs every configured part of the baseline probe; failures are kept in place, never thrown (except abort). */
export async function runProbe(o: ProbeRunOptions): Promise<Baseline> {
  const t0 = performance.now();
  const { config, file } = o.loaded;
  const probe = config.probe;
  const tries = probe?.tries ?? 20;
  const stepSeconds = o.stepSeconds ?? 5;
  const steps = 1 + (probe?.nas ? 1 : 0) + (config.azure ? 1 : 0);
  let done = 0;
  const say = (message: string) => {
    o.log?.info(`probe: ${message}`);
    o.progress?.(message, done / steps);
  };

  say('machine inventory');
  const machine = await machineInventory().catch(errorOf);
  done++;

  let nas: Baseline['nas'] = null;
  if (probe?.nas) {
    o.signal?.throwIfAborted();
    const n = probe.nas;
    nas = await probeNas({
      host: n.host,
      port: n.port,
      testFile: n.testFile === undefined ? undefined : path.resolve(o.loaded.dir, n.testFile),
      streams: n.streams,
      writeTest: n.writeTest,
      writeBytes: o.writeBytes ?? 256 * 2 ** 20,
      tries,
      stepSeconds,
      ...(o.signal ? { signal: o.signal } : {}),
      progress: say,
    }).catch((e) => {
      if (o.signal?.aborted) throw e;
      return errorOf(e);
    });
    done++;
  }

  let azure: Baseline['azure'] = null;
  if (config.azure) {
    o.signal?.throwIfAborted();
    const az = probe?.azure;
    azure = await probeAzure(
      { accountUrl: config.azure.accountUrl, container: config.azure.container, blob: config.azure.blob, sas: normaliseSasToken(o.sas.value) },
      {
        tries,
        streams: az?.streams ?? [1, 2, 4, 8, 16],
        rangeBytes: Math.round((az?.rangeMiB ?? 8) * 2 ** 20),
        stepSeconds,
        uploadTest: az?.uploadTest ?? false,
        uploadBytes: o.uploadBytes ?? 64 * 2 ** 20,
        sasSource: o.sas.value ? o.sas.source : 'none (anonymous access)',
        ...(o.signal ? { signal: o.signal } : {}),
        progress: say,
      },
    ).catch((e) => {
      if (o.signal?.aborted) throw e;
      return errorOf(e);
    });
    done++;
  }
  o.progress?.('done', 1);

  const notes: string[] = [];
  if (azure && !isFailed(azure)) {
    const host = new URL(azure.endpoint).hostname;
    if (/^(127\.|localhost$|\[?::1\]?$)/.test(host)) notes.push('Azure endpoint is on this machine (an emulator): its figures describe this machine, not a network link.');
    if (azure.sweep.some((s) => !isFailed(s) && s.cpu.clientBound)) notes.push('Some Azure throughput steps were client-bound: the link may deliver more than the figure shown.');
  }
  if (nas && !isFailed(nas) && nas.read && !nas.read.unbuffered) notes.push('NAS reads went through the OS file cache (unbuffered reads refused): read figures may be inflated.');
  if (!probe?.nas) notes.push('No probe.nas in the config: NAS not measured.');
  if (!config.azure) notes.push('No azure section in the config: Azure not measured.');

  const partial = { machine, nas, azure };
  return {
    schema: BASELINE_SCHEMA,
    toolVersion: TOOL_VERSION,
    createdUnixMs: Date.now(),
    configFile: file,
    durationS: Math.round((performance.now() - t0) / 100) / 10,
    ...partial,
    problems: problemsOf(partial),
    notes,
  };
}
