import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parseMarkersTsv } from '../../extension/core/runs/markersFile';
import { runManifestSchema } from '../../extension/shared/runManifest';
import { REPO_ROOT, sleep, startXvfb, waitUntil } from './xHarness';

// The campaign engine end to end through the CLI, against real windows on a private Xvfb: the stand-in viewer
// (generic render detection, no status patch), xterm (a program that knows nothing of FastBench), and targets
// that misbehave. Every run folder is checked against the run.json schema and the markers contract.

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
let x: { display: string; stop: () => void };
const home = mkdtempSync(path.join(tmpdir(), 'fb-campaign-'));
const env = () => ({ ...process.env, FASTBENCH_STANDIN_HOME: home, DISPLAY: x.display });

function cli(args: string[], cwd = home, timeout = 600_000) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd, env: env(), encoding: 'utf8', timeout });
}

function writeConfig(name: string, edit: (c: Record<string, any>) => void): string {
  const file = path.join(home, name);
  const base = JSON.parse(readFileSync(path.join(home, 'fastbench.json'), 'utf8')) as Record<string, any>;
  edit(base);
  writeFileSync(file, JSON.stringify(base, null, 2));
  return file;
}

type Outcome = { campaign: string; complete: number; failed: number; aborted: number; runs: { runId: string; folder: string; status: string; reason?: string }[] };

function checkRunFolder(folder: string): { manifest: ReturnType<typeof runManifestSchema.parse>; markers: ReturnType<typeof parseMarkersTsv> } {
  const manifest = runManifestSchema.parse(JSON.parse(readFileSync(path.join(folder, 'run.json'), 'utf8')));
  const markers = parseMarkersTsv(path.join(folder, 'markers.tsv'), readFileSync(path.join(folder, 'markers.tsv'), 'utf8'));
  return { manifest, markers };
}

before(async () => {
  x = await startXvfb();
  // A small volume (24 MiB) keeps the lane quick; A_shared reads it from the "NAS" folder.
  const data = cli(['standin', 'data', '--dims', '192x256x256', '--no-upload']);
  assert.equal(data.status, 0, data.stderr);
  const init = cli(['init', '--template', 'standin']);
  assert.equal(init.status, 0, init.stderr);
  // The template points at the stand-in's mounts (fastbench standin up); this lane reads the "NAS" folder directly.
  const configFile = path.join(home, 'fastbench.json');
  const c = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, any>;
  const volume = path.join(home, 'nas', 'demo.fbvol');
  const project = JSON.parse(readFileSync(c.modes.A_shared.project, 'utf8')) as Record<string, unknown>;
  writeFileSync(c.modes.A_shared.project, JSON.stringify({ ...project, volume }));
  c.modes.A_shared.dataPath = volume;
  c.pathRules = [{ class: 'NAS', prefix: path.join(home, 'nas') + path.sep }];
  writeFileSync(configFile, JSON.stringify(c, null, 2));
});

after(() => x?.stop());

