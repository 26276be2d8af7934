import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, runsFolderOf } from '../../core/config/configFile';
import { describeRun, listRuns } from '../../core/runs/runFolders';
import { CONFIG_FILE_NAME } from '../../shared/names';
import { EXIT, JSON_OPTION, type Command } from '../command';

export const runsList: Command = {
  words: ['runs'],
  summary: 'List run folders with mode, cache policy, workflow and status',
  usage: 'fastbench runs [FOLDER] [--config FILE] [--json]',
  details: `FOLDER defaults to the runsFolder of --config (or ./${CONFIG_FILE_NAME} when present), else ./runs.
A run folder whose run.json is missing or invalid is listed as broken, with the reason.`,
  options: { ...JSON_OPTION, config: { type: 'string' } },
  positionals: { min: 0, max: 1 },
  run: async (args, io) => {
    let folder: string;
    if (args.positionals[0]) {
      folder = path.resolve(io.cwd, args.positionals[0]);
    } else {
      const configFile = typeof args.values.config === 'string' ? args.values.config : path.join(io.cwd, CONFIG_FILE_NAME);
      folder = args.values.config || existsSync(configFile) ? runsFolderOf(await loadConfig(path.resolve(io.cwd, configFile))) : path.join(io.cwd, 'runs');
    }
    const runs = await listRuns(folder);
    if (args.values.json) {
      io.out(JSON.stringify({ folder, runs }, null, 2));
      return EXIT.ok;
    }
    if (runs.length === 0) {
      io.out(`${folder}: no run folders`);
      return EXIT.ok;
    }
    io.out(`${folder}: ${runs.length} run(s)`);
    for (const run of runs) {
      const label = run.kind === 'run' ? `${run.name}  ${describeRun(run)}` : describeRun(run);
      io.out(`  ${run.group ? `${run.group}/` : ''}${label}`);
    }
    return EXIT.ok;
  },
};
