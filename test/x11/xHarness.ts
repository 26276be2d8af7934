import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { DriverClient, type DriverEvent } from '../../extension/core/driver/driverClient';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const DRIVER = path.join(REPO_ROOT, 'dist', 'driver.js');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A private Xvfb for one test file; -displayfd picks a free display number. */
export async function startXvfb(): Promise<{ display: string; stop: () => void }> {
  const proc = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  const display = await new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error('Xvfb did not report a display within 10 s')), 10_000);
    (proc.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\n')) {
        clearTimeout(timer);
        resolve(`:${text.trim()}`);
      }
    });
    proc.once('error', (e) => reject(new Error(`cannot start Xvfb (apt-get install xvfb): ${e.message}`)));
    proc.once('exit', (code) => reject(new Error(`Xvfb exited with ${code}`)));
  });
  return { display, stop: () => proc.kill('SIGTERM') };
}

export type XProgram = { proc: ChildProcess; output: () => string; stop: () => void };

/** Starts an X program on the display and keeps its stdout (xev's log is the oracle). */
export function startProgram(display: string, cmd: string, args: string[]): XProgram {
  const proc = spawn(cmd, args, { env: { ...process.env, DISPLAY: display }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { proc, output: () => out, stop: () => proc.kill('SIGTERM') };
}

export function xdotool(display: string, ...args: string[]): string {
  return execFileSync('xdotool', args, { env: { ...process.env, DISPLAY: display }, encoding: 'utf8' });
}

export function startDriver(display: string, extra: { maxRestarts?: number } = {}): Promise<DriverClient> {
  return DriverClient.start({ command: [process.execPath, DRIVER], env: { ...process.env, DISPLAY: display }, ...extra });
}

export type XevEvent =
  | { type: 'ButtonPress' | 'ButtonRelease'; x: number; y: number; button: number; window: string }
  | { type: 'KeyPress' | 'KeyRelease'; keysym: string }
  | { type: 'MotionNotify'; x: number; y: number; window: string };

/** Parses xev's log: the program's own record of what it received. */
export function parseXev(text: string): XevEvent[] {
  const events: XevEvent[] = [];
  for (const block of text.split(/\n\n+/)) {
    const head = /^(\w+) event, serial \d+, synthetic \w+, window (0x[0-9a-f]+)/.exec(block.trim());
    if (!head) continue;
    const [, type, window] = head;
    const pos = /\((-?\d+),(-?\d+)\), root:/.exec(block);
    if ((type === 'ButtonPress' || type === 'ButtonRelease') && pos) {
      events.push({ type, x: Number(pos[1]), y: Number(pos[2]), button: Number(/button (\d+)/.exec(block)![1]), window: window! });
    } else if (type === 'MotionNotify' && pos) {
      events.push({ type, x: Number(pos[1]), y: Number(pos[2]), window: window! });
    } else if (type === 'KeyPress' || type === 'KeyRelease') {
      events.push({ type, keysym: /keysym 0x[0-9a-f]+, ([^)]+)\)/.exec(block)?.[1] ?? '?' });
    }
  }
  return events;
}

export async function waitUntil<T>(what: string, check: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export function collect(driver: DriverClient): DriverEvent[] {
  const events: DriverEvent[] = [];
  driver.onEvent((e) => events.push(e));
  return events;
}
