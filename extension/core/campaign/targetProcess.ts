import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Environment variables every launched target inherits, so a cooperative target (the stand-in) can log beside the run. */
export const TARGET_ENV = {
  runFolder: 'FASTBENCH_RUN_DIR',
  mode: 'FASTBENCH_MODE',
} as const;

export type LaunchedTarget = {
  child: ChildProcess;
  pid: number;
  /** Why it exited, once it has ("exit code 3", "signal SIGSEGV"). */
  exitReason(): string | undefined;
  exited: Promise<void>;
  stderrTail(): string;
};

/** Replaces {project}, {dataPath} and (batch runs) {workflow} in each argument. */
export function expandArguments(args: string[], values: { project?: string; dataPath?: string; workflow?: string }): string[] {
  return args.map((a) =>
    a.replace(/\{(project|dataPath|workflow)\}/g, (whole, key: 'project' | 'dataPath' | 'workflow') => {
      const v = values[key];
      if (v === undefined) throw new Error(`target.arguments uses ${whole} but no ${key} is configured for this mode`);
      return v;
    }),
  );
}

/**
 * Starts the application in a process group of its own (Linux), so the whole tree it spawns can be
 * signalled and killed together; on Windows the tree is killed with taskkill /T.
 */
export function launchTarget(executable: string, args: string[], env: NodeJS.ProcessEnv): Promise<LaunchedTarget> {
  const child = spawn(executable, args, { env, stdio: ['ignore', 'ignore', 'pipe'], detached: process.platform !== 'win32', windowsHide: false });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  let reason: string | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      reason = signal ? `signal ${signal}` : `exit code ${code}`;
      resolve();
    }),
  );
  return new Promise((resolve, reject) => {
    child.once('error', (e) => reject(new Error(`cannot start ${executable}: ${e.message}`)));
    child.once('spawn', () => resolve({ child, pid: child.pid!, exitReason: () => reason, exited, stderrTail: () => stderr.trim().split('\n').slice(-5).join(' | ') }));
  });
}

