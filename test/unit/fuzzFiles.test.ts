import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { validateConfigText } from '../../extension/core/config/configFile';
import { parseFastLogText } from '../../extension/core/fastlog/fastLogParsers';
import { validateRecordingText } from '../../extension/core/recording/recordingFile';
import { parseMarkersTsv } from '../../extension/core/runs/markersFile';
import { InputError } from '../../extension/core/validation/problems';
import { FastLogLineError } from '../../extension/shared/fastLogRecord';
import { runManifestSchema } from '../../extension/shared/runManifest';
import { validateJsonText } from '../../extension/shared/validateJson';
import { arbitraryText, assertClearMessage, assertClearProblem, mutatedJson, RUNS } from './fuzzKit';
import { REPO_ROOT, WORKSPACE } from './fixturePaths';

// Property-based tests of every input file parser: thousands of near-valid and arbitrary inputs each; the parser
// never throws anything but its own input error, and every problem names the file and the line or field.

const fixture = (rel: string) => readFileSync(path.join(REPO_ROOT, rel), 'utf8');
const JSON_CHARS = '{}[]",:0123456789.-+eE \n\tatrufnl\\u';

for (const [name, file, validate, valid] of [
  ['recording', 'x.fbrec.json', validateRecordingText, JSON.parse(readFileSync(path.join(WORKSPACE, 'sample.fbrec.json'), 'utf8'))],
  ['fastbench.json', 'fastbench.json', validateConfigText, JSON.parse(readFileSync(path.join(WORKSPACE, 'fastbench.json'), 'utf8'))],
  [
    'run.json',
    'run.json',
    (f: string, t: string) => validateJsonText(f, t, runManifestSchema),
    JSON.parse(fixture('test/fixtures/workspace/runs/2026-11-30T10-05-00Z_B_fast_Cold_W_scrub100_r1/run.json')),
  ],
] as const) {
  test(`${name}: every mutated or arbitrary text is accepted or rejected with clear problems, never a crash`, () => {
    assert.ok(validate(file, JSON.stringify(valid)).ok, 'the seed document is valid');
    fc.assert(
      fc.property(fc.oneof(mutatedJson(valid), arbitraryText(JSON_CHARS)), (text) => {
        const result = validate(file, text);
        if (result.ok) return;
        assert.ok(result.problems.length > 0);
        for (const p of result.problems) assertClearProblem(p, file);
      }),
      { numRuns: RUNS },
    );
  });
}

/** A valid TSV text with one cell (line i, column c, both modulo the sizes) replaced by s. */
function replaceCell(lines: string[], i: number, c: number, s: string): string {
  return lines
    .map((l, k) =>
      k === i % lines.length
        ? l
            .split('\t')
            .map((cell, j, all) => (j === c % all.length ? s : cell))
            .join('\t')
        : l,
    )
    .join('\n');
}
test('markers.tsv: rows with any cells give their line and what was wrong, never a crash', () => {
  const valid = fixture('test/fixtures/workspace/runs/2026-11-30T10-00-00Z_A_shared_Cold_W_scrub100_r1/markers.tsv');
  const lines = valid.split('\n');
  const mutated = fc.oneof(
    fc.tuple(fc.nat(), fc.string({ unit: 'binary', maxLength: 60 })).map(([i, s]) => lines.map((l, k) => (k === i % lines.length ? s : l)).join('\n')),
    fc.tuple(fc.nat(), fc.nat(), fc.string({ maxLength: 20 })).map(([i, c, s]) => replaceCell(lines, i, c, s)),
    fc.nat({ max: valid.length }).map((n) => valid.slice(0, n)),
    arbitraryText('\t\n\r0123456789.-eE abc'),
  );
  fc.assert(
    fc.property(mutated, (text) => {
      try {
        parseMarkersTsv('markers.tsv', text);
      } catch (e) {
        assert.ok(e instanceof InputError, `not an input error: ${String(e)}`);
        for (const p of e.problems) {
          assertClearProblem(p, 'markers.tsv');
          assert.ok(p.line !== undefined && p.line >= 1, 'names the line');
        }
      }
    }),
    { numRuns: RUNS },
  );
});

test('FAST logs (fastcache-v1, regex formats, auto): bad lines become line errors naming the field, never a crash', () => {
  const valid = fixture('test/fixtures/runs-analysis/site-a/camp-1/cold-B-1/fast_log.tsv');
  const lines = valid.split('\n');
  const formats = fc.constantFrom('auto', 'fastcache-v1', 'regex:^(?<t_unix_ms>\\d+) (?<kind>\\w+) (?<bytes>\\d+) (?<result>\\w+) (?<latency_ms>[\\d.]+)');
  const text = fc.oneof(
    fc.tuple(fc.nat(), fc.nat(), fc.string({ unit: 'binary', maxLength: 20 })).map(([i, c, s]) => replaceCell(lines, i, c, s)),
    fc.nat({ max: valid.length }).map((n) => valid.slice(0, n)),
    arbitraryText('\t\n0123456789.-# readfetchprefetchhitmissokerror'),
  );
  fc.assert(
    fc.property(text, formats, (t, format) => {
      let parsed;
      try {
        parsed = parseFastLogText(t, format);
      } catch (e) {
        // Choosing a parser may refuse the format itself (an unknown or unsniffable log): that must say so plainly.
        assert.ok(e instanceof Error && !(e instanceof TypeError) && !(e instanceof RangeError), `crash: ${String(e)}`);
        assertClearMessage(e.message, 'parserFor');
        return;
      }
      for (const p of parsed.problems) {
        assert.ok(p instanceof FastLogLineError);
        assert.ok(p.line >= 1 && p.field.length > 0);
        assertClearMessage(p.message, `line ${p.line}`);
      }
    }),
    { numRuns: RUNS },
  );
});
