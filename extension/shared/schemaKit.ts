import { z } from 'zod';

/** Levenshtein distance, small inputs only (keys and enum values). */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The closest candidate when it is plausibly a typo (case-insensitive, at most a third of the word changed). */
export function closestName(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/**
 * A strict object whose unknown-key error names the key and suggests the nearest known one, because
 * a typo in a hand-edited config otherwise silently drops a setting.
 */
export function strictObject<Shape extends z.ZodRawShape>(shape: Shape) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== 'unrecognized_keys') return undefined;
      return issue.keys
        .map((key) => {
          const near = closestName(key, known);
          return near ? `unknown key "${key}" (did you mean "${near}"?)` : `unknown key "${key}" (allowed: ${known.join(', ')})`;
        })
        .join('; ');
    },
  });
}

/** A string enum whose error lists the allowed values and suggests the nearest one. */
export function namedEnum<const Values extends readonly [string, ...string[]]>(values: Values, what: string) {
  return z.enum(values, {
    error: (issue) => {
      if (typeof issue.input !== 'string') return `expected ${what} (${values.join(' | ')})`;
      const near = closestName(issue.input, values);
      return `expected ${what} (${values.join(' | ')})${near ? `; did you mean "${near}"?` : ''}`;
    },
  });
}
