import type { ParseArgsConfig } from 'node:util';

export const EXIT = { ok: 0, failed: 1, badInput: 2, interrupted: 130 } as const;

export type CliIo = {
  out: (text: string) => void;
  err: (text: string) => void;
  cwd: string;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
};

export type ParsedArgs = { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };

export type Command = {
  /** Words typed after `fastbench`, e.g. ["config", "validate"]. */
  words: string[];
  summary: string;
  usage: string;
  details?: string;
  options: NonNullable<ParseArgsConfig['options']>;
  positionals: { min: number; max: number };
  run: (args: ParsedArgs, io: CliIo) => Promise<number>;
};

export const JSON_OPTION = { json: { type: 'boolean' as const } };
