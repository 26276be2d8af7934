// Where the stand-in keeps its files when nothing says otherwise, so `fastbench standin data` and
// `fastbench standin up` agree without a config: FASTBENCH_STANDIN_HOME, else ~/.fastbench/standin
// (%LOCALAPPDATA%\FastBench\standin on Windows). The volume is a few hundred MiB, so not under /tmp.
import { homedir } from 'node:os';
import path from 'node:path';

export type StandinPaths = {
  home: string;
  /** The "NAS" server's folder (served over sshfs at nasMount). */
  nasFolder: string;
  volume: string;
  /** Azurite's --location: the blob survives Azurite restarts. */
  azuriteFolder: string;
  /** The FAST-like cache folder (B_fast cacheFolder), rotated for Cold runs. */
  cacheFolder: string;
  /** fastcache's request log (B_fast logPath); outside the cache folder so a rotation keeps it. */
  logFile: string;
  /** Where the fastcache daemon listens (its control channel). */
  endpoint: string;
  /** The NAS share as the client sees it: nasFolder served over sshfs (A_shared dataPath's folder). */
  nasMount: string;
  /** fastcache's FUSE mount: the volume as FAST presents it (B_fast dataPath's folder). */
  fastMount: string;
  /** The stand-in stack's state (pids, mounts) so a later start can clean up after a killed one. */
  stateFile: string;
};

export const DEFAULT_VOLUME_NAME = 'demo.fbvol';
/** Azurite's own default blob port; `standin data` starts Azurite there when nothing answers. */
export const DEFAULT_AZURITE_PORT = 10000;
export const DEFAULT_CONTAINER = 'seismic';

export function standinHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FASTBENCH_STANDIN_HOME) return path.resolve(env.FASTBENCH_STANDIN_HOME);
  if (process.platform === 'win32') return path.join(env.LOCALAPPDATA ?? path.join(homedir(), 'AppData', 'Local'), 'FastBench', 'standin');
  return path.join(homedir(), '.fastbench', 'standin');
}

export function standinPaths(home: string, volumeName = DEFAULT_VOLUME_NAME): StandinPaths {
  const nasFolder = path.join(home, 'nas');
  return {
    home,
    nasFolder,
    volume: path.join(nasFolder, volumeName),
    azuriteFolder: path.join(home, 'azurite'),
    cacheFolder: path.join(home, 'fastcache'),
    nasMount: path.join(home, 'mnt', 'nas'),
    fastMount: path.join(home, 'mnt', 'fast'),
    stateFile: path.join(home, 'stack.json'),
    logFile: path.join(home, 'logs', 'fastcache.log'),
    // A Unix socket path is limited to ~107 bytes; a long home falls back to loopback TCP.
    endpoint:
      process.platform === 'win32'
        ? '\\\\.\\pipe\\fastbench-fastcache'
        : path.join(home, 'fastcache.sock').length < 100
          ? path.join(home, 'fastcache.sock')
          : 'tcp:127.0.0.1:47391',
  };
}
