// Cache policies before a run. Cold = the OS no longer holds the data files in its page cache, and (B_fast)
// the FAST cache folder is rotated empty with the FAST service stopped around it; Warm = left as the previous
// run left it. Every step is reported (what was done, what could not be), so run.json can say exactly
// which state a run started from. Linux: fdatasync + fadvise DONTNEED per file, verified with mincore
// (fincore), optionally drop_caches. Windows: ps/Rotate-FastCache.ps1 and ps/Clear-WindowsCache.ps1.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { CachePolicy, Mode } from '../../shared/names';
import { dropCaches, evict, filesUnder, residency, type Residency } from './pageCache';
import { rotateCacheFolder } from './rotateFolder';
import { directRunner, rotateTimeoutMs, type WindowsColdRunner } from './coldHelper';
import { reopenAloneUnbuffered } from './releaseFile';
import { PsTimeoutError, type PsRunOptions } from './windowsScripts';

/** Stops and starts whatever serves the cache (the FAST service; the stand-in daemon on Linux). */
export type ServiceControl = { name: string; stop: () => Promise<string>; start: () => Promise<string> };

export type PolicyRequest = {
  policy: CachePolicy;
  mode: Mode;
  /** The volume as the application opens it (A_shared: on the NAS; B_fast: the FAST path). */
  dataFiles: string[];
  /** B_fast: the FAST cache folder. */
  cacheFolder?: string;
  keepRotated?: number;
  /** Windows service to stop/start around the rotation (B_fast). */
  serviceName?: string;
  /** More files or folders to evict (e.g. the stand-in's Azurite folder, so the "cloud" is cold too). */
  extraPaths?: string[];
  dropCaches?: boolean;
  whatIf?: boolean;
  /** Linux: a service control for the stand-in daemon (suspend/resume). */
  service?: ServiceControl;
  platform?: NodeJS.Platform;
  ps?: PsRunOptions;
  /** Stops between files and before the rotation; a stopped service is always started again. */
  signal?: AbortSignal;
  /** Each step as it completes (progress in VS Code). */
  onStep?: (step: PolicyStep) => void;
  /** Windows: how the elevated steps run (default: the scripts directly, which needs an elevated process). */
  windows?: WindowsColdRunner;
  /** Windows: the longest a FAST stop or start may take (Rotate-FastCache.ps1 -ServiceTimeoutSeconds). */
  serviceTimeoutS?: number;
  /** Windows: open each data file alone and unbuffered before the purge (needs no elevation). */
  release?: typeof reopenAloneUnbuffered;
};

/** evidence: what a script measured (the purge's standby-list bytes before/after, SysMain, Offline Files…). */
export type PolicyStep = { step: string; ok: boolean; detail: string; evidence?: unknown };
export type ResidencyRow = { file: string; bytes: number; residentBefore: number; residentAfter: number };

export type PolicyReport = {
  policy: CachePolicy;
  mode: Mode;
  platform: string;
  ok: boolean;
  whatIf: boolean;
  steps: PolicyStep[];
  residency: ResidencyRow[];
  at: string;
};

/** Resident bytes at or under this after eviction count as "~0" (a page or two the kernel re-reads). */
export const RESIDENT_TOLERANCE = (bytes: number) => Math.max(64 * 1024, bytes * 0.01);

const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;

export async function applyCachePolicy(req: PolicyRequest): Promise<PolicyReport> {
  const platform = req.platform ?? process.platform;
  const report: PolicyReport = { policy: req.policy, mode: req.mode, platform, ok: true, whatIf: req.whatIf === true, steps: [], residency: [], at: new Date().toISOString() };
  const step = (s: PolicyStep) => {
    report.steps.push(s);
    if (!s.ok) report.ok = false;
    req.onStep?.(s);
  };
  if (req.policy === 'Warm') {
    step({ step: 'warm', ok: true, detail: 'nothing changed: caches are as the previous run left them' });
    if (platform === 'linux') report.residency = toRows(await residency(await linuxFiles(req)), undefined);
    return report;
  }
  if (platform === 'win32') await coldWindows(req, step);
  else if (platform === 'linux') await coldLinux(req, step, report);
  else {
    if (req.mode === 'B_fast' && req.cacheFolder) await rotateStep(req, step);
    step({ step: 'os-cache', ok: false, detail: `clearing the OS file cache is not implemented on ${platform}` });
  }
  return report;
}

