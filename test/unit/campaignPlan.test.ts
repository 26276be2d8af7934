import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CampaignState } from '../../extension/core/campaign/campaignState';
import { copyFastLog, fastLogOffset } from '../../extension/core/campaign/fastLogSlice';
import { buildPlan, countRenderSteps, estimateSeconds } from '../../extension/core/campaign/plan';
import { expandArguments } from '../../extension/core/campaign/targetProcess';
import { petrelTemplate, standinWorkflows } from '../../extension/core/campaign/templates';
import { validateConfigText } from '../../extension/core/config/configFile';
import { FASTCACHE_LOG_HEADER } from '../../extension/shared/fastcacheFormat';
import type { FastbenchConfig } from '../../extension/shared/config';

function config(campaign: Record<string, unknown>): FastbenchConfig {
  const c = petrelTemplate();
  const text = JSON.stringify({ ...c, campaign: { ...c.campaign, warmupRuns: 0, ...campaign } });
  const r = validateConfigText('t.json', text);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

const short = (p: ReturnType<typeof buildPlan>) => p.map((e) => `${e.block}${e.mode === 'A_shared' ? 'A' : 'B'}${e.policy[0]}${e.workflow.name.slice(2, 4)}${e.warmup ? 'w' : ''}`);

test('interleaved: each block alternates the mode order (A B, then B A), Cold before Warm of the same unit', () => {
  const plan = buildPlan(config({ workflows: ['W_scrub100'], repeats: 3 }));
  assert.deepEqual(short(plan), ['1ACsc', '1AWsc', '1BCsc', '1BWsc', '2BCsc', '2BWsc', '2ACsc', '2AWsc', '3ACsc', '3AWsc', '3BCsc', '3BWsc']);
  assert.deepEqual(
    plan.map((e) => e.index),
    plan.map((_, i) => i),
  );
});

test('blocked runs one mode at a time; shuffled is a permutation fixed by the seed', () => {
  assert.deepEqual(short(buildPlan(config({ workflows: ['W_scrub100'], repeats: 2, order: 'blocked' }))), ['1ACsc', '1AWsc', '2ACsc', '2AWsc', '1BCsc', '1BWsc', '2BCsc', '2BWsc']);
  const a = short(buildPlan(config({ repeats: 2, order: 'shuffled', seed: 7 })));
  const b = short(buildPlan(config({ repeats: 2, order: 'shuffled', seed: 7 })));
  const c = short(buildPlan(config({ repeats: 2, order: 'shuffled', seed: 8 })));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.deepEqual([...a].sort(), [...short(buildPlan(config({ repeats: 2 })))].sort(), 'the same runs, another order');
});

test('warm-up runs open each block and are flagged', () => {
  const plan = buildPlan(config({ workflows: ['W_scrub100', 'W_export'], repeats: 2, warmupRuns: 1 }));
  assert.deepEqual(short(plan).slice(0, 4), ['1ACscw', '1AWscw', '1ACsc', '1AWsc']);
  assert.equal(plan.filter((e) => e.warmup).length, 4);
  assert.equal(plan.filter((e) => !e.warmup).length, 16);
});

test('the estimate counts render steps through repeats and a pass for Warm runs with nothing to warm them', () => {
  const wf = standinWorkflows(100);
  assert.deepEqual(countRenderSteps(wf.W_scrub100!.steps), { renders: 100, waitMs: 0 });
  const cfg = config({ workflows: ['W_scrub100'], repeats: 1, cachePolicies: ['Warm'] });
  const plan = buildPlan(cfg);
  const withDefs = { ...cfg.workflows, W_scrub100: { ...wf.W_scrub100!, stepTimeoutS: 60 } };
  // Two Warm runs, neither preceded by its own Cold run: each costs twice (10 s + 25 s).
  assert.equal(estimateSeconds(plan, withDefs), 2 * 2 * (10 + 25));
});

test('arguments get {project} and {dataPath}; a placeholder without a value is an error that says which', () => {
  assert.deepEqual(expandArguments(['/p', '{project}', '--data={dataPath}'], { project: 'x.pet', dataPath: '/d/v.zgy' }), ['/p', 'x.pet', '--data=/d/v.zgy']);
  assert.throws(() => expandArguments(['{project}'], { dataPath: '/d' }), /uses \{project\} but no project is configured/);
});

test('a workflow named in the campaign must be defined; a bad step is reported at its line', () => {
  const c = petrelTemplate();
  const text = JSON.stringify({ ...c, campaign: { ...c.campaign, workflows: ['W_scrub100', 'W_nope'] } }, null, 2);
  const r = validateConfigText('f.json', text);
  assert.equal(r.ok, false);
  const msg = JSON.stringify(!r.ok && r.problems);
  assert.match(msg, /campaign\.workflows\[1\]/);
  assert.match(msg, /expected a workflow defined under \\"workflows\\"/);
  const bad = { ...c, workflows: { ...c.workflows, W_scrub100: { steps: [{ key: 'Pgdn' }] } } };
  const r2 = validateConfigText('f.json', JSON.stringify(bad, null, 2));
  assert.equal(r2.ok, false);
  assert.match(JSON.stringify(!r2.ok && r2.problems), /workflows\.W_scrub100\.steps\[0\]/);
});

test('both init templates validate as written', () => {
  assert.ok(validateConfigText('petrel.json', JSON.stringify(petrelTemplate(), null, 2)).ok);
});

test('campaign.json: pending entries, interrupted runs, atomic rewrites', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fb-state-'));
  const plan = buildPlan(config({ workflows: ['W_scrub100'], repeats: 1 }));
  const s = CampaignState.create(dir, { campaign_id: 'c1', config_file: 'f', config_digest: 'sha256:x', plan });
  s.record(0, { run_id: 'r0', folder: '/f0', status: 'complete' });
  s.record(1, { run_id: 'r1', folder: '/f1', status: 'running' });
  s.record(2, { run_id: 'r2', folder: '/f2', status: 'failed', reason: 'x' });
  const loaded = CampaignState.load(dir);
  assert.deepEqual(
    loaded.pending().map((e) => e.index),
    [1, 3],
  );
  assert.deepEqual(
    loaded.interrupted().map((i) => i.attempt.run_id),
    ['r1'],
  );
  writeFileSync(path.join(dir, 'campaign.json'), '{"schema_version": 1, "campaign_id": 3}');
  assert.throws(() => CampaignState.load(dir), /campaign\.json: campaign_id: /);
});

