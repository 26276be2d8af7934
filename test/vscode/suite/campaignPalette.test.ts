import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { KpiShown } from '../../../extension/shared/kpiViewProtocol';
import { diskBackedTempDir } from '../../diskDir';
import { skip, test, waitFor } from './harness';
import { control, fastbench, palette, press, screenshot, sleep, type } from './ui';

// "FastBench: Run Campaign…" from the palette, by keys, on the real stand-in (sshfs NAS, fastcache FUSE over
// Azurite, the viewer driven through the X11 driver on a private Xvfb): the smallest campaign that compares
// A with B (one workflow, Cold, one repeat) runs to the end and the KPI panel then shows its rows.

const repo = () => vscode.extensions.getExtension('fastbench.fastbench')!.extensionPath;
type Frame = { url: string; text: string };
const frames = async () => (await (await fetch(`${control()}/frames`)).json()) as Frame[];
const pageText = async () => (await frames()).map((f) => f.text).join('\n');

/** The first of these tools not on PATH, or undefined. */
function missingTool(...tools: string[]): string | undefined {
  return tools.find((t) => {
    try {
      execFileSync('which', [t], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
}

/** `fastbench standin up --no-viewer --json` with a 16 MiB volume; resolves with what it printed once up. */
function standinUp(home: string): { child: ChildProcess; up: Promise<{ configFile: string }>; stop: () => Promise<boolean> } {
  const child = spawn(process.execPath, [path.join(repo(), 'dist', 'cli.js'), 'standin', 'up', '--no-viewer', '--size', '16', '--profile', '20ms/500mbit', '--json'], {
    env: { ...process.env, FASTBENCH_STANDIN_HOME: home, ELECTRON_RUN_AS_NODE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const up = new Promise<{ configFile: string }>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(JSON.parse(d.toString().split('\n')[0]!) as { configFile: string }));
    void exited.then((code) => reject(new Error(`standin up exited ${code}: ${err.slice(-2000)}`)));
  });
  /** The CLI's Ctrl-C: it unmounts and stops sshd, Azurite, fastcache. True when it exited within 30 s. */
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    const code = await Promise.race([exited, sleep(30_000).then(() => 'timeout' as const)]);
    if (code !== 'timeout') return true;
    child.kill('SIGKILL'); // the next "standin up" on this home would clean up after it; the home is kept
    return false;
  };
  return { child, up, stop };
}

/** Each run's status and reason (from its run.json), for the failure message. */
function reasons(runsFolder: string): string {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'run.json') {
        const m = JSON.parse(readFileSync(p, 'utf8')) as { status?: string; reason?: string; abortReason?: string };
        found.push(`${path.basename(dir)}: ${m.status} ${m.reason ?? m.abortReason ?? ''}`);
      }
    }
  };
  try {
    walk(runsFolder);
  } catch (e) {
    found.push(String(e));
  }
  return found.join('\n');
}

/** A private Xvfb for the viewer and the driver (the lane's extension host has no DISPLAY). */
async function startXvfb(): Promise<{ display: string; stop: () => void }> {
  const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
  const display = await new Promise<string>((resolve, reject) => {
    (xvfb.stdio[3] as NodeJS.ReadableStream).once('data', (d: Buffer) => resolve(`:${d.toString().trim()}`));
    xvfb.once('exit', (code) => reject(new Error(`Xvfb exited ${code}`)));
  });
  return { display, stop: () => xvfb.kill() };
}

