// The FastBench cold helper: a scheduled task, installed once by an administrator (ps/Install-ColdHelper.ps1), that
// runs as SYSTEM and does only the Cold steps that need elevation — the OS cache purge and the FAST service stop /
// rotate / start — with the values fixed at install time. A campaign from a normal (non-elevated) VS Code asks for
// one of those steps by dropping a request file and starting the task; the task writes the result where only it
// can write, and this side waits for it, bounded. Why SYSTEM and how the scripts are protected: the README's
// "Cold runs on a locked-down workstation" and the header of ps/ColdHelper.ps1.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runPsScript, type PsResult, type PsRunOptions } from './windowsScripts';

export const HELPER_TASK = '\\FastBench\\ColdHelper';
export type HelperOp = 'purge' | 'rotate' | 'recover';

/** What the install fixed (helper.json in the protected folder; readable by every user, writable by admins only). */
export type HelperInstall = {
  version: 1;
  cacheFolder: string | null;
  serviceName: string | null;
  keep: number;
  serviceTimeoutSeconds: number;
  installedAt: string;
  allowedUser: string;
  scripts: Record<string, string>;
};

/** %ProgramData%\FastBench\helper: folder and files admin-write-only (the install replaces any ACL it finds). */
export function helperFolder(env: NodeJS.ProcessEnv = process.env): string {
  return path.win32.join(env.ProgramData ?? env.PROGRAMDATA ?? 'C:\\ProgramData', 'FastBench', 'helper');
}

export function readHelperInstall(folder: string): HelperInstall | undefined {
  const file = path.join(folder, 'helper.json');
  if (!existsSync(file)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8').replace(/^\uFEFF/, '')) as HelperInstall;
    return parsed && parsed.version === 1 ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export type ToolRun = (exe: string, args: string[], timeoutMs: number) => Promise<{ code: number; stdout: string; stderr: string }>;

export const runTool: ToolRun = (exe, args, timeoutMs) =>
  new Promise((resolve) =>
    execFile(exe, args, { timeout: timeoutMs, windowsHide: true }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout: String(stdout), stderr: String(stderr) || (error?.message ?? '') }),
    ),
  );

export type HelperOptions = {
  folder?: string;
  /** schtasks.exe by default; tests point it at a stand-in that plays the task. */
  schtasks?: string;
  run?: ToolRun;
  timeoutMs: number;
  pollMs?: number;
  signal?: AbortSignal;
};

/**
 * Asks the installed helper for one operation and waits (bounded) for its answer. The request holds nothing but an
 * id, the operation and whatIf: what the task may touch was fixed at install, so a request cannot point SYSTEM
 * at another folder, service or file.
 */
export async function invokeHelper(op: HelperOp, whatIf: boolean, o: HelperOptions): Promise<PsResult> {
  const folder = o.folder ?? helperFolder();
  const id = randomBytes(16).toString('hex');
  const request = path.join(folder, 'requests', `${id}.json`);
  try {
    writeFileSync(request, JSON.stringify({ id, op, whatIf }), { flag: 'wx' });
  } catch (e) {
    throw new Error(
      `cold helper: cannot write a request into ${path.dirname(request)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); is it installed? ${INSTALL_FIX}`,
    );
  }
  // A request left behind would run at the task's next start, in the middle of some later run: every way out
  // below that is not an answer takes it back.
  const withdraw = () => rmSync(request, { force: true });
  const run = o.run ?? runTool;
  const started = await run(o.schtasks ?? 'schtasks.exe', ['/run', '/tn', HELPER_TASK], 30_000).catch((e: Error) => {
    withdraw();
    throw e;
  });
  if (started.code !== 0) {
    withdraw();
    throw new Error(`cold helper: schtasks /run /tn ${HELPER_TASK} failed (exit ${started.code}: ${lastLine(started.stderr || started.stdout)}); ${INSTALL_FIX}`);
  }
  const result = path.join(folder, 'results', `${id}.json`);
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    if (existsSync(result)) {
      // The task writes the file aside and moves it into place, so a file that exists is whole.
      const text = readFileSync(result, 'utf8').replace(/^\uFEFF/, '');
      let parsed: PsResult;
      try {
        parsed = JSON.parse(text) as PsResult;
        if (typeof parsed !== 'object' || parsed === null || typeof parsed.ok !== 'boolean') throw new Error('shape');
      } catch {
        throw new Error(`cold helper: ${result}: expected one JSON object with "ok", found ${JSON.stringify(text.slice(0, 200))}`);
      }
      return parsed;
    }
    if (o.signal?.aborted) {
      withdraw();
      throw new Error(`cold helper: interrupted while waiting for the ${op} result`);
    }
    if (Date.now() > deadline) {
      withdraw();
      throw new Error(
        `cold helper: no ${op} result within ${Math.round(o.timeoutMs / 1000)} s (${result} never appeared); check "fastbench cold-helper status" and the task's history in Task Scheduler`,
      );
    }
    await new Promise((r) => setTimeout(r, o.pollMs ?? 250));
  }
}

