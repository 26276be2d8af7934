import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { validateConfigText } from '../../extension/core/config/configFile';
import { formatProblem } from '../../extension/core/validation/problems';
import { WORKSPACE } from './fixturePaths';

const fixture = readFileSync(path.join(WORKSPACE, 'fastbench.json'), 'utf8');
const problemsOf = (text: string) => {
  const r = validateConfigText('fastbench.json', text);
  return r.ok ? [] : r.problems.map(formatProblem);
};

test('the fixture config is valid and defaults are filled in', () => {
  const r = validateConfigText('fastbench.json', fixture);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  assert.equal(r.value.target.attachTimeoutS, 180);
  assert.deepEqual(r.value.campaign.cachePolicies, ['Cold', 'Warm']);
  assert.equal(r.value.campaign.repeats, 2);
  assert.equal(r.value.campaign.order, 'interleaved');
});

test('an unknown key gets "did you mean", pointing at the key', () => {
  const problems = problemsOf(fixture.replace('"attachTimeoutS"', '"x"').replace('"runsFolder"', '"runFolder"'));
  assert.deepEqual(problems, ['fastbench.json:16:3: runFolder: unknown key "runFolder" (did you mean "runsFolder"?)']);
});

test('a SAS token is refused with where secrets go, and never echoed', () => {
  const secret = 'sv=2022-11-02&ss=b&srt=co&sp=rl&se=2027-01-01&sig=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789%2B%2F%3D';
  const text = fixture.replace('"https://demoaccount.blob.core.windows.net"', `"https://demoaccount.blob.core.windows.net/?${secret}"`);
  const problems = problemsOf(text);
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /^fastbench\.json:\d+:\d+: azure\.accountUrl: contains a SAS token/);
  assert.match(problems[0]!, /FastBench: Set Azure SAS/);
  assert.match(problems[0]!, /FASTBENCH_AZURE_SAS/);
  assert.ok(!problems[0]!.includes('AbCdEf'), 'the signature must not be printed');
});

test('an account key under a secret-named field is refused', () => {
  const text = fixture.replace('"container": "seismic"', '"container": "seismic", "accountKey": "abc"');
  assert.match(problemsOf(text)[0]!, /azure\.accountKey: contains a secret-named key "accountKey"/);
});

test('a campaign mode that is not configured is named', () => {
  const text = fixture.replace(/"B_fast": \{[^}]*\}/, '"B_fast_typo": {}');
  const problems = problemsOf(text);
  assert.match(problems[0]!, /^fastbench\.json:12:5: modes\.B_fast_typo: unknown key "B_fast_typo" \(allowed: A_shared, B_fast\)$/);
  // One mode configured and no campaign.modes written: the campaign runs just that mode.
  const only = fixture.replace(/,\n\s*"B_fast": \{[^}]*\}/, '');
  const r = validateConfigText('fastbench.json', only);
  assert.ok(r.ok);
  assert.deepEqual(r.value.campaign.modes, ['A_shared']);
  // Written explicitly, an unconfigured mode is named at its position.
  const asked = only.replace('"repeats": 2', '"repeats": 2, "modes": ["A_shared", "B_fast"]');
  assert.deepEqual(problemsOf(asked), ['fastbench.json:14:53: campaign.modes[1]: expected a mode configured under "modes" (configured: A_shared), found "B_fast"']);
  assert.match(problemsOf(fixture.replace('"^Petrel"', '"(Petrel"'))[0]!, /target\.window\.titlePattern: expected a valid JavaScript regular expression, found "\(Petrel"/);
});

test('wrong types and enum typos say expected and found', () => {
  const text = fixture.replace('"repeats": 2', '"repeats": "two", "cachePolicies": ["cold"]');
  assert.deepEqual(
    problemsOf(text).map((p) => p.replace(/^fastbench\.json:\d+:\d+: /, '')),
    ['campaign.repeats: expected a number, found "two"', 'campaign.cachePolicies[0]: expected a cache policy (Cold | Warm), found "cold"; did you mean "Cold"?'],
  );
});
