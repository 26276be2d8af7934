import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Problem } from '../../extension/shared/problems';

// Shared pieces of the property-based tests: inputs that are almost valid (one structured mutation of a valid
// document) or not at all (arbitrary text), and what a clear rejection looks like.

/** Runs per property: thousands of generated inputs each (FASTBENCH_FUZZ_RUNS for a longer hunt); a failure prints its seed. */
export const RUNS = Number(process.env.FASTBENCH_FUZZ_RUNS ?? 2000);

/** Text a crash leaves in a message: a raw JS error instead of one that names the field or line. */
const RAW_ERROR = /TypeError|RangeError|ReferenceError|Cannot read prop|is not a function|is not iterable|\[object Object\]|undefined is not|Maximum call stack/;

export function assertClearMessage(message: string, context: string): void {
  assert.ok(message.trim().length > 0, `${context}: empty message`);
  assert.doesNotMatch(message, RAW_ERROR, `${context}: raw error in the message`);
}

/** A problem names its file and says what was expected, and where (a line, or a path/field). */
export function assertClearProblem(p: Problem, file: string): void {
  assert.equal(p.file, file);
  assertClearMessage(p.expected, `${file} ${p.path}`);
  assert.ok(p.line !== undefined || p.path !== '', `${file}: a problem with neither a line nor a path: ${JSON.stringify(p)}`);
}

type JsonPathStep = string | number;

function pathsOf(value: unknown, at: JsonPathStep[] = [], out: JsonPathStep[][] = []): JsonPathStep[][] {
  out.push(at);
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...at, i], out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) pathsOf(v, [...at, k], out);
  return out;
}

function edit(root: unknown, path: JsonPathStep[], change: (parent: Record<string | number, unknown>, key: JsonPathStep) => void): unknown {
  const copy = structuredClone(root);
  if (path.length === 0) return copy;
  let parent = copy as Record<string | number, unknown>;
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
  change(parent, path.at(-1)!);
  return copy;
}

/** JSON text of `valid` after one structured mutation: a value replaced, a key removed or added, the text cut or spliced. */
export function mutatedJson(valid: unknown): fc.Arbitrary<string> {
  const paths = pathsOf(valid);
  const text = JSON.stringify(valid, null, 2);
  return fc.oneof(
    fc.tuple(fc.nat(), fc.jsonValue()).map(([i, v]) =>
      JSON.stringify(
        edit(valid, paths[i % paths.length]!, (p, k) => (p[k] = v)),
        null,
        2,
      ),
    ),
    fc.nat().map((i) =>
      JSON.stringify(
        edit(valid, paths[i % paths.length]!, (p, k) => (Array.isArray(p) ? p.splice(Number(k), 1) : delete p[k])),
        null,
        2,
      ),
    ),
    fc.tuple(fc.nat(), fc.string(), fc.jsonValue()).map(([i, key, v]) => {
      const target = paths[i % paths.length]!;
      return JSON.stringify(
        edit(valid, [...target, key], (p, k) => {
          if (p !== null && typeof p === 'object' && !Array.isArray(p)) p[k] = v;
        }),
        null,
        2,
      );
    }),
    fc.nat({ max: text.length }).map((n) => text.slice(0, n)),
    fc.tuple(fc.nat({ max: text.length }), fc.string({ unit: 'binary', maxLength: 8 })).map(([n, s]) => text.slice(0, n) + s + text.slice(n)),
    fc.tuple(fc.nat({ max: text.length }), fc.nat({ max: 20 })).map(([n, k]) => text.slice(0, n) + text.slice(n + k)),
  );
}

/** Any text at all, and text made of the characters a parser cares about. */
export function arbitraryText(special: string): fc.Arbitrary<string> {
  return fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: fc.constantFrom(...special.split('')), maxLength: 300 }));
}
