/** Where code reports what it does; the CLI writes to stderr, the extension to its LogOutputChannel. */
export type Logger = {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
};

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
