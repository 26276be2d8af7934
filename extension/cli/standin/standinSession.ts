import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startFastcache, type RunningFastcache } from '../../standin/fastcache/fastcacheProcess';
import { defaultBlobUrl } from '../../standin/fastcache/daemonArgs';
import { blobEndpointAnswers, startAzurite, type RunningAzurite } from '../../standin/volume/localAzurite';
import type { StandinPaths } from '../../standin/volume/standinPaths';
import type { Mode } from '../../shared/names';
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

export type Services = { fastcache?: RunningFastcache; azurite?: RunningAzurite; stop: () => Promise<void> };

/** What B_fast needs running: the "cloud" (a local Azurite unless one answers) and the fastcache daemon. */
export async function startServices(mode: Mode, paths: StandinPaths, io: CliIo): Promise<Services> {
  if (mode === 'A_shared') return { stop: async () => {} };
  const blob = new URL(defaultBlobUrl());
  const account = `${blob.protocol}//${blob.host}/devstoreaccount1`;
  let azurite: RunningAzurite | undefined;
  if (!(await blobEndpointAnswers(account))) {
    io.err(`starting Azurite on ${paths.azuriteFolder}`);
    azurite = await startAzurite(paths.azuriteFolder, Number(blob.port), blob.hostname);
  }
  let fastcache: RunningFastcache;
  try {
    fastcache = await startFastcache([], { env: io.env });
  } catch (e) {
    await azurite?.stop();
    throw e;
  }
  io.err(`fastcache: ${fastcache.file} (cache file ${fastcache.cacheFile}, control ${fastcache.endpoint})`);
  return {
    fastcache,
    ...(azurite ? { azurite } : {}),
    stop: async () => {
      await fastcache.stop();
      await azurite?.stop();
    },
  };
}

/** The viewer's project file for a mode, next to the stand-in's data. */
export function writeProject(paths: StandinPaths, mode: Mode, extra: { readLog?: string; stepLog?: string } = {}): string {
  const folder = path.join(paths.home, 'projects');
  mkdirSync(folder, { recursive: true });
  const file = path.join(folder, `demo_${mode}.fbproj.json`);
  // A path in both modes: the NAS folder, or the volume on fastcache's FUSE mount.
  const volume = mode === 'A_shared' ? paths.volume : path.join(paths.fastMount, path.basename(paths.volume));
  writeFileSync(
    file,
    JSON.stringify({ name: 'demo', mode, volume, exportFolder: path.join(paths.home, 'export'), startInline: 0, ...extra }, null, 2) + '\n',
  );
  return file;
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

export const VIEWER_TITLE = '^FastBench Stand-in — demo';
