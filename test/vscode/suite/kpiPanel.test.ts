import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import type { FastbenchApi } from '../../../extension/host/extension';
import type { KpiShown } from '../../../extension/shared/kpiViewProtocol';
import { figure, test, waitFor } from './harness';
import { docsShot, fastbench, palette, press, screenshot, sleep } from './ui';

// The KPIs side panel, checked by what it shows (its DOM rows and Chart.js datasets and axes, read back by the view)
// for the hand-made runs of test/fixtures/runs-analysis, whose KPIs are known (see make.mjs and the analysis tests).

const fixtures = (name: string) => path.join(vscode.extensions.getExtension('fastbench.fastbench')!.extensionPath, 'test', 'fixtures', name);

/** camp-1 (Cold, 3 vs 3 comparable) and camp-2 (Warm, 8 vs 8), each a campaign folder of a fresh runs folder. */
function kpiRunsFolder(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'fb-kpi-runs-'));
  cpSync(fixtures('runs-analysis/site-a/camp-1'), path.join(root, 'camp-1'), { recursive: true });
  cpSync(fixtures('runs-analysis/site-b/ws-test/camp-2'), path.join(root, 'camp-2'), { recursive: true });
  return root;
}

async function useRunsFolder(folder: string | undefined): Promise<void> {
  await vscode.workspace.getConfiguration('fastbench').update('runsFolder', folder, vscode.ConfigurationTarget.Global);
}

/** The next render the view reports after `since` (renders carry no id; a new object means a new render). */
async function nextShown(api: FastbenchApi, since: KpiShown | undefined, what: string, ok: (s: KpiShown) => boolean = () => true, timeoutMs = 30_000): Promise<KpiShown> {
  const started = Date.now();
  let seen = since;
  return waitFor(
    what,
    () => {
      const s = api.kpis.shown();
      if (s && s !== seen) {
        seen = s;
        console.log(`  KPI view rendered after ${Date.now() - started} ms: "${s.message}", ${s.table.length} rows`);
      }
      return s && s !== since && ok(s) ? s : undefined;
    },
    timeoutMs,
  );
}

let api: FastbenchApi;