test('the FAST log slice keeps what the log gained during the run, as fastcache-v1, even after a rotation', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fb-fastlog-'));
  const log = path.join(dir, 'fast.log');
  writeFileSync(log, `${FASTCACHE_LOG_HEADER}\n1000.000\tread\t1\t0-0\t100\thit\t0.100\n`);
  const from = fastLogOffset(log);
  appendFileSync(log, '2000.000\tread\t2\t1-1\t100\tmiss\t5.000\n2001.000\tfetch\t2\t1-1\t100\tok\t4.000\n2002.000\tread\t3\t2-2\t1');
  const out = path.join(dir, 'fast_log.tsv');
  const r = copyFastLog(log, from, out, 'fastcache-v1');
  assert.equal(r.records, 2, 'the half-written last line is left out');
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  assert.equal(lines[0], FASTCACHE_LOG_HEADER);
  assert.equal(lines.length, 3);
  writeFileSync(log, `${FASTCACHE_LOG_HEADER}\n3000.000\tread\t9\t0-0\t100\thit\t0.200\n`);
  const rotated = copyFastLog(log, 10_000, out, 'fastcache-v1');
  assert.equal(rotated.rotated, true);
  assert.equal(rotated.records, 1);
});

test('--until-decided: undecided KPIs ask for the next interleaved block, up to the maximum, and say which', async () => {
  const { untilDecided } = await import('../../extension/core/campaign/untilDecided');
  const { cpSync } = await import('node:fs');
  const dir = mkdtempSync(path.join(tmpdir(), 'fb-decide-'));
  // Hand-made runs with known KPIs (test/fixtures/runs-analysis): their ratio CIs are wider than 1 %.
  cpSync(path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'runs-analysis', 'site-a', 'camp-1'), dir, { recursive: true });
  const cfg = config({ workflows: ['W_scrub100'], repeats: 1 });
  const state = CampaignState.create(dir, { campaign_id: 'c', config_file: 'f', config_digest: 'sha256:x', plan: buildPlan(cfg) });
  const said: string[] = [];
  const narrow = untilDecided(cfg, { ciWidth: 0.01, maxBlocks: 2, onDecision: (d) => said.push(d.message) });
  const more = await narrow(state, 1);
  assert.deepEqual(
    more?.map((e) => e.block),
    [2, 2, 2, 2],
    'one more block',
  );
  assert.equal(more?.[0]?.mode, 'B_fast', 'the next block flips the mode order');
  assert.equal(await narrow(state, 2), undefined, 'the maximum stops it');
  assert.match(said.at(-1)!, /stopped at the maximum of 2 block\(s\) with \d+ KPI\(s\) still wider than 1 %/);
  const wide = untilDecided(cfg, { ciWidth: 9, maxBlocks: 5, onDecision: (d) => said.push(d.message) });
  const decided = await wide(state, 1);
  assert.equal(decided, undefined, 'every CI narrower than the target: no more blocks');
  assert.match(said.at(-1)!, /^decided after 1 block\(s\): every ratio's 95 % CI is narrower than 900 %$/);
  assert.match(said[1]!, /W_scrub100 Cold open_time_s \(CI 1\.67–2\.30\)/, 'the undecided KPIs are named with their CI');
});
