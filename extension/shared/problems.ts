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