export const INSTALL_FIX = 'run "fastbench cold-helper install --config fastbench.json" once from an administrator terminal';

const lastLine = (s: string) => s.trim().split(/\r?\n/).pop()?.slice(0, 200) ?? '';

/** How Cold steps that need elevation run on this Windows machine. */
export type ColdRoute = { via: 'direct' } | { via: 'helper'; folder: string; install: HelperInstall } | { via: 'none'; why: string };

/** High (S-1-16-12288) or System (S-1-16-16384) mandatory level in our own token: we can purge ourselves. */
export async function isElevated(run: ToolRun = runTool): Promise<boolean> {
  const r = await run('whoami.exe', ['/groups'], 15_000);
  return r.code === 0 && /S-1-16-(12288|16384)\b/.test(r.stdout);
}

/** Is the task registered and readable by us? (The install grants the campaign user read + run on it.) */
export async function helperTaskPresent(o: { schtasks?: string; run?: ToolRun } = {}): Promise<boolean> {
  const r = await (o.run ?? runTool)(o.schtasks ?? 'schtasks.exe', ['/query', '/tn', HELPER_TASK], 15_000);
  return r.code === 0;
}

/**
 * Elevated → the scripts run directly; else the installed helper, if its task is there and its fixed values match
 * what the config asks for; else "cannot elevate", a setup problem the preflight reports once, with the fix.
 */
export async function windowsColdRoute(
  want: { cacheFolder?: string | undefined; serviceName?: string | undefined },
  o: { folder?: string; run?: ToolRun; schtasks?: string; elevated?: boolean } = {},
): Promise<ColdRoute> {
  if (o.elevated ?? (await isElevated(o.run))) return { via: 'direct' };
  const folder = o.folder ?? helperFolder();
  const install = readHelperInstall(folder);
  if (!install || !(await helperTaskPresent(o))) {
    return {
      via: 'none',
      why: `Cold runs need elevation for the OS cache purge and the FAST service, and this process is not elevated and no FastBench cold helper is installed (${install ? `task ${HELPER_TASK} is missing` : `no ${path.win32.join(folder, 'helper.json')}`}): ${INSTALL_FIX}`,
    };
  }
  const same = (a: string | null | undefined, b: string | null | undefined) => (a ?? '').replace(/[\\/]+$/, '').toLowerCase() === (b ?? '').replace(/[\\/]+$/, '').toLowerCase();
  const mismatch: string[] = [];
  if (want.cacheFolder && !same(want.cacheFolder, install.cacheFolder)) mismatch.push(`cache folder ${install.cacheFolder ?? '(none)'} (the config says ${want.cacheFolder})`);
  if (want.serviceName && !same(want.serviceName, install.serviceName)) mismatch.push(`service ${install.serviceName ?? '(none)'} (the config says ${want.serviceName})`);
  if (mismatch.length) return { via: 'none', why: `the FastBench cold helper was installed for ${mismatch.join(' and ')}: ${INSTALL_FIX}` };
  return { via: 'helper', folder, install };
}

