import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatJsonPath, parseJsonWithPositions } from '../../extension/core/json/jsonWithPositions';

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
