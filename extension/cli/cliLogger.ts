import type { Logger } from '../core/ports/logger';
import type { CliIo } from './command';

/** The core's Logger on the CLI: progress and problems on stderr, so stdout stays the command's result. */
export function cliLogger(io: CliIo, verbose = false): Logger {
  return {
    debug: (m) => (verbose ? io.err(m) : undefined),
    info: (m) => io.err(m),
    warn: (m) => io.err(`warning: ${m}`),
    error: (m) => io.err(`error: ${m}`),
  };
}
