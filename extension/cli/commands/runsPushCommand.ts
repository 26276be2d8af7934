import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { containerDisplayUrl, parseContainerUrl } from '../../core/analysis/containerUrl';
import { pushRuns } from '../../core/analysis/runsPush';
import { loadConfig, runsFolderOf } from '../../core/config/configFile';
import { CONFIG_FILE_NAME } from '../../shared/names';
import { SECRET_ENV_VAR, SECRET_HOME } from '../../shared/secrets';
import { EXIT, JSON_OPTION, type Command } from '../command';

export const runsPush: Command = {
  words: ['runs', 'push'],
  summary: 'Upload run folders to an Azure Blob container so runs from many workstations can be analysed together',
  usage: 'fastbench runs push [RUNS] --to https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX [--config FILE] [--json]',
  details: `RUNS (a folder of run folders at any depth, or one run folder) defaults to the runsFolder of --config (or
./${CONFIG_FILE_NAME}), else ./runs. Each file goes to PREFIX/<path below RUNS>. Idempotent and resumable: files whose
blob already has the same size and Content-MD5 are left alone; every upload carries its MD5, which Azure checks.
run.json goes last, so an interrupted push never leaves a half folder that looks like a run.
The SAS comes from ${SECRET_ENV_VAR} (needs read, write, create; sp=rwc), never from the URL. az://ACCOUNT/CONTAINER/PREFIX
and path-style emulator URLs (http://127.0.0.1:10000/devstoreaccount1/CONTAINER/PREFIX) work too.`,
  options: { ...JSON_OPTION, to: { type: 'string' }, config: { type: 'string' } },
  positionals: { min: 0, max: 1 },
  run: async (args, io) => {
    const bad = (message: string) => {
      io.err(`fastbench runs push: ${message}\nUsage: ${runsPush.usage}`);
      return EXIT.badInput;
    };
    if (typeof args.values.to !== 'string') return bad('--to URL is required');
    let address;
    try {
      address = parseContainerUrl(args.values.to);
    } catch (e) {
      return bad((e as Error).message);
    }
    const sas = io.env[SECRET_ENV_VAR];
    if (!sas?.trim()) return bad(`no SAS: ${SECRET_HOME}`);
    let folder: string;
    if (args.positionals[0]) folder = path.resolve(io.cwd, args.positionals[0]);
    else {
      const configFile = typeof args.values.config === 'string' ? path.resolve(io.cwd, args.values.config) : path.join(io.cwd, CONFIG_FILE_NAME);
      folder = args.values.config || existsSync(configFile) ? runsFolderOf(await loadConfig(configFile)) : path.join(io.cwd, 'runs');
    }
    if (
      !(await stat(folder).then(
        (s) => s.isDirectory(),
        () => false,
      ))
    )
      return bad(`${folder}: no such folder`);
    const summary = await pushRuns(folder, address, sas, {
      signal: io.signal,
      onFile: (r) => {
        if (r.action === 'uploaded' && !args.values.json) io.err(`uploaded ${r.blob} (${r.bytes} bytes)`);
      },
    });
    for (const s of summary.skipped) io.err(`skipped ${s.folder}: ${s.reason}`);
    const where = containerDisplayUrl(address);
    if (args.values.json) {
      io.out(JSON.stringify({ to: where, runs: summary.runs, uploaded: summary.uploaded, unchanged: summary.unchanged, bytes: summary.bytes, skipped: summary.skipped }, null, 2));
    } else {
      io.out(`${summary.runs} run folder(s) → ${where}: ${summary.uploaded} file(s) uploaded (${(summary.bytes / 1e6).toFixed(2)} MB), ${summary.unchanged} unchanged`);
    }
    return summary.runs > 0 ? EXIT.ok : EXIT.failed;
  },
};
