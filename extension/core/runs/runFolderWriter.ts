import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CachePolicy, Mode } from '../../shared/names';
import { RUN_SCHEMA_VERSION, runManifestSchema, type RunManifest, type RunStatus } from '../../shared/runManifest';
import { TOOL_VERSION } from '../version';

export type RunSpec = {
  campaignId: string;
  mode: Mode;
  cachePolicy: CachePolicy;
  workflow: string;
  repeat: number;
  app?: { executable: string; version?: string };
  /** The config as used, secrets already removed; only its digest goes into run.json. */
  configText?: string;
  /** Anything else the run should say about itself (cache policy report, dataset identity, …). */
  extra?: Record<string, unknown>;
};

function machineSummary(): NonNullable<RunManifest['machine']> {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    ram_gb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
  };
}

/**
 * One self-describing run folder: run.json is written when the run starts (status "running") and
 * rewritten atomically when it ends, so a crash leaves a folder that says it never finished.
 */
export class RunFolder {
  readonly folder: string;
  private manifest: RunManifest;

  constructor(runsRoot: string, spec: RunSpec) {
    const started = new Date();
    const stamp = started.toISOString().replace(/[:.]/g, '-');
    const runId = `${stamp}_${spec.mode}_${spec.cachePolicy}_${spec.workflow}_r${spec.repeat}`;
    this.folder = path.join(runsRoot, spec.campaignId, runId);
    mkdirSync(this.folder, { recursive: true });
    this.manifest = runManifestSchema.parse({
      schema_version: RUN_SCHEMA_VERSION,
      run_id: runId,
      campaign_id: spec.campaignId,
      mode: spec.mode,
      cache_policy: spec.cachePolicy,
      workflow: spec.workflow,
      repeat: spec.repeat,
      started_at: started.toISOString(),
      ended_at: null,
      status: 'running',
      machine: machineSummary(),
      ...(spec.app ? { app: spec.app } : {}),
      tool: { name: 'fastbench', version: TOOL_VERSION },
      ...(spec.configText ? { config_digest: `sha256:${createHash('sha256').update(spec.configText).digest('hex')}` } : {}),
      ...spec.extra,
    });
    this.write();
  }

  file(name: string): string {
    return path.join(this.folder, name);
  }

  /** Adds facts to run.json (e.g. what the cache policy did) and writes it. */
  note(extra: Record<string, unknown>): void {
    this.manifest = { ...this.manifest, ...extra };
    this.write();
  }

  finish(status: Exclude<RunStatus, 'running'>, reason?: string): void {
    this.manifest = { ...this.manifest, status, ended_at: new Date().toISOString(), ...(reason ? { reason } : {}) };
    this.write();
  }

  private write(): void {
    const target = path.join(this.folder, 'run.json');
    const tmp = `${target}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(this.manifest, null, 2) + '\n');
    renameSync(tmp, target);
  }
}