async function linuxFiles(req: PolicyRequest): Promise<string[]> {
  const files = req.dataFiles.filter((f) => existsSync(f));
  if (req.cacheFolder) files.push(...(await filesUnder(req.cacheFolder)));
  for (const p of req.extraPaths ?? []) files.push(...(await filesUnder(p)));
  return [...new Set(files)];
}

function toRows(before: { file: string; bytes: number; residentBytes: number }[], after: Map<string, number> | undefined): ResidencyRow[] {
  return before.map((b) => ({ file: b.file, bytes: b.bytes, residentBefore: b.residentBytes, residentAfter: after?.get(b.file) ?? b.residentBytes }));
}

async function rotateStep(req: PolicyRequest, step: (s: PolicyStep) => void): Promise<string | undefined> {
  try {
    const r = await rotateCacheFolder(req.cacheFolder!, req.keepRotated ?? 2, { whatIf: req.whatIf === true });
    const verb = req.whatIf ? 'would rotate' : 'rotated';
    step({
      step: 'rotate-cache',
      ok: true,
      detail: `${r.rotatedTo ? `${verb} ${r.folder} → ${path.basename(r.rotatedTo)}` : `${r.folder} was already empty`}; kept ${r.kept.length}, ${req.whatIf ? 'would remove' : 'removed'} ${r.removed.length}`,
    });
    return r.rotatedTo;
  } catch (e) {
    step({ step: 'rotate-cache', ok: false, detail: (e as Error).message });
    return undefined;
  }
}

