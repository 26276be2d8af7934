import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import type { FastbenchApi } from '../../../extension/host/extension';
import type { RunsNode } from '../../../extension/host/runsTree';
import { test, waitFor } from './harness';
import { docsShot, fastbench, palette, press, screenshot, sleep } from './ui';

// The Runs view: campaign → mode → cache policy → run, short labels, headline figures, actions.

const line = (api: FastbenchApi, n: RunsNode) => {
  const item = api.runsTree.item(n);
  return `${typeof item.label === 'string' ? item.label : item.label?.label} | ${String(item.description ?? '')}`;
};

test('the Runs view groups campaign → mode → policy → run, with short labels and the headline figures', async () => {
  const api = await fastbench();
  const ext = vscode.extensions.getExtension('fastbench.fastbench')!;
  const root = mkdtempSync(path.join(os.tmpdir(), 'fb-tree-'));
  cpSync(path.join(ext.extensionPath, 'test/fixtures/runs-analysis/site-a/camp-1'), path.join(root, 'camp-1'), { recursive: true });
  cpSync(path.join(ext.extensionPath, 'test/fixtures/runs-analysis/site-b/ws-test/camp-2'), path.join(root, 'camp-2'), { recursive: true });
  await vscode.workspace.getConfiguration('fastbench').update('runsFolder', root, vscode.ConfigurationTarget.Global);
  await waitFor('the Runs view to move', async () => ((await api.runsTree.folder()) === root ? true : undefined));
  const top = await api.runsTree.children();
  assert.deepEqual(
    top.map((n) => line(api, n)),
    ['camp-2 | 16 runs', 'camp-1 | 11 runs'],
  );
  const modes = await api.runsTree.children(top[0]);
  assert.deepEqual(
    modes.map((n) => line(api, n)),
    ['B_fast | 8 runs', 'A_shared | 8 runs'],
  );
  const policies = await api.runsTree.children(modes[0]);
  assert.deepEqual(
    policies.map((n) => line(api, n)),
    ['Warm | 8 runs'],
  );
  const runs = await api.runsTree.children(policies[0]);
  // warm-B-8: open 7.7 s, scrub 31 + 14 = 45 s (make.mjs).
  assert.equal(line(api, runs[0]!), 'B_fast · Warm · W_scrub100 #8 | open 7.7 s · scrub100 45.0 s');
  const tip = api.runsTree.item(runs[0]!).tooltip as vscode.MarkdownString;
  assert.match(tip.value, /started .*took 200 s/);
  assert.match(tip.value, /run id: warm-B-8/);
  // The aborted run says so in its description.
  const cold = await api.runsTree.children((await api.runsTree.children((await api.runsTree.children(top[1]))[1]))[0]);
  assert.ok(
    cold.some((n) => / · aborted \(target window closed\)$/.test(line(api, n))),
    cold.map((n) => line(api, n)).join('\n'),
  );
  await palette('FastBench: Focus on Runs View');
  await sleep(500);
  // Keys as a person would: to camp-2 → B_fast → Warm, expand it (its runs' headline figures load then).
  await press('Home');
  await press('ArrowDown');
  await press('ArrowDown');
  await press('ArrowRight');
  await sleep(800);
  await screenshot(docsShot('runs-tree.png'));
}, 40_000);

test('"Delete Run…" asks first: Escape keeps the run, choosing "Delete" deletes it', async () => {
  const api = await fastbench();
  const root = (await api.runsTree.folder())!;
  const folder = path.join(root, 'camp-1', 'cold-B-mixed');
  const kept = vscode.commands.executeCommand<boolean>('fastbench.deleteRun', folder);
  await sleep(1000);
  await press('Escape');
  assert.equal(await kept, false);
  assert.ok(existsSync(folder), 'Escape keeps the run');
  const deleted = vscode.commands.executeCommand<boolean>('fastbench.deleteRun', folder);
  await sleep(1000);
  await press('Enter');
  assert.equal(await deleted, true);
  assert.ok(!existsSync(folder), 'Enter on "Delete" deletes it');
}, 30_000);

test('a run without run.json opens its folder without the "revealFileInOS not found" error (remote/web)', async () => {
  const api = await fastbench();
  await vscode.workspace.getConfiguration('fastbench').update('runsFolder', undefined, vscode.ConfigurationTarget.Global);
  const root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  await waitFor('the Runs view to move back', async () => ((await api.runsTree.folder()) === path.join(root, 'runs') ? true : undefined));
  const how = await vscode.commands.executeCommand<string | undefined>('fastbench.openRunManifest', path.join(root, 'runs', 'zz-interrupted'));
  assert.equal(how, 'explorer', 'revealed in the Explorer (code-server has no revealFileInOS)');
}, 20_000);
