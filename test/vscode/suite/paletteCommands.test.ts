import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import type { PolicyReport } from '../../../extension/core/cache/cachePolicy';
import { test, waitFor } from './harness';
import { control, fastbench, palette, press, screenshot, sleep, type } from './ui';

// Palette commands driven by keys: Analyse Runs (the core analysis, the KPI panel filled, outputs written) and
// Clear Cache (Cold)… (mode pick, confirmation; the core's Cold policy run for real on the fixture config).

const ws = () => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
const fixtures = (name: string) => path.join(vscode.extensions.getExtension('fastbench.fastbench')!.extensionPath, 'test', 'fixtures', name);

type Frame = { url: string; text: string };
const pageText = async () => ((await (await fetch(`${control()}/frames`)).json()) as Frame[]).map((f) => f.text).join('\n');

test('"FastBench: Analyse Runs" (palette, keys) analyses the runs folder, writes the report and fills the KPI panel', async () => {
  const api = await fastbench();
  const runs = mkdtempSync(path.join(os.tmpdir(), 'fb-analyse-runs-'));
  cpSync(fixtures('runs-analysis/site-a/camp-1'), path.join(runs, 'camp-1'), { recursive: true });
  const out = path.join(ws(), 'analysis');
  await vscode.workspace.getConfiguration('fastbench').update('runsFolder', runs, vscode.ConfigurationTarget.Global);
  try {
    await waitFor('the Runs view to move to the new folder', async () => ((await api.runsTree.folder()) === runs ? true : undefined));
    const before = api.kpis.shown();
    await palette('FastBench: Analyse Runs');
    await waitFor('analysis/report.html', () => (existsSync(path.join(out, 'report.html')) ? true : undefined), 60_000);
    const kpis = readFileSync(path.join(out, 'kpis.csv'), 'utf8').trim().split('\n');
    assert.equal(kpis.length - 1, 11, 'one kpis.csv row per run of camp-1');
    const shown = await waitFor(
      'the KPI panel to show the analysed runs',
      () => {
        const s = api.kpis.shown();
        return s && s !== before && s.message.startsWith('11 runs') ? s : undefined;
      },
      60_000,
    );
    assert.ok(shown.table.length > 0, 'verdict rows');
    const text = await waitFor(
      'the "analysed" notification with its buttons',
      async () => {
        const t = await pageText();
        return /11 runs analysed/.test(t) && /Open Report/.test(t) ? t : undefined;
      },
      15_000,
    );
    assert.match(text, /Open Report/);
  } finally {
    await vscode.workspace.getConfiguration('fastbench').update('runsFolder', undefined, vscode.ConfigurationTarget.Global);
    rmSync(out, { recursive: true, force: true });
    rmSync(runs, { recursive: true, force: true });
  }
}, 90_000);

test('"FastBench: Clear Cache (Cold)…" (palette, keys): pick the mode, it asks what it will touch; Escape changes nothing', async () => {
  await palette('FastBench: Clear Cache (Cold)');
  await sleep(800);
  await type('A_shared');
  await sleep(300);
  await press('Enter');
  const text = await waitFor('the confirmation naming the targets', async () => {
    const t = await pageText();
    return /clear the A_shared cache \(Cold\)\?/.test(t) ? t : undefined;
  });
  assert.match(text, /evict .*demo\.zgy from the OS file cache/);
  await screenshot(path.join(os.tmpdir(), `fb-clear-cache-confirm-${process.pid}.png`));
  await press('Escape');
});

test('Clear Cache (Cold) runs the core Cold policy: a missing NAS volume is a failed step with its reason, not a crash', async () => {
  const report = await vscode.commands.executeCommand<PolicyReport>('fastbench.clearCacheCold', { mode: 'A_shared', confirm: false });
  assert.ok(report, 'the command returns the policy report');
  assert.equal(report.policy, 'Cold');
  assert.equal(report.ok, false);
  const failed = report.steps.find((s) => !s.ok);
  assert.equal(failed?.step, 'find-data');
  assert.match(failed!.detail, /no such file \(is modes\.A_shared\.dataPath right\?\)/);
  const toast = await waitFor(
    'the error toast with its next step',
    async () => {
      const t = await pageText();
      return /clearing the A_shared cache: find-data/.test(t) && /Clear Again/.test(t) ? t : undefined;
    },
    15_000,
  );
  await screenshot(path.join(os.tmpdir(), 'fb-clear-cache-toast.png'));
  assert.match(toast, /Clear Again/);
  await vscode.commands.executeCommand('notifications.clearAll');
});
