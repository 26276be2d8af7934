import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatJsonPath, MAX_JSON_DEPTH, parseJsonWithPositions } from '../../extension/shared/jsonWithPositions';

test('values and keys carry line:column', () => {
  const parsed = parseJsonWithPositions('{\n  "a": [1,\n    {"b": true}]\n}');
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.value, { a: [1, { b: true }] });
  assert.deepEqual(parsed.valueAt(['a', 1, 'b']), { line: 3, column: 11, offset: 23 });
  assert.deepEqual(parsed.keyAt(['a']), { line: 2, column: 3, offset: 4 });
});

test('agrees with JSON.parse on valid documents', () => {
  const doc = { s: 'é\n"q"\u0001', n: [-1.5e3, 0, 12], t: true, f: false, z: null, o: { x: {} }, e: [] };
  const parsed = parseJsonWithPositions(JSON.stringify(doc, null, 2));
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.value, doc);
});

test('truncated input says what was expected and where the file ended', () => {
  const parsed = parseJsonWithPositions('{\n  "a": 1,\n  "b": [1, 2');
  assert.equal(parsed.ok, false);
  if (parsed.ok) return;
  assert.equal(parsed.error.found, 'end of file');
  assert.match(parsed.error.expected, /"," or "]"/);
  assert.deepEqual([parsed.error.position.line, parsed.error.position.column], [3, 13]);
});

test('empty file, trailing comma, garbage after the value', () => {
  const empty = parseJsonWithPositions('  \n');
  assert.ok(!empty.ok && empty.error.found === 'an empty file');
  const trailing = parseJsonWithPositions('[1, 2, ]');
  assert.ok(!trailing.ok && /no trailing commas/.test(trailing.error.expected));
  const extra = parseJsonWithPositions('{} {}');
  assert.ok(!extra.ok && /end of file/.test(extra.error.expected) && extra.error.position.column === 4);
  const unquoted = parseJsonWithPositions('{ key: 1 }');
  assert.ok(!unquoted.ok && unquoted.error.found === '"key"');
});

test('__proto__ stays a plain key', () => {
  const parsed = parseJsonWithPositions('{"__proto__": {"polluted": true}}');
  assert.ok(parsed.ok);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.deepEqual(Object.keys(parsed.value as object), ['__proto__']);
});

test('paths print the way people write them', () => {
  assert.equal(formatJsonPath(['events', 3, 't_ms']), 'events[3].t_ms');
  assert.equal(formatJsonPath(['modes', 'A_shared', 'data path']), 'modes.A_shared["data path"]');
  assert.equal(formatJsonPath([]), '(top level)');
});

test('nesting: up to the limit parses, one deeper is refused where it starts, 100,000 deep never overflows the stack', () => {
  const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);
  assert.ok(parseJsonWithPositions(nested(MAX_JSON_DEPTH)).ok);
  const over = parseJsonWithPositions(nested(MAX_JSON_DEPTH + 1));
  assert.ok(!over.ok);
  assert.equal(over.error.found, `nesting deeper than ${MAX_JSON_DEPTH}`);
  assert.equal(over.error.position.column, MAX_JSON_DEPTH + 1);
  const deep = parseJsonWithPositions(`{"a":\n${nested(100_000)}}`);
  assert.ok(!deep.ok && deep.error.position.line === 2 && /at most \d+ nested/.test(deep.error.expected));
});

test('strict JSON: comments, single quotes, NaN, leading zeros and non-JSON whitespace are refused with a position', () => {
  for (const [text, column] of [
    ['{"a": 1 // no\n}', 9],
    ["{'a': 1}", 2],
    ['[NaN]', 2],
    ['[01]', 3],
    ['[1,\u00a02]', 4],
    ['["a\tb"]', 4],
    ['["\\x"]', 3],
    ['[1.]', 2],
  ] as const) {
    const parsed = parseJsonWithPositions(text);
    assert.ok(!parsed.ok, text);
    assert.equal(parsed.error.position.column, column, `${JSON.stringify(text)}: ${parsed.error.message}`);
    assert.throws(() => JSON.parse(text));
  }
});

test('a byte-order mark is skipped; positions still count it as column 1', () => {
  const parsed = parseJsonWithPositions('\ufeff{"a": 1}');
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.value, { a: 1 });
  assert.deepEqual(parsed.keyAt(['a']), { line: 1, column: 3, offset: 2 });
});