async function coldLinux(req: PolicyRequest, step: (s: PolicyStep) => void, report: PolicyReport): Promise<void> {
  // On the NAS the volume must exist; a FAST path may legitimately be absent while FAST is stopped.
  const missing = req.mode === 'A_shared' ? req.dataFiles.filter((f) => !existsSync(f)) : [];
  if (missing.length) step({ step: 'find-data', ok: false, detail: `${missing.join(', ')}: no such file (is modes.A_shared.dataPath right?)` });
  // Files the service itself presents (B_fast's data file on the FAST mount) are opened only while it runs:
  // a stopped FAST cannot answer an open, and the stand-in's mount would hold the open until its resume.
  // They are listed and measured before the stop and evicted after the start (the first open after a
  // rotation drops the mount's pages as well; the eviction makes sure and is verified below).
  let files: string[];
  let before: Residency[];
  try {
    files = await linuxFiles(req);
    before = await residency(files);
  } catch (e) {
    step({ step: 'evict', ok: false, detail: (e as Error).message });
    return;
  }
  const served = new Set(req.service && req.cacheFolder ? req.dataFiles.filter((f) => files.includes(f) && !isUnder(f, req.cacheFolder!)) : []);
  const stopped = files.filter((f) => !served.has(f));
  if (req.whatIf) {
    report.residency = toRows(before, undefined);
    step({ step: 'evict', ok: true, detail: `would evict ${files.length} file(s), ${mib(before.reduce((s, r) => s + r.residentBytes, 0))} resident` });
    if (req.mode === 'B_fast' && req.cacheFolder) await rotateStep(req, step);
    return;
  }
  const failures: string[] = [];
  let renamed = new Map<string, string>();
  let complete = false;
  let started = true;
  let serviceStopped = true;
  if (req.service) {
    try {
      step({ step: 'stop-service', ok: true, detail: await req.service.stop() });
    } catch (e) {
      serviceStopped = false;
      step({ step: 'stop-service', ok: false, detail: `${req.service.name}: ${(e as Error).message}; nothing evicted or rotated` });
    }
  }
  try {
    // Rotating the folder of a cache that is still being served would pull it from under the service.
    if (!serviceStopped) return;
    let evicted = 0;
    for (const f of stopped) {
      if (req.signal?.aborted) break;
      await evict(f).catch((e: Error) => failures.push(e.message));
      evicted++;
    }
    if (req.signal?.aborted) {
      // Half a Cold is no Cold: say so, rotate nothing more, and let finally start the service again.
      step({ step: 'cancelled', ok: false, detail: `cancelled after evicting ${evicted} of ${stopped.length} file(s); the cache folder was not rotated` });
      return;
    }
    if (req.mode === 'B_fast' && req.cacheFolder) {
      const rotatedTo = await rotateStep(req, step);
      if (rotatedTo) renamed = new Map(stopped.filter((f) => isUnder(f, req.cacheFolder!)).map((f) => [f, path.join(rotatedTo, path.relative(req.cacheFolder!, f))]));
    }
    complete = true;
  } catch (e) {
    step({ step: 'evict', ok: false, detail: (e as Error).message });
  } finally {
    if (req.service) {
      try {
        step({ step: 'start-service', ok: true, detail: await req.service.start() });
      } catch (e) {
        started = false;
        step({ step: 'start-service', ok: false, detail: `${req.service.name}: ${(e as Error).message}` });
      }
    }
  }
  if (!complete) return;
  try {
    // A service that did not start cannot answer an open of its own files: leave them, and say so.
    if (started) for (const f of served) await evict(f).catch((e: Error) => failures.push(e.message));
    else if (served.size) failures.push(`not evicted while ${req.service!.name} is not running: ${[...served].join(', ')}`);
    step({
      step: 'evict',
      ok: failures.length === 0,
      detail: failures.length
        ? failures.join('; ')
        : `fdatasync + fadvise DONTNEED on ${files.length} file(s)${served.size ? ` (${served.size} on the service's mount, after its start)` : ''}, ${mib(before.reduce((s, r) => s + r.residentBytes, 0))} were resident`,
    });
    if (req.dropCaches) {
      await dropCaches().then(
        () => step({ step: 'drop-caches', ok: true, detail: 'sync; echo 1 > /proc/sys/vm/drop_caches' }),
        (e: Error) => step({ step: 'drop-caches', ok: false, detail: e.message }),
      );
    }
    // Residency after, at each file's current path (rotated cache files moved; removed ones are gone).
    const now = files
      .filter((f) => started || !served.has(f))
      .map((f) => renamed.get(f) ?? f)
      .filter((f) => existsSync(f));
    const after = new Map((await residency(now)).map((r) => [r.file, r.residentBytes]));
    const back = new Map([...renamed].map(([from, to]) => [to, from]));
    const afterByOriginal = new Map<string, number>();
    for (const [file, res] of after) afterByOriginal.set(back.get(file) ?? file, res);
    for (const f of files) if (!afterByOriginal.has(f) && !(served.has(f) && !started)) afterByOriginal.set(f, 0);
    report.residency = toRows(before, afterByOriginal);
    const still = report.residency.filter((r) => r.residentAfter > RESIDENT_TOLERANCE(r.bytes));
    step({
      step: 'verify-residency',
      ok: still.length === 0,
      detail: still.length
        ? `still resident: ${still.map((r) => `${r.file} ${mib(r.residentAfter)} of ${mib(r.bytes)}`).join('; ')} (open or mapped by a running process?)`
        : `${files.length} file(s) at ~0 resident (mincore via fincore)`,
    });
  } catch (e) {
    step({ step: 'evict', ok: false, detail: (e as Error).message });
  }
}

function isUnder(file: string, folder: string): boolean {
  const rel = path.relative(folder, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

async function coldWindows(req: PolicyRequest, step: (s: PolicyStep) => void): Promise<void> {
  // Rotation first: the script stops FAST (closing its cache files), renames the folder and starts FAST on an
  // empty one; then each data file is opened alone and unbuffered (proof nobody holds it; its cached pages go);
  // then the purge, which cannot drop pages of files still open. Petrel was confirmed gone before this.
  const runner = req.windows ?? directRunner(req.ps);
  const via = runner.via === 'helper' ? ' (through the FastBench cold helper)' : '';
  if (req.mode === 'B_fast' && req.cacheFolder) {
    const serviceTimeoutS = req.serviceTimeoutS ?? 60;
    const params = { CacheFolder: req.cacheFolder, Keep: req.keepRotated ?? 2, ServiceName: req.serviceName, ServiceTimeoutSeconds: serviceTimeoutS, WhatIf: req.whatIf };
    try {
      const r = await runner.run('Rotate-FastCache.ps1', params, rotateTimeoutMs(serviceTimeoutS));
      step({ step: 'rotate-cache', ok: r.ok, detail: describePs(r) + via });
    } catch (e) {
      step({ step: 'rotate-cache', ok: false, detail: (e as Error).message + via });
      // The script was ended before its finally could start FAST again: start it now, or every later B_fast run
      // would measure a dead service.
      if (e instanceof PsTimeoutError || /no rotate result within/.test((e as Error).message)) {
        if (req.serviceName) await recoverService(req, runner, serviceTimeoutS, step);
      }
    }
  }
  if (req.signal?.aborted) {
    // The rotation (if any) already restarted FAST; stop before touching the data files or the OS cache.
    step({ step: 'cancelled', ok: false, detail: 'cancelled before the data files were released and the OS cache purged' });
    return;
  }
  if (!req.whatIf) {
    const release = req.release ?? reopenAloneUnbuffered;
    const results = req.dataFiles.map((f) => release(f));
    // The FAST path is FAST's own file: FAST holding it is expected; on the NAS a holder means Petrel is still there.
    const blocking = results.filter((r) => !r.ok && !(req.mode === 'B_fast' && r.inUse));
    step({ step: 'release-data', ok: blocking.length === 0, detail: results.map((r) => r.detail).join('; ') || 'no data files' });
  }
  try {
    const r = await runner.run('Clear-WindowsCache.ps1', { WhatIf: req.whatIf }, 180_000);
    step({ step: 'os-cache', ok: r.ok, detail: describePs(r) + via, ...(r.evidence ? { evidence: r.evidence } : {}) });
  } catch (e) {
    step({ step: 'os-cache', ok: false, detail: (e as Error).message + via });
  }
}

async function recoverService(req: PolicyRequest, runner: WindowsColdRunner, serviceTimeoutS: number, step: (s: PolicyStep) => void): Promise<void> {
  try {
    const r = runner.recover
      ? await runner.recover(rotateTimeoutMs(serviceTimeoutS))
      : await runner.run('Rotate-FastCache.ps1', { ServiceName: req.serviceName, ServiceTimeoutSeconds: serviceTimeoutS, Recover: true }, rotateTimeoutMs(serviceTimeoutS));
    step({ step: 'recover-service', ok: r.ok, detail: describePs(r) });
  } catch (e) {
    step({ step: 'recover-service', ok: false, detail: `${(e as Error).message}: FAST may be stopped; start service ${req.serviceName} by hand` });
  }
}

/** The scripts' "did" and "couldNot" lists, as one line. */
function describePs(r: Record<string, unknown>): string {
  const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
  const did = list(r.did);
  const not = list(r.couldNot);
  return [did.length ? `did: ${did.join('; ')}` : 'did nothing', not.length ? `could not: ${not.join('; ')}` : ''].filter(Boolean).join(' — ');
}
