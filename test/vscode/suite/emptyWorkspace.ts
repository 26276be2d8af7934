import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { runAll, test, waitFor } from './harness';
import { control, docsShot, fastbench, palette, press, screenshot, sleep, type } from './ui';

const pageText = async () => ((await (await fetch(`${control()}/frames`)).json()) as { text: string }[]).map((f) => f.text).join('\n');

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
  const shown = await waitFor('the welcome text and its buttons on screen', async () => {
    const text = await pageText();
    return /Create fastbench\.json/.test(text) && /Try the stand-in demo/.test(text) ? text : undefined;
  });
  assert.match(shown, /Open the walkthrough/);
  await screenshot(docsShot('welcome.png'));
}, 40_000);

test('"FastBench: Get Started" (palette, keys) opens the walkthrough: configure → probe → record → campaign → KPIs', async () => {
  await palette('FastBench: Get Started');
  const text = await waitFor(
    'the walkthrough on screen',
    async () => {
      const t = await pageText();
      return /Get Started with FastBench/.test(t) && /Configure: fastbench\.json/.test(t) ? t : undefined;
    },
    20_000,
  );
  const steps = ['Configure: fastbench.json', 'Probe the machine and network', 'Record a session', 'Run a campaign', 'Read the KPIs'];
  const at = steps.map((s) => text.indexOf(s));
  assert.ok(
    at.every((i) => i >= 0),
    `every step shown: ${steps.filter((_, k) => at[k]! < 0).join(', ')}`,
  );
  assert.deepEqual(
    [...at].sort((a, b) => a - b),
    at,
    'in this order',
  );
  await sleep(800);
  await screenshot(docsShot('walkthrough.png'));
  await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
}, 40_000);

test('"Try the stand-in demo" asks first (what it starts, how long, how to stop); Escape starts nothing', async () => {
  const result = vscode.commands.executeCommand('fastbench.tryStandinDemo');
  const text = await waitFor('the confirmation', async () => {
    const t = await pageText();
    return /run the stand-in demo\?/.test(t) ? t : undefined;
  });
  assert.match(text, /About 6 minutes/);
  assert.match(text, /sshfs.*FUSE.*Azurite/);
  await press('Escape');
  assert.equal(await result, undefined);
  assert.equal(vscode.tasks.taskExecutions.length, 0, 'no task was started');
}, 30_000);

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
