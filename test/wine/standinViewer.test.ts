import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { STATUS_PATCH, statusRgb, type ViewerStep } from '../../extension/shared/standinStatus';
import type { WindowInfo } from '../../extension/shared/driverProtocol';
import { generateVolume } from '../../extension/standin/volume/generate';
import { VolumeLayout } from '../../extension/standin/volume/volumeFormat';
import { pointOfLParam, viewerKeyName } from '../../extension/standin/viewer/win32Window';
import { DriverClient } from './driverClient';
import { XHelper, lane, laneUnavailable, sleep, waitFor } from './lane';

// The stand-in viewer's Win32 window (extension/standin/viewer/win32Window.ts) under the real Win32 driver: the
// same walk as test/x11/standinViewer.test.ts — launched as its own Windows process, attached, driven with
// injected keys and clicks, its status patch read back through pixels/probe as the "rendered" signal.

const viewerJs = path.resolve(__dirname, '../../standin-viewer.js');
const skip = laneUnavailable() ?? (existsSync(viewerJs) ? undefined : `no viewer bundle at ${viewerJs} (node esbuild.mjs --only=standin)`);
const DIMS: [number, number, number] = [130, 96, 128];

/**
 * Debug aid: with FASTBENCH_WINE_SCREENSHOT=DIR, run.sh exports FASTBENCH_TEST_SCREENSHOTS and saves the X screen
 * to DIR/NAME.png when the test drops NAME.req there. Never fails the test.
 */
async function screenshot(name: string): Promise<void> {
  const dir = process.env.FASTBENCH_TEST_SCREENSHOTS;
  if (!dir) return;
  const req = path.join(dir, `${name}.req`);
  writeFileSync(req, '');
  const done = await waitFor(() => (existsSync(req) ? undefined : true), 10_000, `screenshot ${name}`).catch((e: Error) => e.message);
  if (done !== true) process.stderr.write(`screenshot ${name}: ${done}\n`);
}

test('stand-in viewer: virtual keys get the names the app reads; mouse lParam gives signed client coordinates', () => {
  assert.equal(viewerKeyName(0x22, true), 'Next'); // VK_NEXT (PageDown): X's keysym name, which the app reads
  assert.equal(viewerKeyName(0x21, true), 'Prior');
  assert.deepEqual(
    ['A', 'H', 'E'].map((c) => viewerKeyName(c.charCodeAt(0), false)),
    ['a', 'h', 'e'],
  );
  assert.equal(viewerKeyName(0x0d, true), 'NumpadEnter');
  assert.deepEqual(pointOfLParam(0x00c8_00f0), { x: 240, y: 200 });
  assert.deepEqual(pointOfLParam(0xfffe_ffff), { x: -1, y: -2 }, 'left of / above the client (mouse capture)');
  assert.deepEqual(pointOfLParam(-1n), { x: -1, y: -1 });
});

