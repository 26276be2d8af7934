import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { DriverClient } from '../../extension/core/driver/driverClient';
import { waitForColour } from '../../extension/core/workflows/renderWait';
import { STATUS_PATCH, statusRgb } from '../../extension/shared/standinStatus';
import type { WindowInfo } from '../../extension/shared/driverProtocol';
import { generateVolume } from '../../extension/standin/volume/generate';
import { VolumeLayout } from '../../extension/standin/volume/volumeFormat';
import { REPO_ROOT, startDriver, startXvfb } from './xHarness';

// The stand-in viewer is a real program in a real window: launched, attached and driven through the
// driver exactly as Petrel would be, with its status patch as the "rendered" signal.

let x: { display: string; stop: () => void };
let driver: DriverClient;
const dir = mkdtempSync(path.join(tmpdir(), 'fb-viewer-'));
const volume = path.join(dir, 'nas', 'tiny.fbvol');
let viewer: ChildProcess;
let win: WindowInfo;
let stderr = '';

before(async () => {
  x = await startXvfb();
  await generateVolume(volume, { dims: [130, 96, 128], sampleFormat: 'int16', brickSize: 64, seed: 7 });
  writeFileSync(
    path.join(dir, 'a.fbproj.json'),
    JSON.stringify({
      name: 'tiny',
      mode: 'A_shared',
      volume,
      exportFolder: 'export',
      readLog: 'reads.tsv',
      stepLog: 'steps.tsv',
      startInline: 62,
      window: { width: 480, height: 360 },
    }),
  );
  viewer = spawn(process.execPath, [path.join(REPO_ROOT, 'dist', 'standin-viewer.js'), '--project', path.join(dir, 'a.fbproj.json')], {
    env: { ...process.env, DISPLAY: x.display },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  viewer.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  driver = await startDriver(x.display);
  win = await driver.request('window/attach', { titlePattern: '^FastBench Stand-in — tiny', timeoutMs: 15_000 });
  assert.deepEqual(await driver.request('window/foreground', { handle: win.handle }), { ok: true });
});

after(async () => {
  viewer?.kill('SIGTERM');
  await driver?.close();
  x?.stop();
});

const patch = { ...STATUS_PATCH };
const key = (k: string) =>
  driver.request('input/inject', {
    handle: win.handle,
    coordinates: 'client',
    events: [
      { kind: 'key_down', key: k },
      { kind: 'key_up', key: k },
    ],
  });

test('the viewer opens: its window belongs to its process and the status patch says "open, 1"', async () => {
  assert.equal(win.pid, viewer.pid);
  assert.deepEqual([win.clientRect.width, win.clientRect.height], [480, 360]);
  await waitForColour(driver, win.handle, patch, statusRgb('open', 1), { timeoutMs: 15_000 });
  assert.equal(stderr, '');
});

test('PageDown crossing a brick boundary reads the next brick row; the read log records it', async () => {
  const layout = new VolumeLayout({ format: 'fbvol', version: 1, dims: [130, 96, 128], brickSize: 64, sampleFormat: 'int16', valueRange: [-1, 1], seed: 7 });
  await key('PageDown');
  await waitForColour(driver, win.handle, patch, statusRgb('inline', 1));
  const readsBefore = readFileSync(path.join(dir, 'reads.tsv'), 'utf8').trim().split('\n').length;
  await key('PageDown'); // inline 63 → 64: a new brick row
  await waitForColour(driver, win.handle, patch, statusRgb('inline', 2));
  const rows = readFileSync(path.join(dir, 'reads.tsv'), 'utf8').trim().split('\n').slice(1);
  const newBricks = rows.slice(readsBefore - 1).map((r) => Number(r.split('\t')[1]));
  assert.deepEqual(
    newBricks.sort((a, b) => a - b),
    layout.inlineBricks(64),
  );
  assert.ok(rows.every((r) => r.split('\t')[3] === 'file' && Number(r.split('\t')[2]) === layout.brickBytes));
});

test('A, click + H, and E each finish with their own status colour; E writes the brick row', async () => {
  await key('a');
  await waitForColour(driver, win.handle, patch, statusRgb('attribute', 1));
  await driver.request('input/inject', {
    handle: win.handle,
    coordinates: 'client',
    events: [
      { kind: 'down', button: 'left', x: 240, y: 200 },
      { kind: 'up', button: 'left', x: 240, y: 200 },
    ],
  });
  await waitForColour(driver, win.handle, patch, statusRgb('select', 1));
  await key('h');
  await waitForColour(driver, win.handle, patch, statusRgb('horizon', 1));
  await key('e');
  await waitForColour(driver, win.handle, patch, statusRgb('export', 1));
  const exported = statSync(path.join(dir, 'export', 'export_inline64_1.bin')).size;
  assert.equal(exported, 2 * 2 * 64 ** 3 * 2, 'one brick row: 2 crossline × 2 sample bricks of 512 KiB');
  const steps = readFileSync(path.join(dir, 'steps.tsv'), 'utf8');
  assert.match(steps, /\thorizon\t1\tdone in/);
});

test('a bad project file is refused with the file, the field and what was expected', async () => {
  const bad = path.join(dir, 'bad.fbproj.json');
  writeFileSync(bad, JSON.stringify({ name: 'x', mode: 'A_shared', volume: 'v.fbvol', exportFolder: 'e', startInline: -1 }));
  const p = spawn(process.execPath, [path.join(REPO_ROOT, 'dist', 'standin-viewer.js'), '--project', bad], { env: { ...process.env, DISPLAY: x.display } });
  let err = '';
  p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => p.once('exit', r));
  assert.equal(code, 2);
  assert.match(err, /bad\.fbproj\.json:1:\d+: startInline: expected a number ≥ 0, found -1/);
  const missing = spawn(process.execPath, [path.join(REPO_ROOT, 'dist', 'standin-viewer.js'), '--project', path.join(dir, 'a.fbproj.json').replace('a.fb', 'none.fb')]);
  assert.equal(await new Promise<number | null>((r) => missing.once('exit', r)), 2);
});
