import { parseArgs } from 'node:util';
import { InputError, formatProblem } from '../core/validation/problems';
import { TOOL_VERSION } from '../core/version';
import { redactSecrets } from '../shared/secrets';
import { EXIT, type CliIo, type Command } from './command';
import { COMMANDS } from './commands/index';

function globalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.words.join(' ').length));
  return [
    `fastbench ${TOOL_VERSION} — measure how seismic interpretation feels with data on a NAS (A_shared) or through FAST (B_fast)`,
    '',
    'Usage: fastbench <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.words.join(' ').padEnd(width)}  ${c.summary}`),
    '',
    'Global options:',
    '  --help, -h     show help (also: fastbench <command> --help)',
    '  --version, -v  print the version',
    '',
    'Exit codes: 0 ok, 1 failed, 2 bad input, 130 interrupted.',
    'Secrets: the Azure SAS is read from FASTBENCH_AZURE_SAS; it is never written to disk or printed.',
  ].join('\n');
}

function commandHelp(c: Command): string {
  return [`Usage: ${c.usage}`, '', c.summary + '.', ...(c.details ? ['', c.details] : [])].join('\n');
}

function findCommand(argv: string[]): { command: Command; rest: string[] } | undefined {
  // Longest match first, so "config validate" wins over a future "config".
  const sorted = [...COMMANDS].sort((a, b) => b.words.length - a.words.length);
  for (const command of sorted) {
    if (command.words.every((w, i) => argv[i] === w)) return { command, rest: argv.slice(command.words.length) };
  }
  return undefined;
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.out(globalHelp());
    return argv.length === 0 ? EXIT.badInput : EXIT.ok;
  }
  if (argv[0] === '--version' || argv[0] === '-v') {
    io.out(TOOL_VERSION);
    return EXIT.ok;
  }
  const found = findCommand(argv);
  if (!found) {
    const typed = argv
      .filter((a) => !a.startsWith('-'))
      .slice(0, 2)
      .join(' ');
    const near = COMMANDS.filter((c) => c.words[0] === argv[0]).map((c) => c.words.join(' '));
    io.err(`fastbench: unknown command "${typed}".${near.length ? ` Did you mean: ${near.join(', ')}?` : ''} See "fastbench --help".`);
    return EXIT.badInput;
  }
  const { command, rest } = found;
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(commandHelp(command));
    return EXIT.ok;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: command.options, allowPositionals: true, strict: true });
  } catch (e) {
    // node's parseArgs explains "--" at length; the first sentence is what the user needs.
    const first = (e as Error).message.split('\n')[0]!.replace(/\. To specify.*$/, '.');
    io.err(`fastbench ${command.words.join(' ')}: ${first}\nUsage: ${command.usage}`);
    return EXIT.badInput;
  }
  const { min, max } = command.positionals;
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    io.err(`fastbench ${command.words.join(' ')}: expected ${min === max ? min : `${min} to ${max}`} argument(s), got ${parsed.positionals.length}\nUsage: ${command.usage}`);
    return EXIT.badInput;
  }
  try {
    return await command.run(parsed, io);
  } catch (e) {
    if (io.signal.aborted) return EXIT.interrupted;
    if (e instanceof InputError) {
      for (const p of e.problems) io.err(formatProblem(p));
      return EXIT.badInput;
    }
    // An unexpected failure: one readable line, no stack (FASTBENCH_DEBUG=1 shows it).
    io.err(`fastbench ${command.words.join(' ')}: ${redactSecrets((e as Error).message ?? String(e))}`);
    if (io.env.FASTBENCH_DEBUG) io.err(redactSecrets((e as Error).stack ?? ''));
    return EXIT.failed;
  }
}
