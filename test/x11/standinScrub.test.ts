import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parseMarkersTsv } from '../../extension/core/runs/markersFile';
import { REPO_ROOT } from './xHarness';

// W_scrub100 through the FAST-like cache, Cold then Warm, end to end through the CLI: real Azurite, real
// fastcache daemon, real viewer window (private Xvfb), real driver. Cold must be measurably slower where
// the scrub crosses into a new brick row (inline 64), because only Cold fetches that row from the "cloud".

const cli = (home: string, ...args: string[]) =>
  spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'cli.js'), ...args], {
    env: { ...process.env, FASTBENCH_STANDIN_HOME: home, DISPLAY: '' },
    encoding: 'utf8',
    timeout: 240_000,
  });

test('B_fast scrub: the step into a new brick row is slower Cold than Warm', { timeout: 300_000 }, () => {
  const home = mkdtempSync(path.join(tmpdir(), 'fb-scrub-'));
  const data = cli(home, 'standin', 'data', '--dims', '192x384x448');
  assert.equal(data.status, 0, data.stderr);
  const demo = cli(home, 'standin', 'demo', '--modes', 'B_fast', '--inlines', '70', '--xvfb', '--json');
  assert.equal(demo.status, 0, demo.stderr);
  const report = JSON.parse(demo.stdout) as { campaign: string; runs: { run: string; policy: string; scrub_s: number }[]; ratios: Record<string, number> };
  const crossing = (run: string) => {
    const markers = parseMarkersTsv('markers.tsv', readFileSync(path.join(report.campaign, run, 'markers.tsv'), 'utf8'));
    const step = markers.find((m) => m.name === 'inline' && m.detail.startsWith('64 '));
    assert.ok(step, `${run}: a marker for inline step 64`);
    return Number(step.detail.split(' ')[1]);
  };
  const cold = report.runs.find((r) => r.policy === 'Cold')!;
  const warm = report.runs.find((r) => r.policy === 'Warm')!;
  const coldMs = crossing(cold.run);
  const warmMs = crossing(warm.run);
  console.log(`B_fast step into brick row 1: Cold ${coldMs.toFixed(1)} ms, Warm ${warmMs.toFixed(1)} ms, ratio ${(coldMs / warmMs).toFixed(2)}; whole scrub Cold/Warm ${report.ratios['B_fast Cold/Warm scrub']!.toFixed(2)}`);
  assert.ok(coldMs > warmMs, `Cold ${coldMs} ms should exceed Warm ${warmMs} ms`);
  const runJson = JSON.parse(readFileSync(path.join(report.campaign, cold.run, 'run.json'), 'utf8')) as { status: string; cache_policy_report?: { ok: boolean } };
  assert.equal(runJson.status, 'complete');
  assert.equal(runJson.cache_policy_report?.ok, true, 'the Cold policy is recorded in run.json');
});
