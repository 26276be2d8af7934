import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * A long-lived tool that prints one reading per line (nvidia-smi --loop-ms, typeperf -si): started once per
 * run rather than once per tick, because starting a process every second costs more than the sample.
 * `onGone` runs when it cannot start or exits, so the caller leaves its cells empty from then on.
 */
export function startLineProcess(command: string, args: string[], onLine: (line: string) => void, onGone: () => void): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'], windowsHide: true });
  child.on('error', onGone);
  child.on('exit', onGone);
  createInterface({ input: child.stdout! }).on('line', onLine);
  return child;
}
