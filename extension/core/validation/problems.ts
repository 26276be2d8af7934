import { formatJsonPath } from '../json/jsonWithPositions';

/** One thing wrong with an input file, in terms a person can act on. */
export type Problem = {
  file: string;
  path: string;
  line?: number;
  column?: number;
  expected: string;
  found?: string;
  /** A likely fix, e.g. the nearest allowed name for a typo. */
  hint?: string;
};

export function formatProblem(p: Problem): string {
  const where = p.line !== undefined ? `${p.file}:${p.line}:${p.column}` : p.file;
  const found = p.found !== undefined ? `, found ${p.found}` : '';
  const hint = p.hint ? `; ${p.hint}` : '';
  return `${where}: ${p.path ? `${p.path}: ` : ''}${p.expected}${found}${hint}`;
}

/** Thrown for bad user input; the CLI maps it to exit code 2 and prints the problems, never a stack. */
export class InputError extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'InputError';
  }

  static single(file: string, expected: string, found?: string, path: (string | number)[] = []): InputError {
    return new InputError([{ file, path: path.length ? formatJsonPath(path) : '', expected, ...(found !== undefined ? { found } : {}) }]);
  }
}
