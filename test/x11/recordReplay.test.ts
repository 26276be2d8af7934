import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { DriverClient } from '../../extension/core/driver/driverClient';
import { Recorder } from '../../extension/core/recording/recorder';
import { validateRecordingText } from '../../extension/core/recording/recordingFile';
import { Replayer } from '../../extension/core/replay/replayer';
import { MarkerWriter } from '../../extension/core/runs/markerWriter';
import { parseMarkersTsv } from '../../extension/core/runs/markersFile';
import { silentLogger } from '../../extension/core/ports/logger';
import type { Recording } from '../../extension/shared/recording';
import { REPO_ROOT, parseXev, sleep, startDriver, startProgram, startXvfb, waitUntil, xdotool, type XProgram } from './xHarness';

// Record a session generated with xdotool against xev, replay it into a fresh xev, and compare what the
// two xev processes logged. Also: focus guard, failsafe, and a recorder killed mid-session.

let x: { display: string; stop: () => void };
let driver: DriverClient;
const dir = mkdtempSync(path.join(tmpdir(), 'fb-rr-'));
const started: XProgram[] = [];

function xevAt(name: string, geometry: string): XProgram {
  const p = startProgram(x.display, 'xev', ['-geometry', geometry, '-name', name]);
  started.push(p);
  return p;
}

const clicksOf = (p: XProgram) =>
  parseXev(p.output())
    .filter((e) => e.type === 'ButtonPress')
    .map((e) => ('x' in e ? [e.x, e.y, (e as { button: number }).button] : []));
const keysOf = (p: XProgram) =>
  parseXev(p.output())
    .filter((e) => e.type === 'KeyPress')
    .map((e) => (e as { keysym: string }).keysym);

before(async () => {
  x = await startXvfb();
  driver = await startDriver(x.display);
});

after(async () => {
  await driver?.close();
  for (const p of started) p.stop();
  x?.stop();
});

let recording: Recording;

test('a session made with xdotool is recorded in client coordinates, control keys left out', async () => {
  const source = xevAt('Source', '400x300+50+60');
  const win = await driver.request('window/attach', { titlePattern: '^Source$', timeoutMs: 10_000 });
  const out = path.join(dir, 'session.fbrec.json');
  const recorder = new Recorder({ driver, window: win, out, target: { titlePattern: '^(Source|Replay.*)$' }, log: silentLogger, autosaveMs: 200 });
  await recorder.start();
  const c = win.clientRect;
  const at = (px: number, py: number) => [String(c.x + px), String(c.y + py)];
  xdotool(x.display, 'mousemove', ...at(200, 150), 'key', 'F9', 'sleep', '0.1');
  xdotool(x.display, 'mousemove', ...at(120, 100), 'click', '1', 'sleep', '0.05', 'mousemove', ...at(300, 250), 'click', '3');
  xdotool(x.display, 'key', 'a', 'Next', 'sleep', '0.1', 'key', 'F6', 'sleep', '0.1', 'click', '5', 'key', 'F12');
  recording = await recorder.stopped;
  const fromDisk = validateRecordingText('session', readFileSync(out, 'utf8'));
  assert.ok(fromDisk.ok, 'the saved file is a valid recording');
  assert.deepEqual(recording.client, { width: 400, height: 300, dpiScale: 1 });
  const kinds = recording.events.map((e) => e.type);
  assert.ok(!recording.events.some((e) => 'key' in e && ['F9', 'F12', 'F6'].includes(String(e.key)) && e.type !== 'marker'), 'control keys are not input');
  const downs = recording.events.filter((e) => e.type === 'down');
  assert.deepEqual(
    downs.map((e) => 'button' in e && [e.button, e.x, e.y]),
    [
      ['left', 120, 100],
      ['right', 300, 250],
    ],
  );
  assert.deepEqual(
    recording.events.filter((e) => e.type === 'key_down').map((e) => 'key' in e && e.key),
    ['a', 'PageDown'],
  );
  const marker = recording.events.find((e) => e.type === 'marker');
  assert.ok(marker && marker.type === 'marker' && marker.name === 'F6' && marker.checkpoint?.hash, 'F6 marker with a checkpoint');
  assert.ok(kinds.includes('scroll'));
  assert.ok(recording.events.every((e, i) => i === 0 || e.t_ms >= recording.events[i - 1]!.t_ms));
  source.stop();
});

test('the replay into a fresh window delivers the same clicks at the same pixels and the same keys, in order', async () => {
  const target = xevAt('Replay', '400x300+50+60');
  const win = await driver.request('window/attach', { titlePattern: '^Replay$', timeoutMs: 10_000 });
  const markersFile = path.join(dir, 'markers.tsv');
  const replayer = new Replayer({ driver, recording, window: win, markers: new MarkerWriter(markersFile, Number(process.hrtime.bigint()) / 1e6), log: silentLogger });
  const result = await replayer.run();
  assert.equal(result.aborted, null);
  assert.equal(result.checkpoints.met, 1, 'the F6 checkpoint matched the fresh xev');
  await waitUntil('xev to log the replay', () => (clicksOf(target).length >= 3 ? true : undefined));
  assert.deepEqual(clicksOf(target), [
    [120, 100, 1],
    [300, 250, 3],
    [300, 250, 5],
  ]);
  assert.deepEqual(keysOf(target), ['a', 'Next']);
  // A ceiling that holds on a loaded 2-core machine and still catches a replayer that drifts; bench:replay measures the figure.
  assert.ok(result.lateness && result.lateness.p99 < 100, `send lateness p99 ${result.lateness?.p99} ms`);
  const names = parseMarkersTsv('markers.tsv', readFileSync(markersFile, 'utf8')).map((m) => m.name);
  assert.deepEqual(names, ['replay_start', 'F6', 'checkpoint', 'replay_end']);
  target.stop();
});