describe('stand-in viewer: its Win32 window driven through the real driver', { skip }, () => {
  const dir = path.join(lane.work, `viewer-${process.pid}`);
  const volume = path.join(dir, 'nas', 'tiny.fbvol');
  let viewer: ChildProcess;
  let exited: Promise<number | null>;
  let d: DriverClient;
  let win: WindowInfo;
  let stderr = '';

  const waitColour = async (step: ViewerStep, count: number, timeoutMs = 20_000): Promise<void> => {
    const want = statusRgb(step, count);
    let last: number[] = [];
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const probe = await d.request('pixels/probe', { handle: win.handle, region: { ...STATUS_PATCH } });
      last = probe.meanRgb;
      if (last.every((v, i) => Math.abs(v - want[i]!) <= 0.5)) return;
      if (performance.now() > deadline) {
        throw new Error(`status patch did not show ${step} ${count} = rgb(${want.join(', ')}) within ${timeoutMs} ms; last rgb(${last.join(', ')}); viewer stderr: ${stderr}`);
      }
      await sleep(10);
    }
  };
  const key = (k: string) =>
    d.request('input/inject', {
      handle: win.handle,
      coordinates: 'client',
      events: [
        { kind: 'key_down', key: k },
        { kind: 'key_up', key: k },
      ],
    });

  before(async () => {
    mkdirSync(dir, { recursive: true });
    await generateVolume(volume, { dims: DIMS, sampleFormat: 'int16', brickSize: 64, seed: 7 });
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
    // Windows node.exe runs the viewer bundle; koffi resolves through the lane's NODE_PATH.
    viewer = spawn(process.execPath, [viewerJs, '--project', path.join(dir, 'a.fbproj.json')], { stdio: ['ignore', 'ignore', 'pipe'] });
    exited = new Promise((r) => viewer.once('exit', (code) => r(code)));
    viewer.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    d = await DriverClient.start(lane.driver);
    win = await d.request('window/attach', { titlePattern: '^FastBench Stand-in — tiny', timeoutMs: 30_000 }, 35_000);
    const fg = await d.request('window/foreground', { handle: win.handle });
    assert.ok(fg.ok, `foreground: ${fg.reason}`);
  });

  after(async () => {
    if (viewer && viewer.exitCode === null && viewer.signalCode === null) viewer.kill();
    if (d) {
      await d.shutdown();
      assert.deepEqual(d.protocolErrors, [], 'every driver line matched the protocol schemas');
    }
  });

  test('the viewer opens: its window belongs to its process, has the asked client size, and the patch says "open, 1"', async () => {
    assert.equal(win.pid, viewer.pid);
    assert.equal(win.className, 'FastBenchViewer');
    assert.equal(win.processImage, 'node.exe');
    assert.deepEqual([win.clientRect.width, win.clientRect.height], [480, 360]);
    await waitColour('open', 1, 30_000);
    assert.equal(stderr, '');
    await screenshot('viewer-open');
  });

  test('PageDown crossing a brick boundary reads the next brick row; the read log records it', async () => {
    const layout = new VolumeLayout({ format: 'fbvol', version: 1, dims: DIMS, brickSize: 64, sampleFormat: 'int16', valueRange: [-1, 1], seed: 7 });
    await key('PageDown');
    await waitColour('inline', 1);
    const readsBefore = readFileSync(path.join(dir, 'reads.tsv'), 'utf8').trim().split(/\r?\n/).length;
    await key('PageDown'); // inline 63 → 64: a new brick row
    await waitColour('inline', 2);
    const rows = readFileSync(path.join(dir, 'reads.tsv'), 'utf8').trim().split(/\r?\n/).slice(1);
    const newBricks = rows.slice(readsBefore - 1).map((r) => Number(r.split('\t')[1]));
    assert.deepEqual(
      newBricks.sort((a, b) => a - b),
      layout.inlineBricks(64),
    );
    assert.ok(rows.every((r) => r.split('\t')[3] === 'file' && Number(r.split('\t')[2]) === layout.brickBytes));
    const now = await d.request('window/info', { handle: win.handle });
    assert.match(now.title, /^FastBench Stand-in — tiny \(A_shared\) — inline 64$/, 'SetWindowTextW follows the inline');
  });

  test('A, click + H, and E each finish with their own status colour; E writes the brick row', async () => {
    await key('a');
    await waitColour('attribute', 1);
    await d.request('input/inject', {
      handle: win.handle,
      coordinates: 'client',
      events: [
        { kind: 'down', button: 'left', x: 240, y: 200 },
        { kind: 'up', button: 'left', x: 240, y: 200 },
      ],
    });
    await waitColour('select', 1);
    await key('h');
    await waitColour('horizon', 1);
    await key('e');
    await waitColour('export', 1);
    const exported = statSync(path.join(dir, 'export', 'export_inline64_1.bin')).size;
    assert.equal(exported, 2 * 2 * 64 ** 3 * 2, 'one brick row: 2 crossline × 2 sample bricks of 512 KiB');
    const steps = readFileSync(path.join(dir, 'steps.tsv'), 'utf8');
    assert.match(steps, /\thorizon\t1\tdone in/);
    // The click at client (240, 200) picked trace 48, sample 65 (image area 480×328 below the 32-pixel bar, slice
    // 96×128): the seed's cyan cross is centred on (242, 199), its arm 11 pixels wide.
    const cross = await d.request('pixels/probe', { handle: win.handle, region: { x: 237, y: 199, width: 11, height: 1 } });
    assert.deepEqual(cross.meanRgb, [0, 200, 255]);
    await screenshot('viewer-final');
  });

  test('resized, it reallocates its framebuffer and redraws the slice into the new client area (WM_SIZE)', async () => {
    const corner = { x: 600, y: 440, width: 32, height: 32 }; // outside the old 480×360 client
    const moved = await d.request('window/move', { handle: win.handle, rect: { ...win.rect, width: win.rect.width + 160, height: win.rect.height + 120 } });
    assert.deepEqual([moved.clientRect.width, moved.clientRect.height], [640, 480]);
    await waitColour('export', 1);
    let last: number[] = [];
    const deadline = performance.now() + 10_000;
    for (;;) {
      last = (await d.request('pixels/probe', { handle: win.handle, region: corner })).meanRgb;
      // The slice is grey (r = g = b, well above black); before the redraw the new area is black.
      if (last[0]! > 20 && last[0] === last[1] && last[1] === last[2]) break;
      assert.ok(performance.now() < deadline, `the new client area never showed the slice; last rgb(${last.join(', ')})`);
      await sleep(20);
    }
    win = moved;
    await screenshot('viewer-resized');
  });

  test('Alt+F4 closes it: WM_CLOSE reaches the app, which destroys the window and exits 0', async () => {
    await d.request('window/foreground', { handle: win.handle });
    await d.request('input/inject', {
      handle: win.handle,
      coordinates: 'client',
      events: [
        { kind: 'key_down', key: 'Alt' },
        { kind: 'key_down', key: 'F4' },
        { kind: 'key_up', key: 'F4' },
        { kind: 'key_up', key: 'Alt' },
      ],
    });
    const code = await Promise.race([exited, sleep(15_000).then(() => 'still running' as const)]);
    assert.equal(code, 0, `viewer exit; stderr: ${stderr}`);
    await d.until(() => d.events.some((e) => e.event === 'window/gone' && e.data.handle === win.handle), 10_000, 'the driver to report window/gone');
    assert.equal(stderr, '');
  });
});

