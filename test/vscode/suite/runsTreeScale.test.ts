import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import { listRuns } from '../../../extension/core/runs/runFolders';
import type { FastbenchApi } from '../../../extension/host/extension';
import type { RunsNode } from '../../../extension/host/runsTree';
import { test, waitFor } from './harness';
import { fastbench, palette, press, sleep, type } from './ui';

// The Runs view's filter (driven by keys) and its laziness: 10,000 runs in 10 campaign folders, the root listed
// without reading a run.json inside them, one campaign read when it is opened.

const line = (api: FastbenchApi, n: RunsNode) => {
  const item = api.runsTree.item(n);
  return `${typeof item.label === 'string' ? item.label : item.label?.label} | ${String(item.description ?? '')}`;
};

const fixtureRun = () => path.join(vscode.workspace.workspaceFolders![0]!.uri.fsPath, 'runs', '2026-11-30T10-00-00Z_A_shared_Cold_W_scrub100_r1');

async function useRunsFolder(api: FastbenchApi, folder: string | undefined): Promise<void> {
  await vscode.workspace.getConfiguration('fastbench').update('runsFolder', folder, vscode.ConfigurationTarget.Global);
  if (folder) await waitFor('the Runs view to move', async () => ((await api.runsTree.folder()) === folder ? true : undefined));
}

test('"Filter Runs…" (palette, keys) narrows the tree to matching runs, says so in the view, and clears', async () => {
  const api = await fastbench();
  await useRunsFolder(api, undefined);
  await palette('FastBench: Focus on Runs View');
  await palette('FastBench: Filter Runs');
  await sleep(700);
  await type('b_fast cold');
  await press('Enter');
  await waitFor('the filter to apply', () => (api.runsTree.description() === 'filter: b_fast cold' ? true : undefined));
  assert.match(api.runsTree.message() ?? '', /^Showing runs matching "b_fast cold"\./);
  const top = await api.runsTree.children();
  assert.deepEqual(
    top.map((n) => line(api, n)),
    ['fixture | 1 of 2 runs'],
    'only the campaign with a B_fast Cold run; broken runs hidden while filtering',
  );
  const [mode] = await api.runsTree.children(top[0]);
  assert.equal(line(api, mode!), 'B_fast | 1 run');
  await palette('FastBench: Clear Runs Filter');
  await waitFor('the filter to clear', () => (api.runsTree.description() === undefined && !api.runsTree.message() ? true : undefined));
  assert.equal((await api.runsTree.children()).length, 4);
}, 40_000);

test('10,000 runs: the root lists at once (no run.json read in campaign folders); one campaign opens on demand', async () => {
  const api = await fastbench();
  await vscode.commands.executeCommand('fastbench.clearRunsFilter');
  const root = mkdtempSync(path.join(os.tmpdir(), 'fb-10k-runs-'));
  const manifest = readFileSync(path.join(fixtureRun(), 'run.json'), 'utf8');
  const markers = readFileSync(path.join(fixtureRun(), 'markers.tsv'), 'utf8');
  const made = performance.now();
  for (let c = 0; c < 10; c++) {
    for (let r = 0; r < 1000; r++) {
      const mode = r % 2 ? 'B_fast' : 'A_shared';
      const policy = r % 4 < 2 ? 'Cold' : 'Warm';
      const id = `run-${String(r).padStart(4, '0')}`;
      const folder = path.join(root, `campaign-${c}`, id);
      mkdirSync(folder, { recursive: true });
      writeFileSync(
        path.join(folder, 'run.json'),
        manifest
          .replace('"A_shared"', JSON.stringify(mode))
          .replace('"Cold"', JSON.stringify(policy))
          .replace('"fixture"', `"campaign-${c}"`)
          .replace(/"run_id": "[^"]*"/, `"run_id": "campaign-${c}-${id}"`)
          .replace(/"repeat": 1/, `"repeat": ${Math.floor(r / 4) + 1}`),
      );
      writeFileSync(path.join(folder, 'markers.tsv'), markers);
    }
  }
  console.log(`10,000-run fixture written in ${((performance.now() - made) / 1000).toFixed(1)} s (${root})`);
  try {
    const t0 = performance.now();
    const eager = await listRuns(root);
    const eagerMs = performance.now() - t0;
    assert.equal(eager.length, 10_000);
    await useRunsFolder(api, root);
    const rootTimes: number[] = [];
    let top: RunsNode[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      top = await api.runsTree.children();
      rootTimes.push(performance.now() - t);
    }
    assert.equal(top.length, 10);
    assert.equal(line(api, top[0]!), 'campaign-9 | 1000 runs');
    const t1 = performance.now();
    const modes = await api.runsTree.children(top[0]);
    const campaignMs = performance.now() - t1;
    assert.deepEqual(
      modes.map((n) => line(api, n)),
      ['A_shared | 500 runs', 'B_fast | 500 runs'],
    );
    const [policy] = await api.runsTree.children(modes[0]);
    const t2 = performance.now();
    const runs = await api.runsTree.children(policy);
    const policyMs = performance.now() - t2;
    assert.equal(runs.length, 250);
    assert.match(line(api, runs[0]!), /^(A_shared|B_fast) · (Cold|Warm) · W_scrub100 #\d+ \| open \d/);
    const median = [...rootTimes].sort((a, b) => a - b)[1]!;
    const load = os.loadavg()[0]!.toFixed(2);
    console.log(
      `Runs view, 10,000 runs in 10 campaigns (load ${load}): root getChildren median of 3 ${median.toFixed(1)} ms ` +
        `(each ${rootTimes.map((t) => t.toFixed(1)).join(', ')}); eager listRuns of all 10,000 ${eagerMs.toFixed(0)} ms ` +
        `(×${(eagerMs / median).toFixed(0)}); one campaign of 1,000 opened ${campaignMs.toFixed(0)} ms; 250 runs with headlines ${policyMs.toFixed(0)} ms`,
    );
  } finally {
    await useRunsFolder(api, undefined);
    rmSync(root, { recursive: true, force: true });
  }
}, 180_000);
