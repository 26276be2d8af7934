import type { z } from 'zod';
import { secretKindOf } from './secrets';
import { formatJsonPath, parseJsonWithPositions, type JsonPath, type Position } from './jsonWithPositions';
import type { Problem } from './problems';

export type Validated<T> = { ok: true; value: T; raw: unknown } | { ok: false; problems: Problem[] };

/** A short, safe description of a value for "found …": never more than a line, never a secret. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    if (secretKindOf(value)) return 'a secret (not shown)';
    const shown = value.length > 40 ? `${value.slice(0, 37)}...` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  return typeof value;
}

function valueAtPath(root: unknown, path: JsonPath): unknown {
  let v = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

const article = (word: string) => (/^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`);

function expectedFor(issue: z.core.$ZodIssue, found: unknown): string {
  const own = issue.message;
  // Messages we wrote ourselves already read as "expected …" / "unknown key …".
  if (/^(expected|unknown key)/.test(own)) return own;
  switch (issue.code) {
    case 'invalid_type':
      if (found === undefined) return `expected ${issue.expected === 'int' ? 'an integer' : article(issue.expected)} (required)`;
      return `expected ${issue.expected === 'int' ? 'an integer' : article(issue.expected)}`;
    case 'too_small': {
      const op = issue.inclusive === false ? '>' : '≥';
      if (issue.origin === 'string') return `expected at least ${issue.minimum} character(s)`;
      if (issue.origin === 'array') return `expected at least ${issue.minimum} item(s)`;
      return `expected a number ${op} ${issue.minimum}`;
    }
    case 'too_big': {
      const op = issue.inclusive === false ? '<' : '≤';
      if (issue.origin === 'string') return `expected at most ${issue.maximum} character(s)`;
      if (issue.origin === 'array') return `expected at most ${issue.maximum} item(s)`;
      return `expected a number ${op} ${issue.maximum}`;
    }
    case 'invalid_value':
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}`;
    case 'invalid_format':
      return `expected a valid ${issue.format === 'datetime' ? 'ISO 8601 date-time' : issue.format}`;
    case 'invalid_union':
      return 'expected a value matching one of the allowed forms';
    default:
      return own;
  }
}

/** Suggestions ride at the end of a schema message ("…; did you mean "left"?") and print after "found". */
function splitHint(message: string): [string, string | undefined] {
  const at = message.indexOf('; did you mean');
  return at < 0 ? [message, undefined] : [message.slice(0, at), message.slice(at + 2)];
}

/**
 * Parses JSON text and validates it against a schema, turning every failure into problems with the
 * file, the JSON path, line:column, what was expected and what was found.
 */
export function validateJsonText<S extends z.ZodType>(
  file: string,
  text: string,
  schema: S,
  extraChecks: (raw: unknown) => { path: JsonPath; expected: string; pointAtKey?: boolean }[] = () => [],
): Validated<z.infer<S>> {
  // Fast path: a valid file (an hour-long recording is tens of MB) needs no positions at all.
  let quick: unknown;
  try {
    quick = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    quick = undefined;
  }
  if (quick !== undefined && extraChecks(quick).length === 0) {
    const fast = schema.safeParse(quick);
    if (fast.success) return { ok: true, value: fast.data, raw: quick };
  }
  // Something is wrong: parse again, remembering where every value is, to say where.
  const parsed = parseJsonWithPositions(text);
  if (!parsed.ok) {
    const { position, expected, found } = parsed.error;
    return {
      ok: false,
      problems: [{ file, path: 'JSON syntax', line: position.line, column: position.column, expected: `expected ${expected}`, found }],
    };
  }
  const nearestPosition = (path: JsonPath, preferKey: boolean): Position | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const sub = path.slice(0, n);
      const pos = (preferKey ? parsed.keyAt(sub) : undefined) ?? parsed.valueAt(sub);
      if (pos) return pos;
    }
    return undefined;
  };
  const at = (path: JsonPath, preferKey = false) => {
    const pos = nearestPosition(path, preferKey);
    return pos ? { line: pos.line, column: pos.column } : {};
  };

  const problems: Problem[] = [];
  for (const check of extraChecks(parsed.value)) {
    problems.push({ file, path: formatJsonPath(check.path), ...at(check.path, check.pointAtKey), expected: check.expected });
  }
  if (problems.length === 0) {
    const result = schema.safeParse(parsed.value);
    if (result.success) return { ok: true, value: result.data, raw: parsed.value };
    for (const issue of result.error.issues) {
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      if (issue.code === 'unrecognized_keys') {
        const messages = issue.message.split('; ');
        issue.keys.forEach((key, k) => {
          problems.push({ file, path: formatJsonPath([...path, key]), ...at([...path, key], true), expected: messages[k] ?? issue.message });
        });
        continue;
      }
      const found = valueAtPath(parsed.value, path);
      const [expected, hint] = splitHint(expectedFor(issue, found));
      // Our own cross-field rules already quote the values they compare.
      const shown = issue.code === 'custom' && /\bgot\b/.test(issue.message) ? {} : { found: describeValue(found) };
      problems.push({ file, path: formatJsonPath(path), ...at(path), expected, ...shown, ...(hint ? { hint } : {}) });
    }
  }
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return { ok: false, problems };
}
