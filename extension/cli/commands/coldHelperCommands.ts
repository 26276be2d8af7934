import { existsSync } from 'node:fs';
import path from 'node:path';
import { helperSetup, type HelperSetupRequest } from '../../core/cache/coldHelper';
import { loadConfig } from '../../core/config/configFile';
import { CONFIG_FILE_NAME } from '../../shared/names';
import { EXIT, JSON_OPTION, type CliIo, type Command, type ParsedArgs } from '../command';

const DETAILS = `The cold helper lets Cold runs purge the OS file cache and stop/start FAST from a normal (non-elevated)
VS Code or terminal: a scheduled task \\FastBench\\ColdHelper running as SYSTEM, on request only, that runs nothing
but the purge and the FAST rotation, with the cache folder and service fixed at install (from --config, default
./${CONFIG_FILE_NAME}: modes.B_fast.cacheFolder, serviceName, keepRotated). Scripts live in
%ProgramData%\\FastBench\\helper, writable by administrators only, and are checked against their SHA-256 before each
run. Re-run install when those values change. See the README, "Cold runs on a locked-down workstation".`;

async function fromConfig(args: ParsedArgs, io: CliIo): Promise<Pick<HelperSetupRequest, 'cacheFolder' | 'serviceName' | 'keep'> & { from: string }> {
  const configArg = args.values.config as string | undefined;
  const file = path.resolve(io.cwd, configArg ?? CONFIG_FILE_NAME);
  if (configArg === undefined && !existsSync(file)) return { from: 'no fastbench.json: purge only (no FAST rotation)' };
  const { config, dir } = await loadConfig(file);
  const b = config.modes.B_fast;
  if (!b) return { from: `${file} (no modes.B_fast: purge only)` };
  return { cacheFolder: path.win32.resolve(dir, b.cacheFolder), serviceName: b.serviceName, keep: b.keepRotated, from: file };
}

function report(r: Record<string, unknown>, io: CliIo, json: boolean, from?: string): number {
  if (json) io.out(JSON.stringify(r, null, 2));
  else {
    if (from) io.out(`values from ${from}`);
    for (const d of (r.did as string[] | undefined) ?? []) io.out(`  done    ${d}`);
    for (const d of (r.couldNot as string[] | undefined) ?? []) io.out(`  FAILED  ${d}`);
    const h = r.helper as { taskPresent?: boolean; scripts?: Record<string, string>; config?: { cacheFolder?: string; serviceName?: string } } | null | undefined;
    if (h)
      io.out(
        `  task ${h.taskPresent ? 'registered' : 'MISSING'}; cache folder ${h.config?.cacheFolder ?? '-'}; service ${h.config?.serviceName ?? '-'}; scripts: ${Object.entries(
          h.scripts ?? {},
        )
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      );
    io.out(r.ok ? 'cold helper: ok' : 'cold helper: not ok (see above)');
  }
  return r.ok ? EXIT.ok : EXIT.failed;
}

function windowsOnly(io: CliIo, words: string): number | undefined {
  if (process.platform === 'win32') return undefined;
  io.err(`fastbench ${words}: the cold helper is for Windows (on Linux, Cold needs root only for --drop-caches)`);
  return EXIT.badInput;
}

export const coldHelperInstall: Command = {
  words: ['cold-helper', 'install'],
  summary: 'Install the elevated helper for Cold runs (once, from an administrator terminal)',
  usage: 'fastbench cold-helper install [--config FILE] [--user DOMAIN\\NAME] [--sign THUMBPRINT] [--service-timeout S] [--json]',
  details: `${DETAILS}\n--user: the account allowed to start the task (default: the console user). --sign: a code-signing certificate\nthumbprint for AllSigned machines. --service-timeout: longest FAST stop or start before the last resort (60 s).`,
  options: { ...JSON_OPTION, config: { type: 'string' }, user: { type: 'string' }, sign: { type: 'string' }, 'service-timeout': { type: 'string' } },
  positionals: { min: 0, max: 0 },
  run: async (args, io) => {
    const refused = windowsOnly(io, 'cold-helper install');
    if (refused !== undefined) return refused;
    const timeout = args.values['service-timeout'] as string | undefined;
    if (timeout !== undefined && !/^\d+$/.test(timeout)) {
      io.err(`fastbench cold-helper install: --service-timeout: expected whole seconds, found ${JSON.stringify(timeout)}`);
      return EXIT.badInput;
    }
    const v = await fromConfig(args, io);
    const r = await helperSetup({
      action: 'install',
      ...v,
      serviceTimeoutS: timeout ? Number(timeout) : undefined,
      allowedUser: args.values.user as string | undefined,
      signingCertificateThumbprint: args.values.sign as string | undefined,
    });
    return report(r, io, args.values.json === true, v.from);
  },
};

export const coldHelperUninstall: Command = {
  words: ['cold-helper', 'uninstall'],
  summary: 'Remove the Cold helper task and its folder (administrator terminal)',
  usage: 'fastbench cold-helper uninstall [--json]',
  details: DETAILS,
  options: { ...JSON_OPTION },
  positionals: { min: 0, max: 0 },
  run: async (args, io) => windowsOnly(io, 'cold-helper uninstall') ?? report(await helperSetup({ action: 'uninstall' }), io, args.values.json === true),
};

export const coldHelperStatus: Command = {
  words: ['cold-helper', 'status'],
  summary: 'Is the Cold helper installed, unchanged and allowed to run here?',
  usage: 'fastbench cold-helper status [--json]',
  details: DETAILS,
  options: { ...JSON_OPTION },
  positionals: { min: 0, max: 0 },
  run: async (args, io) => windowsOnly(io, 'cold-helper status') ?? report(await helperSetup({ action: 'status' }), io, args.values.json === true),
};
