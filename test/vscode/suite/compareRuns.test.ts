import assert from 'node:assert/strict';
import { cpSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import { compareKey } from '../../../extension/host/runDetailsPanel';
import { test, waitFor } from './harness';
import { docsShot, fastbench, palette, press, screenshot, sleep, type } from './ui';

// "Compare Runs" from the palette, runs picked with keys; the panel's table read back from its DOM.

test('"FastBench: Compare Runs…" (palette, keys) shows two runs side by side with B/A per figure', async () => {
  const api = await fastbench();
  const ext = vscode.extensions.getExtension('fastbench.fastbench')!;
  const root = mkdtempSync(path.join(os.tmpdir(), 'fb-compare-'));
  cpSync(path.join(ext.extensionPath, 'test/fixtures/runs-analysis/site-b/ws-test/camp-2'), path.join(root, 'camp-2'), { recursive: true });
  await vscode.workspace.getConfiguration('fastbench').update('runsFolder', root, vscode.ConfigurationTarget.Global);
  await waitFor('the Runs view to move', async () => ((await api.runsTree.folder()) === root ? true : undefined));
  await palette('FastBench: Compare Runs');
  await sleep(1000);
  await type('warm-A-1');
  await sleep(400);
  await press('Enter');
  await sleep(800);
  await type('warm-B-1');
  await sleep(400);
  await press('Enter');
  const a = path.join(root, 'camp-2', 'warm-A-1');
  const b = path.join(root, 'camp-2', 'warm-B-1');
  const shown = await waitFor('the comparison to render', () => api.runPanel.shown(compareKey(a, b)), 30_000);
  console.log(`compare panel rendered in ${shown.renderMs.toFixed(1)} ms`);
  const rows = Object.fromEntries(shown.headline);
  // warm-A-1: open 5 s, scrub 30 s; warm-B-1: open 7 s, scrub 31 s (make.mjs).
  assert.equal(rows['open → first pixel'], '5.00 s | 7.00 s | ×1.40');
  assert.equal(rows['scrub-100'], '30.0 s | 31.0 s | ×1.03');
  assert.equal(rows['observed source'], 'NAS ✓ | FAST_cache ✓ | ');
  assert.deepEqual(
    shown.charts.map((c) => c.id),
    ['run_overlay', 'run_timeline:a', 'run_timeline:b'],
  );
  const overlay = shown.charts[0]!;
  assert.deepEqual(
    overlay.datasets.map((d) => d.label.replace(/ \(.*\)$/, '')),
    ['A process read MB/s', 'B process read MB/s', 'A process CPU %', 'B process CPU %'],
    'A and B on one time axis',
  );
  assert.ok(overlay.datasets.every((d) => d.points > 0));
  await sleep(500);
  await screenshot(docsShot('run-compare.png'));
  await vscode.workspace.getConfiguration('fastbench').update('runsFolder', undefined, vscode.ConfigurationTarget.Global);
}, 60_000);