test('the KPIs panel (opened from the palette) shows the verdict table, bar charts with CI whiskers and flagged runs for known runs', async () => {
  api = await fastbench();
  const folder = kpiRunsFolder();
  const before = api.kpis.shown();
  await useRunsFolder(folder);
  await palette('FastBench: Focus on KPIs View');
  const shown = await nextShown(api, before, 'the KPI view to render the fixture runs', (s) => s.table.length > 0 && s.message.startsWith('27 runs'), 60_000);
  console.log(`KPI panel: ${shown.table.length} verdict rows, ${shown.charts.length} charts, rendered in ${shown.renderMs.toFixed(1)} ms (message to painted); ${shown.message}`);

  // Verdict rows: durations first. Values from comparison_kpis.csv of the same runs (worked out by hand in make.mjs).
  // One workflow and one machine: the group column names only the cache policy.
  const row = (group: string, kpi: string) => shown.table.find((r) => r[0] === group && r[1] === kpi);
  assert.deepEqual(row('Warm', 'open s'), ['Warm', 'open s', '5.35 n8', '7.35 n8', '×1.37 [1.3, 1.45]', 'B 37 % slower']);
  assert.deepEqual(row('Cold', 'open s'), ['Cold', 'open s', '11 n3', '21 n3', '×1.91 [1.67, 2.3]', 'no diff.']);
  assert.deepEqual(row('Warm', 'scrub s')?.slice(2), ['37 n8', '38 n8', '×1.03 [0.857, 1.23]', 'no diff.']);
  assert.deepEqual(
    shown.table.slice(0, 4).map((r) => r[1]),
    ['open s', 'scrub s', 'open s', 'scrub s'],
    'durations come first',
  );

  // Charts: one bar chart per measured duration, bars = medians per cache policy, whiskers from 6 runs.
  const open = shown.charts.find((c) => c.id === 'open_by_mode');
  assert.ok(open, `an open_by_mode chart among ${shown.charts.map((c) => c.id).join(', ')}`);
  assert.deepEqual(open.labels, ['Cold n = 3 | 3', 'Warm n = 8 | 8']);
  assert.deepEqual(
    open.datasets.map((d) => [d.label, d.data]),
    [
      ['A_shared', [11, 5.35]],
      ['B_fast', [21, 7.35]],
    ],
  );
  assert.equal(open.datasets[0]!.whiskers[0], null, 'no whisker below 6 runs');
  const warmA = open.datasets[0]!.whiskers[1];
  assert.ok(warmA && warmA[0] <= 5.35 && warmA[1] >= 5.35, `Warm A whisker around the median: ${JSON.stringify(warmA)}`);
  const y = open.axes.find((a) => a.id === 'y');
  assert.equal(y?.title, 'seconds');
  assert.ok(y && y.ticks.length >= 3 && y.ticks.every((t) => t !== ''), `y ticks labelled: ${JSON.stringify(y?.ticks)}`);
  assert.deepEqual(open.axes.find((a) => a.id === 'x')?.ticks, ['Cold,n = 3 | 3', 'Warm,n = 8 | 8']);
  assert.ok(shown.charts.some((c) => c.id === 'scrub100_by_mode'));
  assert.ok(
    shown.charts.some((c) => c.id === 'fast_latency_cdf'),
    'the FAST latency CDF (cold-B-1 has a fast_log.tsv)',
  );

  // Flagged runs: the B run that read the NAS, the mixed one, the one without evidence, the aborted one.
  const flags = shown.flags.join('\n');
  for (const f of [/^cold-B-nas — wrong source/m, /^cold-B-mixed — wrong source/m, /^cold-A-3 — no evidence/m, /^cold-A-aborted — aborted/m]) assert.match(flags, f);

  // For the README: a wider side bar (as a user would drag it), the table, then the charts (End scrolls the view).
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  await vscode.commands.executeCommand('fastbench.kpis.focus');
  for (let i = 0; i < 6; i++) await vscode.commands.executeCommand('workbench.action.decreaseViewWidth');
  await vscode.commands.executeCommand('workbench.actions.treeView.fastbench.runs.collapseAll');
  await vscode.commands.executeCommand('fastbench.kpis.focus');
  for (let i = 0; i < 4; i++) await vscode.commands.executeCommand('workbench.action.increaseViewHeight');
  await sleep(800);
  await screenshot(docsShot('kpi-panel.png'));
  await press('PageDown');
  await press('PageDown');
  await sleep(500);
  await screenshot(docsShot('kpi-panel-charts.png'));
  await press('Home');
}, 90_000);