/** The launched process and every descendant, read from /proc (Linux); elsewhere just the process itself. */
export function processTree(root: number): number[] {
  if (process.platform !== 'linux') return [root];
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name may hold spaces and parentheses; fields resume after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(name), ppid);
    } catch {
      // The process ended while we listed.
    }
  }
  const tree = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of parentOf) {
      if (!tree.has(pid) && tree.has(ppid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return [...tree];
}

const taskkill = (args: string[]) => spawnSync('taskkill', args, { windowsHide: true, timeout: 10_000 });

/**
 * Asks the tree to end (SIGTERM: WM_CLOSE to its windows on Windows) or kills it; says how, for run.json.
 * Wine's taskkill has no /T ("Unknown or invalid command line option", exit 1), so on Windows a refused /T is
 * retried for the root process alone, and a kill that taskkill cannot do falls back to TerminateProcess
 * (child.kill) — the caller reports which one happened instead of claiming the tree was ended.
 */
function signalTree(t: LaunchedTarget, signal: NodeJS.Signals): string {
  const force = signal === 'SIGKILL';
  if (process.platform === 'win32') {
    const flags = force ? ['/F'] : [];
    if (taskkill(['/PID', String(t.pid), '/T', ...flags]).status === 0) return `taskkill /PID ${t.pid} /T${force ? ' /F' : ''}`;
    if (taskkill(['/PID', String(t.pid), ...flags]).status === 0) return `taskkill /PID ${t.pid}${force ? ' /F' : ''} (this taskkill refused /T: the root process only)`;
    if (!force) return 'nothing: taskkill failed, and there is no polite request without it';
    t.child.kill();
    return 'TerminateProcess (taskkill failed): the root process only';
  }
  try {
    process.kill(-t.pid, signal);
  } catch {
    // Already gone.
  }
  return `${signal} to the process group`;
}

/** Which step of the close sequence ended the target (run.json close_ended_by). */
export type CloseStep = 'already-exited' | 'close-keys' | 'save-prompt' | 'wm-close' | 'kill';
export type CloseOutcome = { how: string; endedBy: CloseStep; prompts: string[] };

export type CloseOptions = {
  timeoutMs: number;
  /** The configured close keys, into the main window. */
  politeClose?: () => Promise<void>;
  /** Called while waiting: answers a "save changes?" prompt if one is up; says what it did, else undefined. */
  watch?: () => Promise<string | undefined>;
  pollMs?: number;
};

/** Waits up to ms for the exit, calling watch between polls; true once the process has exited. */
async function waitExit(t: LaunchedTarget, ms: number, o: CloseOptions, prompts: string[]): Promise<boolean> {
  const deadline = Date.now() + ms;
  let exited = false;
  void t.exited.then(() => (exited = true));
  for (;;) {
    if (exited || t.exitReason()) return true;
    if (o.watch) {
      const did = await o.watch().catch(() => undefined);
      if (did) prompts.push(did);
    }
    const left = deadline - Date.now();
    if (left <= 0) return Boolean(t.exitReason());
    await Promise.race([t.exited, new Promise((r) => setTimeout(r, Math.min(left, o.pollMs ?? 100)).unref())]);
  }
}

/**
 * Ends the target, each step bounded by timeoutMs: the close keys (if any), then WM_CLOSE to the tree (SIGTERM on
 * Linux), then a kill; between polls a "save changes?" prompt is answered "No" (watch). Resolves once the process
 * has really exited, saying how and which step ended it.
 */
export async function closeTargetSteps(t: LaunchedTarget, o: CloseOptions): Promise<CloseOutcome> {
  const prompts: string[] = [];
  const after = (base: string, step: CloseStep, promptsBefore: number): CloseOutcome => {
    const answered = prompts.length > promptsBefore;
    return {
      how: answered ? `${base}, after ${prompts.slice(promptsBefore).join('; ')}` : base,
      endedBy: answered && step !== 'kill' ? 'save-prompt' : step,
      prompts,
    };
  };
  if (t.exitReason()) return { how: `had already exited (${t.exitReason()})`, endedBy: 'already-exited', prompts };
  if (o.politeClose) {
    await o.politeClose().catch(() => undefined);
    if (await waitExit(t, o.timeoutMs, o, prompts)) return after('closed by its close keys', 'close-keys', 0);
  }
  const n = prompts.length;
  const asked = signalTree(t, 'SIGTERM');
  if (await waitExit(t, o.timeoutMs, o, prompts)) return after(`closed on request (${asked})`, 'wm-close', n);
  const killed = signalTree(t, 'SIGKILL');
  if (await waitExit(t, 10_000, { ...o, watch: undefined }, prompts))
    return after(`killed after ${Math.round(o.timeoutMs / 1000)} s (${killed}; asked first with ${asked})`, 'kill', prompts.length);
  throw new Error(`process ${t.pid} did not exit even after ${killed}`);
}

/** closeTargetSteps, saying only how it ended. */
export async function closeTarget(t: LaunchedTarget, o: CloseOptions): Promise<string> {
  return (await closeTargetSteps(t, o)).how;
}

/** The command line of a process (Linux), to recognise it later; undefined elsewhere or when it is gone. */
export function targetCmdline(pid: number): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return undefined;
  }
}

/**
 * Ends what a killed campaign process left running: the target's process group, but only if the pid still
 * runs the same command line (pids are reused). Returns what was done, for the log.
 */
export function reapLeftover(target: { pid?: number; cmdline?: string } | undefined): string | undefined {
  if (!target?.pid) return undefined;
  if (process.platform === 'win32') {
    spawnSync('taskkill', ['/PID', String(target.pid), '/T', '/F'], { windowsHide: true, timeout: 10_000 });
    return `ended process tree ${target.pid}`;
  }
  const now = targetCmdline(target.pid);
  if (!now || now !== target.cmdline) return undefined;
  try {
    process.kill(-target.pid, 'SIGKILL');
  } catch {
    try {
      process.kill(target.pid, 'SIGKILL');
    } catch {
      return undefined;
    }
  }
  return `ended the target left running by the interrupted run (pid ${target.pid})`;
}