export type WindowsScript = 'Rotate-FastCache.ps1' | 'Clear-WindowsCache.ps1';
/** Runs one Cold script: directly (elevated), or as the helper's operation with the values fixed at install. */
export type WindowsColdRunner = {
  via: 'direct' | 'helper';
  run(script: WindowsScript, params: Record<string, string | number | boolean | undefined>, timeoutMs: number): Promise<PsResult>;
  recover?: (timeoutMs: number) => Promise<PsResult>;
};

export function directRunner(ps?: PsRunOptions): WindowsColdRunner {
  return { via: 'direct', run: (script, params, timeoutMs) => runPsScript(script, params, { ...ps, timeoutMs }) };
}

export function helperRunner(folder: string, o: Omit<HelperOptions, 'folder' | 'timeoutMs'> = {}, install?: Pick<HelperInstall, 'serviceTimeoutSeconds'>): WindowsColdRunner {
  // The task stops and starts FAST with the timeout fixed at install: wait at least that long for its answer.
  const atLeast = (timeoutMs: number) => Math.max(timeoutMs, install ? rotateTimeoutMs(install.serviceTimeoutSeconds) : 0);
  return {
    via: 'helper',
    run: (script, params, timeoutMs) =>
      script === 'Rotate-FastCache.ps1'
        ? invokeHelper('rotate', params.WhatIf === true, { ...o, folder, timeoutMs: atLeast(timeoutMs) })
        : invokeHelper('purge', params.WhatIf === true, { ...o, folder, timeoutMs }),
    recover: (timeoutMs) => invokeHelper('recover', false, { ...o, folder, timeoutMs: atLeast(timeoutMs) }),
  };
}

/** Bound for one rotation: a stop and a start of at most serviceTimeoutS each, the kill, and the rename. */
export const rotateTimeoutMs = (serviceTimeoutS: number) => (2 * serviceTimeoutS + 15 + 120) * 1000;

const routeMemo = new Map<string, Promise<ColdRoute>>();
/**
 * The route for what a campaign wants, decided once per cache folder and service in this process (elevation and the
 * install do not change during a campaign). "none" is never kept: the extension host outlives campaigns, and the
 * helper may be installed between two of them.
 */
export function windowsColdRouteOnce(want: { cacheFolder?: string | undefined; serviceName?: string | undefined }): Promise<ColdRoute> {
  const key = JSON.stringify([want.cacheFolder ?? null, want.serviceName ?? null]);
  let route = routeMemo.get(key);
  if (!route) {
    route = windowsColdRoute(want);
    routeMemo.set(key, route);
    void route.then(
      (r) => r.via === 'none' && routeMemo.delete(key),
      () => routeMemo.delete(key),
    );
  }
  return route;
}

/** The runner for a Cold policy on Windows; throws the setup error when there is no way to elevate. */
export async function windowsColdRunner(want: { cacheFolder?: string | undefined; serviceName?: string | undefined }, ps?: PsRunOptions): Promise<WindowsColdRunner> {
  const route = await windowsColdRouteOnce(want);
  if (route.via === 'none') throw new Error(route.why);
  return route.via === 'direct' ? directRunner(ps) : helperRunner(route.folder, {}, route.install);
}

export type HelperSetupRequest = {
  action: 'install' | 'uninstall' | 'status';
  cacheFolder?: string | undefined;
  serviceName?: string | undefined;
  keep?: number | undefined;
  serviceTimeoutS?: number | undefined;
  allowedUser?: string | undefined;
  signingCertificateThumbprint?: string | undefined;
};

/** Runs ps/Install-ColdHelper.ps1 (install and uninstall need an administrator terminal; status does not). */
export function helperSetup(req: HelperSetupRequest, ps?: PsRunOptions): Promise<PsResult> {
  return runPsScript(
    'Install-ColdHelper.ps1',
    {
      Action: req.action,
      CacheFolder: req.cacheFolder,
      ServiceName: req.serviceName,
      Keep: req.keep,
      ServiceTimeoutSeconds: req.serviceTimeoutS,
      AllowedUser: req.allowedUser,
      SigningCertificateThumbprint: req.signingCertificateThumbprint,
    },
    { timeoutMs: 120_000, ...ps },
  );
}
