import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import { analyzeRuns } from '../../../extension/core/analysis/analyze';
import { LocalRunStore } from '../../../extension/core/analysis/runStore';
import { renderReportHtml } from '../../../extension/core/report/reportHtml';
import { test, waitFor } from './harness';
import { docsShot, palette, press, screenshot, sleep, type } from './ui';

// report.html from the analysis opens inside VS Code (a webview), not in an external browser.

test('"FastBench: Open Report" (palette, keys) shows report.html in a webview tab', async () => {
  const ext = vscode.extensions.getExtension('fastbench.fastbench')!;
  const { result } = await analyzeRuns([new LocalRunStore(path.join(ext.extensionPath, 'test/fixtures/runs-analysis/site-b'))], { resamples: 1000 });
  const chartJs = readFileSync(path.join(ext.extensionPath, 'node_modules/chart.js/dist/chart.umd.min.js'), 'utf8');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fb-report-'));
  const file = path.join(dir, 'report.html');
  writeFileSync(file, renderReportHtml(result, { chartJs }));
  await palette('FastBench: Open Report');
  await sleep(800);
  // Not in the workspace: "Browse…" opens the simple file dialog, where the path can be typed.
  await type('Browse');
  await sleep(300);
  await press('Enter');
  await sleep(1200);
  await press('Control+a');
  await type(file);
  await sleep(300);
  await press('Enter');
  const label = `Report ${path.basename(dir)}/report.html`;
  await waitFor(`a "${label}" tab`, () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label === label), 20_000);
  await sleep(1500);
  await screenshot(docsShot('report-webview.png'));
  assert.ok(true);
}, 60_000);