test("Enter on a verdict row (keys only) shows that row's runs in the Runs view", async () => {
  // "Focus on KPIs View" put the focus on the first row (W_scrub100 · Cold, open); ↓ moves to the next row.
  await palette('FastBench: Focus on KPIs View');
  await sleep(500);
  await press('ArrowDown');
  await press('ArrowDown');
  await press('Enter');
  const message = await waitFor('the Runs view to be filtered', () => api.runsTree.message() || undefined, 10_000);
  assert.match(message, /^Showing the runs of W_scrub100 · Warm\./);
  const top = await api.runsTree.children();
  const runs: typeof top = [];
  const visit = async (nodes: typeof top) => {
    for (const n of nodes)
      if (n.kind === 'entry') runs.push(n);
      else await visit(await api.runsTree.children(n));
  };
  await visit(top);
  const names = runs.map((n) => String(api.runsTree.item(n).label)).sort();
  assert.equal(names.length, 16, names.join(', '));
  assert.ok(
    names.every((n) => /^(A_shared|B_fast) · Warm · W_scrub100 #\d$/.test(n)),
    names.join(', '),
  );
  await vscode.commands.executeCommand('fastbench.clearRunsFilter');
  assert.ok(!api.runsTree.message(), 'no filter message once cleared');
}, 40_000);

test('the campaign filter narrows the analysis to that campaign', async () => {
  const before = api.kpis.shown();
  await api.kpis.setFilter({ campaign: 'camp-1', machine: null, workflow: null });
  const shown = await nextShown(api, before, 'the filtered render', (s) => s.filter.campaign === 'camp-1' && s.table.length > 0);
  assert.ok(
    shown.table.every((r) => r[0] === 'Cold'),
    JSON.stringify(shown.table.map((r) => r[0])),
  );
  assert.match(shown.message, /^11 runs · 1 campaign/);
  const after = api.kpis.shown();
  await api.kpis.setFilter({ campaign: null, machine: null, workflow: null });
  await nextShown(api, after, 'the unfiltered render', (s) => s.filter.campaign === null && s.table.length > 0);
}, 40_000);

test('the KPIs panel refreshes when a run is added, and renders 1,000 runs (first render timed)', async () => {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'fb-kpi-1000-'));
  const before = api.kpis.shown();
  await useRunsFolder(folder);
  // One run first; then 999 more appear while the view is open: the watcher must refresh it.
  writeRuns(folder, 0, 1);
  await nextShown(api, before, 'the 1-run render', (s) => s.message.startsWith('1 run ·'));
  const one = api.kpis.shown();
  writeRuns(folder, 1, 1000);
  const shown = await nextShown(api, one, 'the 1,000-run render', (s) => s.message.startsWith('1000 runs'), 120_000);
  console.log(`KPI panel, 1,000 runs: first render ${shown.renderMs.toFixed(1)} ms (message to painted, in the webview); ${shown.message}`);
  figure('KPI panel, 1,000 runs, first render', shown.renderMs, 300);
  await useRunsFolder(undefined);
}, 180_000);

/** Runs i0..i1-1 of a synthetic campaign: alternating modes and policies, open ≈ 5 s (A) or 7 s (B). */
function writeRuns(root: string, i0: number, i1: number): void {
  const t0 = 1764500000000;
  for (let i = i0; i < i1; i++) {
    const mode = i % 2 ? 'B_fast' : 'A_shared';
    const policy = i % 4 < 2 ? 'Cold' : 'Warm';
    const id = `r${String(i).padStart(4, '0')}_${mode}_${policy}`;
    const dir = path.join(root, 'camp-big', id);
    mkdirSync(dir, { recursive: true });
    const t = t0 + i * 100_000;
    const open = (mode === 'A_shared' ? 5 : 7) + (i % 7) / 10;
    const manifest = {
      schema_version: 1,
      run_id: id,
      campaign_id: 'camp-big',
      mode,
      cache_policy: policy,
      workflow: 'W_scrub100',
      repeat: Math.floor(i / 4) + 1,
      started_at: new Date(t).toISOString(),
      ended_at: new Date(t + 60_000).toISOString(),
      status: 'complete',
      machine: { hostname: 'ws-bench', os: 'Windows 11', cores: 8, ram_gb: 32 },
      tool: { name: 'fastbench', version: '0.1.0' },
    };
    writeFileSync(path.join(dir, 'run.json'), JSON.stringify(manifest));
    const m = (ms: number, name: string) => `${t + ms}\t${ms}.000\t${name}\t`;
    writeFileSync(
      path.join(dir, 'markers.tsv'),
      [
        't_unix_ms\tt_run_ms\tname\tdetail',
        m(1000, 'open_start'),
        m(1000 + open * 1000, 'first_pixel'),
        m(1500 + open * 1000, 'scrub_start'),
        m(31500 + open * 1000, 'scrub_end'),
        m(32500 + open * 1000, 'session_end'),
        '',
      ].join('\n'),
    );
  }
}
