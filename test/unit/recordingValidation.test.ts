import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { validateRecordingText } from '../../extension/core/recording/recordingFile';
import { formatProblem } from '../../extension/core/validation/problems';
import { WORKSPACE } from './fixturePaths';

const sample = readFileSync(path.join(WORKSPACE, 'sample.fbrec.json'), 'utf8');

function problemsOf(text: string): string[] {
  const result = validateRecordingText('rec.fbrec.json', text);
  return result.ok ? [] : result.problems.map(formatProblem);
}

test('the sample recording is valid and keeps every event', () => {
  const result = validateRecordingText('sample.fbrec.json', sample);
  assert.ok(result.ok);
  assert.equal(result.value.events.length, 10);
  assert.equal(result.value.client.dpiScale, 1.25);
});

test('a bad event names file, line:column, path, expected and found', () => {
  const problems = problemsOf(readFileSync(path.join(WORKSPACE, 'broken.fbrec.json'), 'utf8'));
  assert.deepEqual(problems, [
    'rec.fbrec.json:7:27: events[1].type: expected an event with "type" one of move, down, up, scroll, key_down, key_up, marker, pause, resume, found "click"',
  ]);
});

test('a typo in an enum suggests the nearest value', () => {
  const text = sample.replace('"button": "left", "x": 400, "y": 300 },\n    { "t_ms": 240', '"button": "lfet", "x": 400, "y": 300 },\n    { "t_ms": 240');
  const [p] = problemsOf(text);
  assert.match(p!, /events\[2\]\.button: expected a mouse button \(left \| right \| middle \| x1 \| x2\), found "lfet"; did you mean "left"\?/);
});

test('time going backwards is refused with both values', () => {
  const text = sample.replace('"t_ms": 960', '"t_ms": 100');
  assert.deepEqual(
    problemsOf(text).map((p) => p.replace(/^[^ ]+ /, '')),
    ['events[5].t_ms: expected a number ≥ previous event (900), got 100'],
  );
});

test('truncated and empty files are syntax problems with a position', () => {
  assert.match(problemsOf(sample.slice(0, 400))[0]!, /^rec\.fbrec\.json:\d+:\d+: JSON syntax: expected .*found end of file$/);
  assert.deepEqual(problemsOf(''), ['rec.fbrec.json:1:1: JSON syntax: expected a JSON value, found an empty file']);
});

test('missing fields and wrong versions are named', () => {
  const problems = problemsOf('{"version": 1, "target": {}, "events": []}');
  assert.deepEqual(problems, [
    'rec.fbrec.json:1:1: client: expected an object (required), found nothing (the field is missing)',
    'rec.fbrec.json:1:13: version: expected version 2, found 1',
  ]);
});

test('unknown future fields survive validation (forward compatibility)', () => {
  const text = sample.replace('"version": 2,', '"version": 2, "futureField": {"x": 1},').replace('"scan": 81 },', '"scan": 81, "pressure": 0.5 },');
  const result = validateRecordingText('r', text);
  assert.ok(result.ok);
  assert.deepEqual((result.value as Record<string, unknown>).futureField, { x: 1 });
  assert.equal((result.value.events[4] as Record<string, unknown>).pressure, 0.5);
});
