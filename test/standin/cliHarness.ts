// Runs one Command through the real CLI dispatch (extension/cli/main.ts runCli: same parsing, same exit codes,
// InputError → 2). New tests call cli([...words, ...args]) from harness.ts; this keeps older call sites working.
import type { Command } from '../../extension/cli/command';
import { cli } from './harness';

export function runCommand(command: Command, argv: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; signal?: AbortSignal }) {
  return cli([...command.words, ...argv], options);
}