test('a bigger window gets scaled coordinates (±1 px)', async () => {
  const target = xevAt('ReplayBig', '800x450+20+20');
  const win = await driver.request('window/attach', { titlePattern: '^ReplayBig$', timeoutMs: 10_000 });
  const result = await new Replayer({ driver, recording, window: win, log: silentLogger }).run();
  assert.equal(result.aborted, null);
  assert.equal(result.checkpoints.skipped, 1, 'pixels cannot match at another size');
  await waitUntil('xev to log the replay', () => (clicksOf(target).length >= 3 ? true : undefined));
  const expected = [
    [240, 150],
    [600, 375],
  ];
  clicksOf(target)
    .slice(0, 2)
    .forEach(([cx, cy], i) => {
      assert.ok(Math.abs(cx! - expected[i]![0]!) <= 1 && Math.abs(cy! - expected[i]![1]!) <= 1, `click ${i}: ${cx},${cy} vs ${expected[i]}`);
    });
  target.stop();
});

/** A synthetic recording: a click every 100 ms for `seconds`, all inside a 400×300 client. */
function clicks(seconds: number): Recording {
  const events: Recording['events'] = [];
  for (let t = 0; t < seconds * 1000; t += 100) {
    events.push({ t_ms: t, type: 'down', button: 'left', x: 100 + (t % 200), y: 100 });
    events.push({ t_ms: t + 20, type: 'up', button: 'left', x: 100 + (t % 200), y: 100 });
  }
  return { version: 2, target: {}, client: { width: 400, height: 300, dpiScale: 1 }, events };
}

test('focus guard: a window raised over the target gets no input, and the replay aborts', async () => {
  const target = xevAt('Guarded', '400x300+50+60');
  const win = await driver.request('window/attach', { titlePattern: '^Guarded$', timeoutMs: 10_000 });
  const replay = new Replayer({ driver, recording: clicks(5), window: win, graceMs: 500, log: silentLogger }).run();
  await waitUntil('some clicks to land', () => (clicksOf(target).length >= 3 ? true : undefined));
  const intruder = xevAt('Intruder', '400x300+50+60');
  const other = await driver.request('window/attach', { titlePattern: '^Intruder$', timeoutMs: 10_000 });
  xdotool(x.display, 'windowraise', other.handle, 'windowfocus', other.handle);
  const result = await replay;
  assert.match(result.aborted ?? '', /^focus guard: /);
  await sleep(200);
  assert.deepEqual(clicksOf(intruder), [], 'the intruder received no click');
  assert.ok(result.eventsSent < clicks(5).events.length);
  intruder.stop();
  target.stop();
});

test('failsafe: Esc, or the pointer in the top-left corner, aborts within 50 ms', async () => {
  const target = xevAt('Failsafe', '400x300+50+60');
  const win = await driver.request('window/attach', { titlePattern: '^Failsafe$', timeoutMs: 10_000 });
  for (const trigger of [
    ['key', 'Escape'],
    ['mousemove', '0', '0'],
  ]) {
    const replayer = new Replayer({ driver, recording: clicks(10), window: win, log: silentLogger });
    const run = replayer.run();
    await sleep(400);
    const t0 = Date.now();
    xdotool(x.display, ...trigger);
    const result = await run;
    const took = Date.now() - t0;
    assert.match(result.aborted ?? '', /^failsafe: /);
    assert.ok(took < 150, `aborted ${took} ms after ${trigger.join(' ')} (includes xdotool's own start-up)`);
  }
  target.stop();
});

test('a recorder killed with SIGKILL leaves a valid file missing at most ~1 s of events', async () => {
  const target = xevAt('Killed', '400x300+50+60');
  await driver.request('window/attach', { titlePattern: '^Killed$', timeoutMs: 10_000 });
  const out = path.join(dir, 'killed.fbrec.json');
  const cli = spawn(process.execPath, [path.join(REPO_ROOT, 'dist', 'cli.js'), 'record', '--title', '^Killed$', '--out', out, '--start'], {
    env: { ...process.env, DISPLAY: x.display },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  cli.stderr.on('data', (d: Buffer) => (err += d.toString()));
  await waitUntil('the recorder to start', () => (err.includes('recording…') ? true : undefined), 15_000);
  const recordStart = Date.now();
  for (let i = 0; i < 25; i++) {
    xdotool(x.display, 'mousemove', String(100 + i * 5), '150');
    await sleep(100);
  }
  const killedAt = Date.now();
  cli.kill('SIGKILL');
  const saved = validateRecordingText('killed', readFileSync(out, 'utf8'));
  assert.ok(saved.ok, 'the file on disk is a valid recording');
  const last = saved.value.events[saved.value.events.length - 1]!;
  const lostMs = killedAt - recordStart - last.t_ms;
  assert.ok(saved.value.events.length > 5, `${saved.value.events.length} events saved`);
  assert.ok(lostMs <= 1300, `lost ${lostMs} ms of events (autosave every second, plus start-up skew)`);
  target.stop();
});
