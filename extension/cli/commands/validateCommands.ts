import path from 'node:path';
import { CONFIG_FILE_NAME } from '../../shared/names';
import { validateConfigText } from '../../core/config/configFile';
import { validateRecordingText } from '../../core/recording/recordingFile';
import { formatProblem } from '../../core/validation/problems';
import { readInputFile } from '../../core/validation/readInputFile';
import type { Validated } from '../../shared/validateJson';
import { EXIT, JSON_OPTION, type CliIo, type Command, type ParsedArgs } from '../command';

async function report(io: CliIo, args: ParsedArgs, file: string, validate: (file: string, text: string) => Validated<unknown>, what: string) {
  const result = validate(file, await readInputFile(path.resolve(io.cwd, file), file));
  if (args.values.json) {
    io.out(JSON.stringify({ file, ok: result.ok, problems: result.ok ? [] : result.problems }, null, 2));
  } else if (result.ok) {
    io.out(`${file}: valid ${what}`);
  } else {
    for (const p of result.problems) io.err(formatProblem(p));
    io.err(`${file}: ${result.problems.length} problem(s); not a valid ${what}`);
  }
  return result.ok ? EXIT.ok : EXIT.badInput;
}

export const configValidate: Command = {
  words: ['config', 'validate'],
  summary: 'Check a fastbench.json: schema, unknown keys, secrets',
  usage: 'fastbench config validate [FILE] [--json]',
  details: `FILE defaults to ./${CONFIG_FILE_NAME}. Each problem is printed as FILE:LINE:COL: PATH: expected …, found ….
A config holding a SAS token or account key is refused: secrets live in VS Code's secret store or FASTBENCH_AZURE_SAS.`,
  options: { ...JSON_OPTION },
  positionals: { min: 0, max: 1 },
  run: (args, io) => report(io, args, args.positionals[0] ?? CONFIG_FILE_NAME, validateConfigText, 'FastBench config'),
};

export const recordingValidate: Command = {
  words: ['recording', 'validate'],
  summary: 'Check a recording (*.fbrec.json, version 2)',
  usage: 'fastbench recording validate FILE [--json]',
  details: 'Each problem is printed as FILE:LINE:COL: PATH: expected …, found ….',
  options: { ...JSON_OPTION },
  positionals: { min: 1, max: 1 },
  run: (args, io) => report(io, args, args.positionals[0]!, validateRecordingText, 'recording'),
};