test('a small campaign on the stand-in: 2 policies × 2 workflows × 2 interleaved repeats, generic render detection, every folder valid', { timeout: 600_000 }, () => {
  const config = writeConfig('small.json', (c) => {
    c.campaign = { ...c.campaign, modes: ['A_shared'], workflows: ['W_scrub100', 'W_attribute'], repeats: 2 };
    c.workflows.W_scrub100.steps[1].repeat = 10;
  });
  const r = cli(['campaign', '--config', config, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Outcome;
  assert.equal(out.complete, 8);
  assert.match(r.stderr, /\[1\/8[^\]]*\] run 2\/8: A_shared Warm W_scrub100 #1/, 'progress line per run');
  assert.match(r.stderr, /ETA/, 'an ETA once a run has finished');
  for (const run of out.runs) {
    const { manifest, markers } = checkRunFolder(run.folder);
    assert.equal(manifest.status, 'complete');
    assert.equal(manifest.warmup, false);
    assert.equal(manifest.campaign?.total, 8);
    const names = markers.map((m) => m.name);
    assert.deepEqual(names.slice(0, 2), ['open_start', 'first_pixel']);
    assert.equal(names.at(-1), 'session_end');
    const t = (n: string) => markers.find((m) => m.name === n)!.t_run_ms;
    if (manifest.workflow === 'W_scrub100') {
      const steps = markers.filter((m) => m.name === 'inline');
      assert.equal(steps.length, 10);
      // scrub_start is the first key's send time and scrub_end the last step's settled picture.
      const first = Number(steps[0]!.detail.split(' ')[1]);
      assert.ok(Math.abs(t('scrub_start') + first - steps[0]!.t_run_ms) < 0.5, 'scrub_start + first step = first step marker');
      assert.equal(t('scrub_end'), steps.at(-1)!.t_run_ms);
    } else {
      assert.ok(t('attr_end') > t('attr_start'));
    }
    if (manifest.cache_policy === 'Warm') assert.ok((manifest as { warm?: { by_run?: string } }).warm?.by_run, 'a Warm run right after its Cold run is warmed by it');
    else assert.equal((manifest as { cache_policy_report?: { ok: boolean } }).cache_policy_report?.ok, true);
    assert.ok(existsSync(path.join(run.folder, 'metrics.csv')), 'metrics from the agent');
    // Evidence of the storage read, even for runs shorter than the agent's tick (snapshots at first_pixel and at the end).
    const openFiles = readFileSync(path.join(run.folder, 'open_files.tsv'), 'utf8').trim().split('\n');
    for (const line of openFiles) assert.equal(line.split('\t').length, 3, `open_files.tsv line ${JSON.stringify(line)}`);
    assert.ok(
      openFiles.some((l) => l.endsWith('\tNAS')),
      'the NAS volume seen open',
    );
  }
  const plan = JSON.parse(readFileSync(path.join(out.campaign, 'campaign.json'), 'utf8')) as { plan: { block: number }[] };
  assert.deepEqual(
    plan.plan.map((e) => e.block),
    [1, 1, 1, 1, 2, 2, 2, 2],
  );
});

test('a bad workflow definition is refused before anything launches, with file:line:col', () => {
  const config = writeConfig('bad.json', (c) => {
    c.workflows.W_attribute.steps[1] = { key: 'NoSuchKey', render: true };
  });
  const r = cli(['campaign', '--config', config]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /bad\.json:\d+:\d+: workflows\.W_attribute\.steps\[1\]/);
  assert.ok(
    !existsSync(path.join(home, 'runs')) ||
      !readdirSync(path.join(home, 'runs')).some((d) => readFileSync(path.join(home, 'runs', d, 'campaign.json'), 'utf8').includes('bad.json')),
    'no campaign folder for a refused config',
  );
});

/** A config for a third-party program: the engine knows nothing of it but its window and pixels. */
function xtermConfig(name: string, extra: { executable?: string; arguments?: string[]; steps?: unknown[]; attachTimeoutS?: number }): string {
  const file = path.join(home, name);
  writeFileSync(
    file,
    JSON.stringify({
      version: 1,
      target: {
        executable: extra.executable ?? '/usr/bin/xterm',
        arguments: extra.arguments ?? ['-geometry', '80x24+10+10', '-T', 'FBXterm', '-e', 'bash', '--norc', '--noprofile'],
        window: { titlePattern: '^FBXterm' },
        attachTimeoutS: extra.attachTimeoutS ?? 20,
        stableMs: 300,
        renderProbe: { regions: [{ name: 'term', x: 0, y: 0, width: 400, height: 200 }], settleMs: 50, openTimeoutS: 20 },
        close: { timeoutS: 5 },
      },
      modes: { A_shared: { dataPath: path.join(home, 'nas') } },
      campaign: { modes: ['A_shared'], cachePolicies: ['Warm'], workflows: ['W_echo'], repeats: 1, warm: 'preread' },
      workflows: {
        W_echo: {
          steps: extra.steps ?? [
            { marker: 'echo_start' },
            { type: 'echo hello', render: true, label: 'typed' },
            { key: 'Enter', render: true, label: 'echoed' },
            { marker: 'echo_end' },
          ],
          stepTimeoutS: 3,
        },
      },
      runsFolder: 'runs-xterm',
    }),
  );
  return file;
}

test('the same engine drives xterm, which knows nothing of FastBench: launch, attach, render waits, close', { timeout: 120_000 }, () => {
  // A folder is no file to pre-read: use the volume instead.
  const config = xtermConfig('xterm.json', {});
  const c = JSON.parse(readFileSync(config, 'utf8'));
  c.modes.A_shared.dataPath = path.join(home, 'nas', 'demo.fbvol');
  writeFileSync(config, JSON.stringify(c));
  const r = cli(['campaign', '--config', config, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Outcome;
  const { manifest, markers } = checkRunFolder(out.runs[0]!.folder);
  assert.equal(manifest.status, 'complete');
  assert.deepEqual(
    markers.map((m) => m.name),
    ['open_start', 'first_pixel', 'echo_start', 'typed', 'echoed', 'echo_end', 'session_end'],
  );
  assert.match(String((manifest as { close?: string }).close), /closed/);
});

test('a recording is a workflow too: a replay run is a measured run with its own run folder and markers', { timeout: 120_000 }, () => {
  // Typed into xterm: "echo hi" and Enter, a key every 50 ms; a marker half way.
  const events: unknown[] = [];
  let t = 0;
  for (const key of ['e', 'c', 'h', 'o', 'Space', 'h', 'i', 'Enter']) {
    events.push({ t_ms: t, type: 'key_down', key }, { t_ms: t + 20, type: 'key_up', key });
    t += 50;
    if (key === 'Space') events.push({ t_ms: t, type: 'marker', name: 'typed_echo' });
  }
  const recording = path.join(home, 'echo.fbrec.json');
  writeFileSync(recording, JSON.stringify({ version: 2, target: { titlePattern: '^FBXterm' }, client: { width: 400, height: 200, dpiScale: 1 }, events }));
  const config = xtermConfig('replay.json', {});
  const c = JSON.parse(readFileSync(config, 'utf8'));
  c.modes.A_shared.dataPath = path.join(home, 'nas', 'demo.fbvol');
  c.campaign.workflows = [{ replay: 'echo.fbrec.json', name: 'W_echo_replay' }];
  writeFileSync(config, JSON.stringify(c));
  const r = cli(['campaign', '--config', config, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Outcome;
  const { manifest, markers } = checkRunFolder(out.runs[0]!.folder);
  assert.equal(manifest.workflow, 'W_echo_replay');
  assert.deepEqual(
    markers.map((m) => m.name),
    ['open_start', 'first_pixel', 'replay_start', 'typed_echo', 'replay_end', 'session_end'],
  );
  assert.match(markers.find((m) => m.name === 'replay_end')!.detail, /16 events sent/);
});

test('misbehaving targets fail their run with a clear reason and the campaign goes on', { timeout: 180_000 }, () => {
  const vol = path.join(home, 'nas', 'demo.fbvol');
  const cases = [
    {
      name: 'no-window.json',
      config: { executable: '/bin/sleep', arguments: ['30'], attachTimeoutS: 2 },
      reason: /no window matching title \/\^FBXterm\/ from the launched process/,
    },
    { name: 'exits.json', config: { executable: '/bin/false', arguments: [] }, reason: /the target exited \(exit code 1\) before it showed a matching window/ },
    { name: 'never-renders.json', config: { steps: [{ key: 'Shift', render: true, label: 'nothing' }] }, reason: /step steps\[0\] \(key Shift, nothing #1\): never changed/ },
    {
      name: 'crashes.json',
      config: { arguments: ['-geometry', '80x24+10+10', '-T', 'FBXterm', '-e', 'sh', '-c', 'echo running; sleep 2; kill -SEGV $$'], steps: [{ waitMs: 10_000 }] },
      reason: /the target exited \(.*\) during the run/,
    },
  ];
  for (const k of cases) {
    const config = xtermConfig(k.name, k.config);
    const c = JSON.parse(readFileSync(config, 'utf8'));
    c.modes.A_shared.dataPath = vol;
    c.campaign.repeats = 2;
    writeFileSync(config, JSON.stringify(c));
    const r = cli(['campaign', '--config', config, '--json']);
    assert.equal(r.status, 1, `${k.name}: ${r.stderr}`);
    const out = JSON.parse(r.stdout) as Outcome;
    assert.equal(out.failed, 2, `${k.name}: both repeats ran and failed (the campaign went on)`);
    for (const run of out.runs) {
      assert.match(run.reason ?? '', k.reason, k.name);
      const { manifest } = checkRunFolder(run.folder);
      assert.equal(manifest.status, 'failed');
      assert.match(manifest.reason ?? '', k.reason);
    }
  }
});

test('kill -9 of the CLI mid-campaign, then --resume: no run lost or duplicated, the interrupted one aborted and re-run', { timeout: 600_000 }, async () => {
  const config = writeConfig('resume.json', (c) => {
    c.campaign = { ...c.campaign, modes: ['A_shared'], workflows: ['W_scrub100'], repeats: 2 };
    c.workflows.W_scrub100.steps[1].repeat = 40;
    c.runsFolder = 'runs-resume';
  });
  const child = spawn(process.execPath, [CLI, 'campaign', '--config', config], { cwd: home, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  // Kill it while the second run is under way.
  await waitUntil('the second run to start', () => (err.includes('run 2/4') ? true : undefined), 120_000);
  await sleep(1500);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const runsRoot = path.join(home, 'runs-resume');
  const campaign = path.join(runsRoot, readdirSync(runsRoot)[0]!);
  const before = JSON.parse(readFileSync(path.join(campaign, 'campaign.json'), 'utf8')) as { runs: Record<string, { status: string }[]> };
  assert.equal(before.runs['1']?.at(-1)?.status, 'running', 'the killed run was left running');
  // Whatever the killed CLI left behind (viewer, agent, driver) dies with its process group or on its own.
  const r = cli(['campaign', '--config', config, '--resume', campaign, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const after = JSON.parse(readFileSync(path.join(campaign, 'campaign.json'), 'utf8')) as { plan: unknown[]; runs: Record<string, { status: string; folder: string }[]> };
  assert.equal(after.plan.length, 4);
  for (let i = 0; i < 4; i++) assert.equal(after.runs[String(i)]!.at(-1)!.status, 'complete', `plan entry ${i}`);
  assert.equal(after.runs['0']!.length, 1, 'the complete run was not repeated');
  assert.deepEqual(
    after.runs['1']!.map((a) => a.status),
    ['aborted', 'complete'],
  );
  const aborted = checkRunFolder(after.runs['1']![0]!.folder).manifest;
  assert.equal(aborted.status, 'aborted');
  assert.match(aborted.reason ?? '', /interrupted: the campaign process stopped/);
  const folders = readdirSync(campaign).filter((d) => d !== 'campaign.json');
  assert.equal(folders.length, 5, 'four complete runs and one aborted');
});
