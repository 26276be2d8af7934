import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recordingPath } from '../../extension/shared/recordingPath';

test('a recording is saved with exactly one .fbrec.json, whatever the save dialog returned', () => {
  // What code-server's simple save dialog returned for the proposed "session-….fbrec.json" (review 09e).
  assert.equal(recordingPath('/w/recordings/session-2026-12-01T12-48-52.fbrec.json.fbrec.json'), '/w/recordings/session-2026-12-01T12-48-52.fbrec.json');
  assert.equal(recordingPath('/w/r/a.fbrec.json'), '/w/r/a.fbrec.json');
  assert.equal(recordingPath('/w/r/a'), '/w/r/a.fbrec.json');
  assert.equal(recordingPath('/w/r/a.json'), '/w/r/a.fbrec.json');
  assert.equal(recordingPath('C:\\rec\\b.FBREC.JSON'), 'C:\\rec\\b.fbrec.json');
  assert.equal(recordingPath('/w/r/v1.2'), '/w/r/v1.2.fbrec.json');
});