// B_fast as Petrel would see it under Wine: the FAST-like cache's FUSE mount (fastcache on Linux, filled from
// Azurite) is an ordinary file on the Z: drive. The Win32 viewer opens it by that path, with no FAST code, and
// the bytes Windows reads through Z: are the bytes of the volume on Linux.
const linuxWork = process.env.FASTBENCH_TEST_WORK;
const fastSkip = skip ?? (lane.xhelperPort && linuxWork ? undefined : 'needs the lane X helper and FASTBENCH_TEST_WORK (bash test/wine/run.sh)');
const onZ = (linux: string) => `Z:${linux.replaceAll('/', '\\')}`;

describe('stand-in viewer: B_fast through the FUSE mount on the Z: drive', { skip: fastSkip }, () => {
  let helper: XHelper;
  let mount: { volumeA: string; volumeB: string; source: string; log: string };
  const dir = path.join(lane.work, `viewer-fast-${process.pid}`);

  before(async () => {
    helper = await XHelper.connect();
    mount = (await helper.call({ cmd: 'fastmount', home: `${linuxWork}/fast-${process.pid}`, sizeMiB: 16 })) as typeof mount;
    mkdirSync(dir, { recursive: true });
  });

  after(async () => {
    if (helper) {
      await helper.call({ cmd: 'fastmount-stop' });
      helper.close();
    }
  });

  test('the mount file read through Z: has the Linux volume bytes; the viewer opens it, steps a brick row, and fastcache served its reads', async () => {
    assert.match(mount.volumeB, /\/mnt\/fast\/demo\.fbvol$/, JSON.stringify(mount));
    const linux = (await helper.call({ cmd: 'sha256', file: mount.source })) as { sha256: string; bytes: number };
    const viaZ = readFileSync(onZ(mount.volumeB));
    assert.equal(viaZ.length, linux.bytes, 'size through Z:');
    assert.equal(createHash('sha256').update(viaZ).digest('hex'), linux.sha256, 'bytes through Z: are the volume on Linux');

    const project = path.join(dir, 'b.fbproj.json');
    writeFileSync(
      project,
      JSON.stringify({
        name: 'zfast',
        mode: 'B_fast',
        volume: onZ(mount.volumeB),
        exportFolder: 'export',
        readLog: 'reads.tsv',
        startInline: 62,
        window: { width: 480, height: 360 },
      }),
    );
    let said = '';
    const viewer = spawn(process.execPath, [viewerJs, '--project', project], { stdio: ['ignore', 'ignore', 'pipe'] });
    const gone = new Promise((r) => viewer.once('exit', r));
    viewer.stderr!.on('data', (b: Buffer) => (said += b.toString()));
    const d = await DriverClient.start(lane.driver);
    try {
      const w = await d.request('window/attach', { titlePattern: '^FastBench Stand-in — zfast', timeoutMs: 30_000 }, 35_000);
      await d.request('window/foreground', { handle: w.handle });
      const patch = async (step: ViewerStep, count: number) => {
        const want = statusRgb(step, count);
        const deadline = performance.now() + 30_000;
        for (;;) {
          const rgb = (await d.request('pixels/probe', { handle: w.handle, region: { ...STATUS_PATCH } })).meanRgb;
          if (rgb.every((v, i) => Math.abs(v - want[i]!) <= 0.5)) return;
          assert.ok(performance.now() < deadline, `status patch never showed ${step} ${count}; last rgb(${rgb.join(', ')}); viewer stderr: ${said}`);
          await sleep(20);
        }
      };
      await patch('open', 1);
      for (let n = 1; n <= 2; n++) {
        // inline 62 → 64: the second PageDown crosses into the next brick row
        await d.request('input/inject', {
          handle: w.handle,
          coordinates: 'client',
          events: [
            { kind: 'key_down', key: 'PageDown' },
            { kind: 'key_up', key: 'PageDown' },
          ],
        });
        await patch('inline', n);
      }
      const title = (await d.request('window/info', { handle: w.handle })).title;
      assert.match(title, /— inline 64$/);
    } finally {
      if (viewer.exitCode === null) viewer.kill();
      await gone;
      await d.shutdown();
    }
    const reads = readFileSync(path.join(dir, 'reads.tsv'), 'utf8').trim().split(/\r?\n/).slice(1);
    assert.ok(reads.length > 0 && reads.every((r) => r.split('\t')[3] === 'file'), 'the viewer read plain file bytes');
    // fastcache's own log (a Linux file, read through Z: too) has the FUSE reads of the Windows process.
    const log = readFileSync(onZ(mount.log), 'utf8')
      .split('\n')
      .filter((l) => /\tread\t/.test(l));
    assert.ok(log.length > 0, 'fastcache logged FUSE reads');
    assert.equal(said.trim(), '');
  });
});
