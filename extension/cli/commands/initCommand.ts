import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { petrelTemplate } from '../../core/campaign/templates';
import { validateConfigText } from '../../core/config/configFile';
import { formatProblem } from '../../shared/problems';
import { CONFIG_FILE_NAME } from '../../shared/names';
import { standinConfigFor } from '../standin/standinConfig';
import { standinHome } from '../../standin/volume/standinPaths';
import { EXIT, type Command } from '../command';

export const initCommand: Command = {
  words: ['init'],
  summary: 'Write a starting fastbench.json (Petrel or the stand-in) that validates as written',
  usage: 'fastbench init [--template petrel|standin] [--force] [FILE]',
  details: `petrel (default): every section, the four workflows (W_scrub100, W_attribute, W_horizon, W_export) as
templates. Fill in: target.executable and project, modes.*.dataPath, cacheFolder, logPath and serviceName,
target.renderProbe regions (client pixels of the section view and the status bar of your layout), the
shortcuts in each workflow, and pathRules for your share and FAST paths.
standin: a config for the built-in stand-in viewer with the stand-in's paths (FASTBENCH_STANDIN_HOME).
An existing file is never overwritten without --force.`,
  options: { template: { type: 'string' }, force: { type: 'boolean' } },
  positionals: { min: 0, max: 1 },
  run: async (args, io) => {
    const template = (args.values.template as string | undefined) ?? 'petrel';
    if (template !== 'petrel' && template !== 'standin') {
      io.err(`fastbench init: --template: expected petrel or standin, found ${JSON.stringify(template)}`);
      return EXIT.badInput;
    }
    const file = path.resolve(io.cwd, args.positionals[0] ?? CONFIG_FILE_NAME);
    if (existsSync(file) && !args.values.force) {
      io.err(`fastbench init: ${file} exists; nothing was written (use --force to replace it)`);
      return EXIT.badInput;
    }
    const config = template === 'petrel' ? petrelTemplate() : standinConfigFor(standinHome(io.env));
    const text = JSON.stringify(config, null, 2) + '\n';
    // What we write must validate as written, or the user's first step is an error.
    const check = validateConfigText(file, text);
    if (!check.ok) {
      io.err(`fastbench init: internal error, the ${template} template does not validate:\n${check.problems.map(formatProblem).join('\n')}`);
      return EXIT.failed;
    }
    writeFileSync(file, text);
    io.out(`wrote ${file} (${template} template)`);
    if (template === 'petrel') io.out('fill in the FILL_IN values and your own shortcuts (see "fastbench init --help"), then: fastbench campaign --dry-run');
    else io.out('start the stand-in services ("fastbench standin up"), then: fastbench campaign --dry-run');
    return EXIT.ok;
  },
};
