import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { notRun } from '../wine/skipSummary.mjs';

// The windows.yml job summary lists what did not run from node:test's own TAP, produced here by a real run.

test('notRun lists skipped suites, skipped tests and todos with their suite path and reason, from a real node --test run', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fb-skips-'));
  writeFileSync(
    path.join(dir, 'a.test.mjs'),
    `import { describe, test } from 'node:test';
describe('Windows only: UIPI', { skip: 'the runner is elevated' }, () => { test('x', () => {}); });
describe('outer', () => {
  describe('inner', () => { test('monitors', (t) => t.skip('one monitor')); test('runs', () => {}); });
  test('later', { todo: 'not written' }, () => {});
  test('bare skip', { skip: true }, () => {});
});
test('top', () => {});
`,
  );
  const tap = path.join(dir, 'out.tap');
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', `--test-reporter-destination=${tap}`, path.join(dir, 'a.test.mjs')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(notRun(readFileSync(tap, 'utf8')), [
    { path: ['Windows only: UIPI'], kind: 'SKIP', reason: 'the runner is elevated' },
    { path: ['outer', 'inner', 'monitors'], kind: 'SKIP', reason: 'one monitor' },
    { path: ['outer', 'later'], kind: 'TODO', reason: 'not written' },
    { path: ['outer', 'bare skip'], kind: 'SKIP', reason: '(no reason given)' },
  ]);
});
