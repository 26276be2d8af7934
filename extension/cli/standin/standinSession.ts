import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { CliIo } from '../command';

/** An X display for the viewer: the user's, or a private Xvfb when asked (or when there is none). */
export async function ensureDisplay(io: CliIo, wantXvfb: boolean): Promise<{ display: string | undefined; stop: () => void }> {
  if (process.platform !== 'linux') return { display: undefined, stop: () => {} };
  if (io.env.DISPLAY && !wantXvfb) return { display: io.env.DISPLAY, stop: () => {} };
  // Its own process group: Ctrl-C must reach us (to stop the viewer first), not kill the X server under it.
  const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const display = await new Promise<string>((resolve, reject) => {
    xvfb.once('error', () => reject(new Error('no DISPLAY and no Xvfb: install xvfb (apt-get install xvfb) or run inside a desktop session')));
    xvfb.once('exit', (code) => reject(new Error(`Xvfb exited with code ${code}`)));
    (xvfb.stdio[3] as NodeJS.ReadableStream).once('data', (d: Buffer) => resolve(`:${d.toString().trim()}`));
  });
  io.err(`started Xvfb on display ${display}`);
  return { display, stop: () => xvfb.kill('SIGTERM') };
}

export function viewerScript(): string {
  const script = path.join(__dirname, 'standin-viewer.js');
  if (!existsSync(script)) throw new Error(`${script} is missing: run "npm run build"`);
  return script;
}

/** Launches the viewer as the application under test: its own process and window. */
export function launchViewer(projectFile: string, display: string | undefined, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [viewerScript(), '--project', projectFile], {
    env: { ...env, ...(display ? { DISPLAY: display } : {}) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}
