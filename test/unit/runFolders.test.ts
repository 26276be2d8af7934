import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parseMarkersTsv } from '../../extension/core/runs/markersFile';
import { describeRun, listGroupRuns, listRuns, listRunsTop } from '../../extension/core/runs/runFolders';
import { formatProblem, InputError } from '../../extension/core/validation/problems';
import { WORKSPACE } from './fixturePaths';

test('runs are listed newest first, broken ones with a reason, campaigns grouped', async () => {
  const runs = await listRuns(path.join(WORKSPACE, 'runs'));
  const summary = runs.map((r) => `${r.group ?? '-'} ${r.name} ${r.kind}`);
  assert.deepEqual(summary, [
    '- 2026-11-30T10-05-00Z_B_fast_Cold_W_scrub100_r1 run',
    '- 2026-11-30T10-00-00Z_A_shared_Cold_W_scrub100_r1 run',
    'campaign-demo run-001 run',
    '- 2026-11-30T10-10-00Z_B_fast_Warm_W_scrub100_r1 broken',
    '- zz-interrupted broken',
  ]);
  const truncated = runs[3]!;
  assert.ok(truncated.kind === 'broken');
  assert.match(truncated.reason, /^run\.json:5:1: JSON syntax: expected a property name .*found end of file$/);
  assert.equal(describeRun(runs[4]!), 'zz-interrupted: broken (run.json is missing)');
  assert.equal(describeRun(runs[2]!), 'A_shared · Warm · W_attribute #1 · aborted');
});

test('a missing runs folder is an empty list', async () => {
  assert.deepEqual(await listRuns(path.join(WORKSPACE, 'no-such-folder')), []);
});

test('markers.tsv parses, and a bad row is reported with its line', () => {
  const file = path.join(WORKSPACE, 'runs', '2026-11-30T10-00-00Z_A_shared_Cold_W_scrub100_r1', 'markers.tsv');
  const rows = parseMarkersTsv('markers.tsv', readFileSync(file, 'utf8'));
  assert.deepEqual(
    rows.map((r) => r.name),
    ['open_start', 'first_pixel', 'scrub_start', 'scrub_end', 'session_end'],
  );
  assert.equal(rows[3]!.t_run_ms, 71000.5);
  try {
    parseMarkersTsv('markers.tsv', 't_unix_ms\tt_run_ms\tname\tdetail\n1\t2\tok\t\n1\tx\tbad\t\n');
    assert.fail('expected an InputError');
  } catch (e) {
    assert.ok(e instanceof InputError);
    assert.match(formatProblem(e.problems[0]!), /^markers\.tsv:3:1: row 3\.t_run_ms: /);
  }
});

test('the top level lists campaign folders without reading their runs; runs nested deeper are a broken entry saying where', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'fb-runs-top-'));
  try {
    const manifest = readFileSync(path.join(WORKSPACE, 'runs', '2026-11-30T10-00-00Z_A_shared_Cold_W_scrub100_r1', 'run.json'), 'utf8');
    const run = (rel: string, text = manifest) => {
      mkdirSync(path.join(root, rel), { recursive: true });
      writeFileSync(path.join(root, rel, 'run.json'), text);
    };
    run('camp-a/r1');
    run('camp-a/r2', '{ not json');
    run('site/ws-1/camp-b/r1');
    mkdirSync(path.join(root, 'camp-a', 'analysis'));
    writeFileSync(path.join(root, 'camp-a', 'analysis', 'kpis.csv'), 'run_id\n');
    mkdirSync(path.join(root, 'camp-a', 'r3'));
    writeFileSync(path.join(root, 'camp-a', 'r3', 'markers.tsv'), 't_unix_ms\tt_run_ms\tname\tdetail\n');
    const top = await listRunsTop(root);
    assert.deepEqual(
      top.groups.map((g) => [g.name, g.runFolders.map((f) => path.basename(f))]),
      [['camp-a', ['analysis', 'r1', 'r2', 'r3']]],
      'listed, not read: every subfolder',
    );
    assert.deepEqual(
      top.entries.map((e) => `${e.name} ${e.kind === 'broken' ? e.reason : ''}`),
      ['site runs nested 4 levels down (e.g. site/ws-1/camp-b/r1); a runs folder holds runs and campaign/run, so open site as the runs folder to see them'],
    );
    const inCampaign = await listGroupRuns(top.groups[0]!);
    assert.deepEqual(
      inCampaign.map((e) => `${e.group} ${e.name} ${e.kind}`),
      ['camp-a r1 run', 'camp-a r2 broken', 'camp-a r3 broken'],
      'read: analysis/ is no run; r3 (markers.tsv, no run.json) is an interrupted one',
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a campaign folder reached through a symbolic link (runs kept on another disk) is listed like any other', async () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'fb-runs-link-'));
  try {
    const elsewhere = path.join(tmp, 'other-disk', 'camp-x');
    mkdirSync(elsewhere, { recursive: true });
    const campaign = path.join(WORKSPACE, 'runs', 'campaign-demo');
    for (const name of ['run-001']) {
      mkdirSync(path.join(elsewhere, name));
      writeFileSync(path.join(elsewhere, name, 'run.json'), readFileSync(path.join(campaign, name, 'run.json')));
    }
    const runs = path.join(tmp, 'runs');
    mkdirSync(runs);
    symlinkSync(elsewhere, path.join(runs, 'camp-x'), 'dir');
    writeFileSync(path.join(runs, 'not-a-folder'), 'x');
    const listed = await listRuns(runs);
    assert.deepEqual(
      listed.map((r) => `${r.group ?? '-'} ${r.name} ${r.kind}`),
      ['camp-x run-001 run'],
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
