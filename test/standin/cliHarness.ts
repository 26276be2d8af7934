// Runs one Command the way extension/cli/main.ts does (parseArgs, then run; errors to one stderr line),
// until the stand-in commands are registered in extension/cli/commands/index.ts.
import { parseArgs } from 'node:util';
import type { Command } from '../../extension/cli/command';
import { redactSecrets } from '../../extension/shared/secrets';

export async function runCommand(command: Command, argv: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; signal?: AbortSignal }) {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t), cwd: options.cwd, env: options.env ?? {}, signal: options.signal ?? new AbortController().signal };
  let code: number;
  try {
    const parsed = parseArgs({ args: argv, options: command.options, allowPositionals: true, strict: true });
    code = await command.run(parsed, io);
  } catch (e) {
    err.push(`fastbench ${command.words.join(' ')}: ${redactSecrets((e as Error).message)}`);
    code = 1;
  }
  return { code, out: out.join('\n'), err: err.join('\n') };
}
