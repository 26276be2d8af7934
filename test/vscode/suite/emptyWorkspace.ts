import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { runAll, test, waitFor } from './harness';
import { docsShot, fastbench, palette, press, screenshot, sleep, type } from './ui';

// First contact: a folder with no fastbench.json (run by test/vscode/lane/runEmptyWorkspace.mjs).

test('with no fastbench.json the Runs view is empty, so its welcome (Create fastbench.json, …) shows', async () => {
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  assert.ok(root && !existsSync(path.join(root, 'fastbench.json')), 'an empty workspace');
  await palette('FastBench: Focus on Runs View');
  const api = await fastbench();
  assert.deepEqual(await api.runsTree.children(), [], 'no "No runs yet" row: VS Code shows the viewsWelcome content instead');
  const welcome = (vscode.extensions.getExtension('fastbench.fastbench')!.packageJSON as { contributes: { viewsWelcome: { view: string; when: string; contents: string }[] } })
    .contributes.viewsWelcome;
  assert.ok(welcome.some((w) => w.view === 'fastbench.runs' && w.when === '!fastbench.hasConfig' && w.contents.includes('(command:fastbench.createConfig)')));
  await sleep(1000);
  await screenshot(docsShot('welcome.png'));
}, 40_000);

test('"FastBench: Create fastbench.json" (palette, keys) writes the stand-in template, which validates, and opens it', async () => {
  const root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  const file = path.join(root, 'fastbench.json');
  await palette('FastBench: Create fastbench.json');
  await sleep(800);
  await type('Stand-in');
  await sleep(300);
  await press('Enter');
  await waitFor('fastbench.json to be written', () => (existsSync(file) ? true : undefined));
  const config = JSON.parse(readFileSync(file, 'utf8')) as { version: number; campaign: { workflows: unknown[] } };
  assert.equal(config.version, 1);
  assert.ok(config.campaign.workflows.length >= 1);
  await waitFor('the new file in an editor', () => (vscode.window.activeTextEditor?.document.uri.fsPath === file ? true : undefined));
  const api = await fastbench();
  const top = await waitFor('the Runs view to say "No runs yet"', async () => {
    const nodes = await api.runsTree.children();
    return nodes.length ? nodes : undefined;
  });
  assert.equal(String(api.runsTree.item(top[0]!).label), 'No runs yet');
  // Asking again does not overwrite.
  const again = await vscode.commands.executeCommand<string>('fastbench.createConfig', { template: 'petrel' });
  assert.equal(again, file);
  assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { version: number }).version, 1);
}, 40_000);

export async function run(): Promise<void> {
  await runAll();
}
