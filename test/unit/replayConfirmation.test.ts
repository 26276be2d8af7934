import assert from 'node:assert/strict';
import { test } from 'node:test';
import { replayConfirmation } from '../../extension/shared/replayConfirmation';
import type { Recording } from '../../extension/shared/recording';

test('the replay question names the target, the duration, and how to abort', () => {
  const recording = {
    version: 2,
    target: { titlePattern: '^Petrel', processImage: 'petrel.exe' },
    client: { width: 1600, height: 900 },
    events: [
      { t_ms: 0, type: 'move', x: 1, y: 1 },
      { t_ms: 5100, type: 'move', x: 2, y: 2 },
    ],
  } as unknown as Recording;
  const q = replayConfirmation(recording, 'sample.fbrec.json');
  assert.equal(q.title, 'FastBench: replay sample.fbrec.json into /^Petrel/ (petrel.exe)?');
  assert.deepEqual(
    q.items.map((i) => i.choice),
    ['replay', 'replayAndStopAsking', 'cancel'],
  );
  assert.equal(q.items[0]!.label, '$(play) Replay now: 2 events, 5.1 s');
  assert.match(q.items[0]!.detail!, /hands off mouse and keyboard/);
  assert.match(q.placeHolder, /press Esc, or push the pointer into the top-left corner/);
  assert.match(q.items[1]!.detail!, /fastbench\.replay\.confirm/);
});
