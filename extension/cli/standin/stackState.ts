// The stand-in stack's state file (<home>/stack.json): who runs the stack, what it started (pids of process
// groups) and where it mounted. Written before each child starts, so a CLI killed with kill -9 at any point
// leaves enough behind for the next start to clean up: processes still alive that are ours (checked by their
// command line, so a reused pid is never signalled) are stopped, mounts are taken down (lazily when stale).
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { fuseUnmount, isStaleMount, mountsUnder } from '../../standin/fastcache/mounts';
import { killGroup } from './sshNas';

export type StackState = {
  /** The process that owns the stack (the CLI or the extension host). */
  ownerPid: number;
  startedAt: string;
  /** name → pid of a process group leader we started, and a text its command line must contain. */
  children: Record<string, { pid: number; match: string }>;
  mounts: string[];
};

export function readStackState(file: string): StackState | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as StackState;
  } catch {
    return undefined;
  }
}

export function writeStackState(file: string, state: StackState): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2) + '\n');
  renameSync(`${file}.tmp`, file);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/**
 * Cleans up after a stack whose owner is gone. Throws when the owner still runs (a second stack on the same
 * home would fight over ports and mounts). Returns what was done, one line each.
 */
export async function cleanStaleStack(stateFile: string, mountRoot: string): Promise<string[]> {
  const done: string[] = [];
  const state = readStackState(stateFile);
  if (state && state.ownerPid !== process.pid && isAlive(state.ownerPid) && commandLine(state.ownerPid)) {
    throw new Error(`a stand-in stack is already running (pid ${state.ownerPid}, started ${state.startedAt}; state in ${stateFile}): stop it first`);
  }
  for (const [name, { pid, match }] of Object.entries(state?.children ?? {})) {
    if (!isAlive(pid) || !commandLine(pid).includes(match)) continue;
    killGroup(pid, 'SIGTERM');
    for (let i = 0; i < 50 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    if (isAlive(pid)) killGroup(pid, 'SIGKILL');
    done.push(`stopped ${name} (pid ${pid}) left by a stack that did not stop cleanly`);
  }
  // Mounts: those the state names and any other FUSE mount under the stand-in's mnt/ folder.
  const mounts = new Set([...(state?.mounts ?? []), ...mountsUnder(mountRoot).map((m) => m.mountPoint)]);
  for (const m of mounts) {
    const stale = isStaleMount(m);
    if (!stale && !mountsUnder(m).length) continue;
    const r = await fuseUnmount(m);
    if (!r.ok) throw new Error(`cannot clean up the mount a killed run left: ${r.detail}`);
    done.push(`${stale ? 'stale mount' : 'mount'} ${m} left by an earlier run: ${r.detail}`);
  }
  if (existsSync(stateFile)) rmSync(stateFile, { force: true });
  return done;
}
