// Options of the fastcache daemon, shared by its own process entry (dist/fastcache.js) and
// `fastbench standin fastcache`. Every option has a default that matches `fastbench standin data`.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { blobUrlOf, parseBlobUrl, sasFor } from '../storage/volumeUpload';
import { SECRET_ENV_VAR } from '../../shared/secrets';
import { DEFAULT_AZURITE_PORT, DEFAULT_CONTAINER, DEFAULT_VOLUME_NAME, standinHome, standinPaths } from '../volume/standinPaths';
import type { DaemonOptions } from './daemon';
import { defaultDaemonScript } from './fastcacheProcess';
import { parsePrefetch } from './daemon';

export const DAEMON_OPTIONS = {
  blob: { type: 'string' },
  'cache-folder': { type: 'string' },
  mount: { type: 'string' },
  log: { type: 'string' },
  endpoint: { type: 'string' },
  streams: { type: 'string' },
  'range-mib': { type: 'string' },
  prefetch: { type: 'string' },
  'kernel-cache': { type: 'boolean' },
  'exit-with-stdin': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function daemonHelp(home: string, forProcess = true): string {
  const p = standinPaths(home);
  return `Options:
  --blob URL            the volume blob, without SAS (default ${defaultBlobUrl()})
                        SAS: made from Azurite's development key for a local Azurite, else ${SECRET_ENV_VAR}
  --cache-folder DIR    where the cache file goes (default ${p.cacheFolder})
  --mount DIR           where the volume appears as an ordinary file, DIR/<blob name> (FUSE; default ${p.fastMount})
  --log FILE            fastcache-v1 request log, appended (default ${p.logFile})
  --endpoint EP         Unix socket path, \\\\.\\pipe\\NAME or tcp:127.0.0.1:PORT (default ${p.endpoint})
  --streams N           parallel ranged GETs (default 8)
  --range-mib N         largest GET; adjacent missing bricks are coalesced up to it (default 4)
  --prefetch P          off (default), readahead (an 8 MiB window after the last read), readahead:NMiB or readahead:N bricks
  --kernel-cache        let the OS page cache keep the file's pages across opens until the next Cold rotation
                        (warm re-reads then never reach the daemon, nor its log); default: each open drops them
${forProcess ? '  --exit-with-stdin     exit when standard input closes (so the daemon dies with its parent)\nPrints one JSON line {"event":"listening",...} on stdout when ready. Stop with SIGTERM/SIGINT.' : 'Stop with Ctrl-C.'}`;
}

export function defaultBlobUrl(): string {
  return `http://127.0.0.1:${DEFAULT_AZURITE_PORT}/devstoreaccount1/${DEFAULT_CONTAINER}/${DEFAULT_VOLUME_NAME}`;
}

function positiveInt(text: string | undefined, name: string, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1 || v > max) throw new Error(`--${name}: expected an integer from 1 to ${max}, found ${JSON.stringify(text)}`);
  return v;
}

export type ParsedDaemonArgs = { options: DaemonOptions; exitWithStdin: boolean };

export async function daemonOptionsFrom(values: Record<string, unknown>, cwd: string, env: NodeJS.ProcessEnv): Promise<ParsedDaemonArgs> {
  const p = standinPaths(standinHome(env));
  const blobUrl = (values.blob as string | undefined) ?? defaultBlobUrl();
  const loc = parseBlobUrl(blobUrl);
  const prefetch = (values.prefetch as string | undefined) ?? 'off';
  parsePrefetch(prefetch);
  return {
    options: {
      blobUrl: blobUrlOf(loc),
      sas: sasFor(loc, env[SECRET_ENV_VAR]),
      cacheFolder: path.resolve(cwd, (values['cache-folder'] as string | undefined) ?? p.cacheFolder),
      logFile: path.resolve(cwd, (values.log as string | undefined) ?? p.logFile),
      endpoint: (values.endpoint as string | undefined) ?? p.endpoint,
      mountPoint: path.resolve(cwd, (values.mount as string | undefined) ?? p.fastMount),
      workerScript: defaultDaemonScript(),
      streams: positiveInt(values.streams as string | undefined, 'streams', 8, 64),
      rangeBytes: positiveInt(values['range-mib'] as string | undefined, 'range-mib', 4, 256) * 1024 * 1024,
      prefetch,
      kernelCache: values['kernel-cache'] === true,
    },
    exitWithStdin: values['exit-with-stdin'] === true,
  };
}

export function parseDaemonArgv(argv: string[]) {
  return parseArgs({ args: argv, options: DAEMON_OPTIONS, allowPositionals: false, strict: true });
}
