import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DEFAULT_CONTROL_KEYS } from '../../extension/core/recording/recorder';
import { validateRecordingText } from '../../extension/core/recording/recordingFile';
import { applyEdit, removeAfterStop, renumberEvent, sortEventsByTime } from '../../extension/core/recording/recordingFixes';
import { clientPosition, describeEvent, eventAtOffset, outlineRecording, STOP_KEY } from '../../extension/core/recording/recordingOutline';
import { recordingFrom } from '../../extension/core/recording/recordingSlice';
import type { Recording } from '../../extension/shared/recording';

const sample = readFileSync('test/fixtures/workspace/sample.fbrec.json', 'utf8');

const recording = (events: string[]) =>
  `{\n  "version": 2,\n  "target": { "titlePattern": "^Petrel" },\n  "client": { "width": 1600, "height": 900 },\n  "events": [\n    ${events.join(',\n    ')}\n  ]\n}\n`;

test('the outline of the sample: events with their text spans, markers with the time to the next marker', () => {
  const o = outlineRecording(sample);
  assert.equal(o.events.length, 10);
  assert.equal(o.durationMs, 5100);
  assert.deepEqual(o.client, { width: 1600, height: 900, dpiScale: 1.25 });
  assert.deepEqual(
    o.markers.map((m) => [m.name, m.index, m.t_ms, m.untilNextMs, m.lastIndex, m.checkpoint]),
    [
      ['F6', 0, 0, 5100, 8, false],
      ['F7', 9, 5100, 0, 9, true],
    ],
  );
  for (const e of o.events) assert.equal(sample[e.offset], '{', `events[${e.index}] starts at its brace`);
  const down = o.events[2]!;
  assert.equal(JSON.parse(sample.slice(down.offset, down.offset + down.length)).type, 'down');
  assert.equal(sample.slice(down.time!.offset, down.time!.offset + down.time!.length), '180');
  assert.equal(eventAtOffset(o, down.offset + 5), down);
  assert.equal(eventAtOffset(o, 0), undefined, 'the header is no event');
  assert.equal(describeEvent(down), 'down left at 400, 300');
  assert.equal(clientPosition(down, o.client), 'x 400, y 300 of the 1600×900 client (25.0 %, 33.3 %)');
  assert.deepEqual(o.outOfOrder, []);
  assert.equal(o.stop, undefined);
});

test('a half-typed recording still has an outline (the editor keeps its lenses while someone types)', () => {
  const o = outlineRecording(sample.slice(0, sample.indexOf('"t_ms": 900')));
  assert.equal(o.events.length, 5, 'four whole events and the one being typed');
  assert.equal(o.events[4]!.t_ms, undefined);
  assert.equal(o.markers.length, 1);
});

test("the stop key the outline looks for is the recorder's", () => {
  assert.equal(STOP_KEY, DEFAULT_CONTROL_KEYS.stop);
});

test('out-of-order t_ms: sorting moves the events as written; renumbering sets the latest earlier time; both validate', () => {
  const text = recording([
    '{ "t_ms": 0, "type": "marker", "name": "F6" }',
    '{ "t_ms": 500, "type": "move", "x": 1, "y": 2 }',
    '{ "t_ms": 300, "type": "move", "x": 3, "y": 4 }',
    '{ "t_ms": 700, "type": "move", "x": 5, "y": 6 }',
  ]);
  assert.equal(validateRecordingText('r', text).ok, false);
  const o = outlineRecording(text);
  assert.deepEqual(o.outOfOrder, [2]);
  const sorted = applyEdit(text, sortEventsByTime(text, o)!);
  assert.ok(validateRecordingText('r', sorted).ok);
  assert.deepEqual(
    (JSON.parse(sorted) as Recording).events.map((e) => e.t_ms),
    [0, 300, 500, 700],
  );
  assert.match(sorted, /\n {4}\{ "t_ms": 300, "type": "move", "x": 3, "y": 4 \},\n {4}\{ "t_ms": 500/, 'one event per line, as written');
  const renumbered = applyEdit(text, renumberEvent(o, 2)!);
  assert.ok(validateRecordingText('r', renumbered).ok);
  assert.deepEqual(
    (JSON.parse(renumbered) as Recording).events.map((e) => e.t_ms),
    [0, 500, 500, 700],
  );
  assert.equal(renumberEvent(o, 1), undefined, 'an event in order is left alone');
});

test('events after the stop key: the fix removes the press and everything after it, and the JSON stays valid', () => {
  const text = recording([
    '{ "t_ms": 0, "type": "marker", "name": "F6" }',
    '{ "t_ms": 100, "type": "move", "x": 1, "y": 2 }',
    '{ "t_ms": 200, "type": "key_down", "key": "F12" }',
    '{ "t_ms": 250, "type": "key_up", "key": "F12" }',
    '{ "t_ms": 900, "type": "move", "x": 5, "y": 6 }',
  ]);
  const o = outlineRecording(text);
  assert.deepEqual(o.stop, { index: 2, key: 'F12', after: 2 });
  const fixed = applyEdit(text, removeAfterStop(o)!);
  const v = validateRecordingText('r', fixed);
  assert.ok(v.ok);
  assert.equal(v.value.events.length, 2);
  assert.equal(outlineRecording(fixed).stop, undefined);
});

test('"Replay from here": the events from a marker on, re-timed from 0, releases without their press dropped', () => {
  const rec: Recording = {
    version: 2,
    target: {},
    client: { width: 10, height: 10, dpiScale: 1 },
    events: [
      { t_ms: 0, type: 'down', button: 'left', x: 1, y: 1 },
      { t_ms: 1000, type: 'marker', name: 'F7' },
      { t_ms: 1100, type: 'up', button: 'left', x: 1, y: 1 },
      { t_ms: 1200, type: 'key_down', key: 'a' },
      { t_ms: 1300, type: 'key_up', key: 'a' },
    ],
  };
  assert.deepEqual(
    recordingFrom(rec, 1).events.map((e) => `${e.t_ms} ${e.type}`),
    ['0 marker', '200 key_down', '300 key_up'],
  );
});
