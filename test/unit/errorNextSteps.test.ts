import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextStepsFor } from '../../extension/shared/errorNextSteps';

const titles = (m: string) => nextStepsFor(m).steps.map((s) => s.title);

test('an error toast offers the action that fixes the usual cause, and always the log', () => {
  assert.deepEqual(titles('no fastbench.json in this workspace; a campaign needs one.'), ['Create fastbench.json', 'Show Log']);
  assert.deepEqual(titles('azure: 403 AuthenticationFailed: check the SAS'), ['Set Azure SAS', 'Show Log']);
  const open = nextStepsFor('/w/fastbench.json:12:7: campaign.repeats: expected an integer ≥ 1, found 0').steps[0];
  assert.deepEqual(open, { kind: 'openFile', title: 'Open fastbench.json', file: '/w/fastbench.json', line: 12, column: 7 });
  assert.match(nextStepsFor('driver exited (code 1) before saying hello').hint ?? '', /X server \(DISPLAY set\)/);
  assert.equal(nextStepsFor('something odd').hint, 'The log has the details.');
  assert.deepEqual(titles('something odd'), ['Show Log']);
});