test('"FastBench: Run Campaign…" (palette, keys) runs a stand-in campaign to the end and the KPI panel shows its rows', async () => {
  control();
  const missing = missingTool('Xvfb', 'sshfs', 'sshd', 'fusermount');
  if (missing) skip(`${missing} not installed (the standin lane installs the stack's tools: bash test/standin/install.sh)`);
  const api = await fastbench();
  const { dir: home } = diskBackedTempDir('fb-vscode-campaign-');
  const ws = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  const configDir = path.join(ws, 'standin-campaign');
  const previousDisplay = process.env.DISPLAY;
  const stack = standinUp(home);
  let x: { display: string; stop: () => void } | undefined;
  try {
    const started = Date.now();
    const [{ configFile }, xvfb] = await Promise.all([stack.up, startXvfb()]);
    x = xvfb;
    process.env.DISPLAY = x.display;
    console.log(`  stand-in up (16 MiB volume) and Xvfb ${x.display} in ${Date.now() - started} ms`);
    // The stand-in's own config, narrowed to the smallest campaign that still compares A with B.
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as { campaign: Record<string, unknown>; runsFolder: string };
    config.campaign = { ...config.campaign, modes: ['A_shared', 'B_fast'], cachePolicies: ['Cold'], workflows: ['W_attribute'], repeats: 1 };
    const runsFolder = config.runsFolder;
    mkdirSync(configDir, { recursive: true });
    writeFileSync(path.join(configDir, 'fastbench.json'), JSON.stringify(config, null, 2) + '\n');
    await vscode.workspace.getConfiguration('fastbench').update('runsFolder', runsFolder, vscode.ConfigurationTarget.Global);
    const before = api.kpis.shown();

    // Two fastbench.json in the workspace: the command asks which; then it asks to run the plan (a quick pick).
    await palette('FastBench: Run Campaign');
    await waitFor('the "which campaign config?" pick', async () => ((await pageText()).includes('which campaign config?') ? true : undefined), 15_000);
    await type('standin-campaign');
    await sleep(400);
    await press('Enter');
    const plan = await waitFor(
      'the plan confirmation',
      async () => {
        const t = await pageText();
        return /run 2 runs \(about [^)]+\) of \S+\?/.test(t) ? t : undefined;
      },
      30_000,
    );
    assert.match(plan, /Leave the mouse and keyboard alone/);
    await press('Enter'); // "Run Campaign", the first item

    const done = await waitFor(
      'the campaign to end (its closing notification)',
      async () => {
        const t = await pageText();
        return t.match(/FastBench campaign: \d+ runs complete, \d+ failed or aborted[^\n]*/)?.[0];
      },
      150_000,
    );
    console.log(`  ${done} (${Date.now() - started} ms since the stack started)`);
    assert.match(done, /2 runs complete, 0 failed or aborted/, reasons(runsFolder));

    // Focusing the view (a webview) first would take the keys the palette needs, so it comes after.
    await palette('FastBench: Focus on KPIs View');
    const shown = await waitFor(
      'the KPI panel to show the campaign runs',
      () => {
        const s: KpiShown | undefined = api.kpis.shown();
        return s && s !== before && s.message.startsWith('2 runs') && s.table.length > 0 ? s : undefined;
      },
      30_000,
    );
    console.log(`  KPI panel: "${shown.message}", ${shown.table.length} rows: ${JSON.stringify(shown.table.slice(0, 3))}`);
    // shown.table is the view's own DOM (table.verdicts rows) read back after render, as in kpiPanel.test.ts.
    // One run per side: a measured median each (n1), a ratio, and no verdict claimed from one run.
    assert.deepEqual(
      shown.table.map((r) => r.slice(0, 2)),
      [
        ['Cold', 'open s'],
        ['Cold', 'attribute s'],
      ],
    );
    for (const r of shown.table) {
      assert.match(r[2]!, /^\d[\d.e-]* n1$/, `A_shared median of one run: ${JSON.stringify(r)}`);
      assert.match(r[3]!, /^\d[\d.e-]* n1$/, `B_fast median of one run: ${JSON.stringify(r)}`);
      assert.match(r[4]!, /^×\d/, `B/A ratio: ${JSON.stringify(r)}`);
      assert.equal(r[5], 'too few runs');
    }
    assert.ok(Number.parseFloat(shown.table[0]![2]!) > 0 && Number.parseFloat(shown.table[0]![3]!) > 0, 'both opens took time');
    // And what the page shows, from the webview's frame as the lane sees it.
    const open = shown.table[0]![2]!.split(' ')[0]!;
    const view = await waitFor('the KPI webview frame to show the open row', async () => {
      const all = await frames();
      return all.find((f) => f.text.includes('attribute s') && f.text.includes(open)) ?? undefined;
    });
    assert.match(view.text, /Cold/);
    await screenshot(path.join(home, 'kpis-after-campaign.png'));
  } finally {
    process.env.DISPLAY = previousDisplay;
    await vscode.workspace.getConfiguration('fastbench').update('runsFolder', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('notifications.clearAll');
    const stopped = await stack.stop();
    x?.stop();
    rmSync(configDir, { recursive: true, force: true });
    // Only once the mounts are gone: removing through a live sshfs mount would reach into the NAS side.
    if (stopped) rmSync(home, { recursive: true, force: true });
    else console.log(`  [warn] standin up did not stop within 30 s; left ${home}`);
  }
}, 180_000);
