import { existsSync } from 'node:fs';
import path from 'node:path';
import { applyCachePolicy, type PolicyReport, type ServiceControl } from '../../core/cache/cachePolicy';
import { windowsColdRunner } from '../../core/cache/coldHelper';
import { loadConfig } from '../../core/config/configFile';
import { FastcacheClient } from '../../standin/fastcache/fastcacheClient';
import { standinHome, standinPaths } from '../../standin/volume/standinPaths';
import { CONFIG_FILE_NAME, MODES, type Mode } from '../../shared/names';
import { EXIT, JSON_OPTION, type CliIo, type Command } from '../command';

const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;

/** The stand-in's FAST service on Linux: suspend (close cache files) before the rotation, resume after. */
export function fastcacheService(client: FastcacheClient): ServiceControl {
  return {
    name: `fastcache at ${client.endpoint}`,
    stop: async () => {
      await client.call({ type: 'suspend', timeoutMs: 120_000 }, 'suspended');
      return `fastcache at ${client.endpoint} suspended (cache files closed)`;
    },
    start: async () => {
      const r = await client.call({ type: 'resume' }, 'resumed');
      return `fastcache resumed with ${r.cacheFile}`;
    },
  };
}

export type Targets = { dataFiles: string[]; cacheFolder?: string; keepRotated: number; serviceName?: string; from: string };

/** What to clear: from --config (or ./fastbench.json), else the stand-in's default layout (VS Code reuses it). */
export async function targetsFor(mode: Mode, configArg: string | undefined, io: Pick<CliIo, 'cwd' | 'env'>): Promise<Targets> {
  const configFile = path.resolve(io.cwd, configArg ?? CONFIG_FILE_NAME);
  if (configArg !== undefined || existsSync(configFile)) {
    const { config, dir } = await loadConfig(configFile);
    const m = config.modes[mode];
    if (!m) throw new Error(`${configFile}: modes.${mode} is not configured`);
    const abs = (p: string) => path.resolve(dir, p);
    if (mode === 'B_fast') {
      const b = config.modes.B_fast!;
      return { dataFiles: [abs(b.dataPath)], cacheFolder: abs(b.cacheFolder), keepRotated: b.keepRotated, serviceName: b.serviceName, from: configFile };
    }
    return { dataFiles: [abs(m.dataPath)], keepRotated: 0, from: configFile };
  }
  const p = standinPaths(standinHome(io.env));
  return mode === 'B_fast'
    ? { dataFiles: [], cacheFolder: p.cacheFolder, keepRotated: 2, from: `the stand-in defaults under ${p.home}` }
    : { dataFiles: [p.volume], keepRotated: 0, from: `the stand-in defaults under ${p.home}` };
}

function printReport(r: PolicyReport, io: CliIo, from: string): void {
  io.out(`${r.policy} ${r.mode} on ${r.platform}${r.whatIf ? ' (what-if: nothing changed)' : ''}, targets from ${from}:`);
  const width = Math.max(...r.steps.map((s) => s.step.length));
  for (const s of r.steps) io.out(`  ${s.ok ? 'ok    ' : 'FAILED'} ${s.step.padEnd(width)}  ${s.detail}`);
  if (r.residency.length) {
    io.out('  page-cache residency (before → after):');
    for (const x of r.residency) io.out(`    ${mib(x.residentBefore).padStart(10)} → ${mib(x.residentAfter).padStart(10)} of ${mib(x.bytes).padStart(10)}  ${x.file}`);
  }
  io.out(r.ok ? 'cache clear: done' : 'cache clear: some steps failed (see above)');
}

export const cacheClear: Command = {
  words: ['cache', 'clear'],
  summary: 'Apply the Cold cache policy for a mode and report what was done',
  usage: 'fastbench cache clear --mode A_shared|B_fast [--config FILE] [--drop-caches] [--evict PATH]... [--fastcache ENDPOINT] [--what-if] [--json]',
  details: `Cold means the next run reads from storage, not from memory or a warm cache:
  A_shared  the volume (modes.A_shared.dataPath) leaves the OS page cache.
  B_fast    the FAST service is stopped, its cache folder (modes.B_fast.cacheFolder) is renamed to
            FOLDER.rotated-<UTC time> and recreated empty (the newest keepRotated rotations are kept;
            nothing else is touched), the service starts again, then the FAST path's files leave the page
            cache (a stopped FAST cannot answer their open).
Linux: each file is fdatasync'ed and dropped with posix_fadvise DONTNEED (dd iflag=nocache), then page
residency is checked with mincore (fincore); --drop-caches also drops every clean page (root). The stand-in
fastcache daemon plays the FAST service: if one listens at --fastcache (default: the stand-in's endpoint) it is
suspended around the rotation. Windows: ps/Rotate-FastCache.ps1 (stops/starts modes.B_fast.serviceName), then
ps/Clear-WindowsCache.ps1 (flush file cache, purge standby list): directly from an administrator shell, else
through the cold helper (fastbench cold-helper install, once).
Targets come from --config (default ./${CONFIG_FILE_NAME}); without a config, the stand-in's default folders.
--evict adds files or folders to drop (e.g. the stand-in's Azurite folder, so the "cloud" is cold too).
Exit code 1 when a step failed (the report says which and why).`,
  options: {
    ...JSON_OPTION,
    mode: { type: 'string' },
    config: { type: 'string' },
    'drop-caches': { type: 'boolean' },
    evict: { type: 'string', multiple: true },
    fastcache: { type: 'string' },
    'what-if': { type: 'boolean' },
  },
  positionals: { min: 0, max: 0 },
  run: async (args, io) => {
    const mode = args.values.mode as string | undefined;
    if (!mode || !(MODES as readonly string[]).includes(mode)) {
      io.err(`fastbench cache clear: --mode: expected ${MODES.join(' or ')}, found ${mode === undefined ? 'nothing' : JSON.stringify(mode)}\nUsage: ${cacheClear.usage}`);
      return EXIT.badInput;
    }
    const t = await targetsFor(mode as Mode, args.values.config as string | undefined, io);
    let client: FastcacheClient | undefined;
    if (mode === 'B_fast' && process.platform !== 'win32') {
      const endpoint = (args.values.fastcache as string | undefined) ?? standinPaths(standinHome(io.env)).endpoint;
      client = await FastcacheClient.connect(endpoint, 1000).catch((e: Error) => {
        if (args.values.fastcache !== undefined) throw e;
        return undefined;
      });
    }
    try {
      const report = await applyCachePolicy({
        policy: 'Cold',
        mode: mode as Mode,
        dataFiles: t.dataFiles,
        cacheFolder: t.cacheFolder,
        keepRotated: t.keepRotated,
        serviceName: t.serviceName,
        extraPaths: ((args.values.evict as string[] | undefined) ?? []).map((p) => path.resolve(io.cwd, p)),
        dropCaches: args.values['drop-caches'] === true,
        whatIf: args.values['what-if'] === true,
        service: client ? fastcacheService(client) : undefined,
        // Not elevated: the installed cold helper does the elevated steps (or this says how to install it).
        ...(process.platform === 'win32' ? { windows: await windowsColdRunner({ cacheFolder: t.cacheFolder, serviceName: t.serviceName }) } : {}),
      });
      if (args.values.json) io.out(JSON.stringify({ ...report, targetsFrom: t.from }, null, 2));
      else printReport(report, io, t.from);
      return report.ok ? EXIT.ok : EXIT.failed;
    } finally {
      client?.close();
    }
  },
};
