import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { helperFolder, helperSetup, invokeHelper, isElevated, windowsColdRoute } from '../../extension/core/cache/coldHelper';
import { pathClassifier } from '../../extension/core/metrics/pathClasses';
import { readDriveMap, windowsOpenFilesLister } from '../../extension/driver/win32/openHandles';
import { AGENT_NODE_FLAGS, MetricsAgentClient } from '../../extension/core/metrics/agentClient';
import { agentReportSchema } from '../../extension/core/metrics/agentMessages';
import { instanceForPid } from '../../extension/core/metrics/pdhCounters';
import { loadWindowsPerf } from '../../extension/driver/win32/windowsPerf';
import { DriverClient } from './driverClient';
import { isWine, lane, laneUnavailable, Target, targetHelper, waitFor, sleep } from './lane';

// What Wine cannot show, for a real Windows machine (.github/workflows/windows.yml): the foreground lock, UIPI
// against a higher-integrity target (input and capture), DPI scaling and the monitor's DPI, monitors at negative
// coordinates, Windows silently removing a low-level hook that overran LowLevelHooksTimeout, and the effect of the
// driver's raised timer resolution on render watching; files held open on an SMB share and a mapped drive; the
// cold helper task; PDH counters against their oracles. Each test skips with its reason where it cannot run.

const skip = laneUnavailable() ?? (isWine ? 'Wine does not implement this Windows behaviour; it runs on real Windows (.github/workflows/windows.yml)' : undefined);

type Monitor = { x: number; y: number; width: number; height: number; dpi: number; primary: boolean };
function monitors(): Monitor[] {
  mkdirSync(lane.work, { recursive: true });
  const out = path.join(lane.work, `monitors-${process.pid}.txt`);
  assert.equal(targetHelper(['--monitors', out]), 0, 'target.exe --monitors');
  return readFileSync(out, 'utf8')
    .split(/\r?\n/)
    .filter(Boolean)
    .map((line) => {
      const [rect, dpi, primary] = line.split(' ');
      const [x, y, width, height] = rect!.split(',').map(Number);
      return { x: x!, y: y!, width: width!, height: height!, dpi: Number(dpi!.split('=')[1]), primary: primary === 'primary=1' };
    });
}

describe('Windows only: foreground lock', { skip }, () => {
  let a: Target;
  let b: Target;
  let d: DriverClient;
  before(async () => {
    a = await Target.start({ x: 50, y: 50, w: 400, h: 300, title: `FastBench FG A ${process.pid}` });
    b = await Target.start({ x: 500, y: 50, w: 400, h: 300, title: `FastBench FG B ${process.pid}` });
    d = await DriverClient.start(lane.driver);
  });
  after(async () => {
    await d?.shutdown();
    await a?.stop();
    await b?.stop();
  });

  test('window/foreground wins through the lock from a background process, and never claims a win it did not get', async () => {
    const ha = (await d.request('window/attach', { titlePattern: a.title, timeoutMs: 5000 })).handle;
    const hb = (await d.request('window/attach', { titlePattern: b.title, timeoutMs: 5000 })).handle;
    let wins = 0;
    for (let i = 0; i < 6; i++) {
      const handle = i % 2 ? ha : hb;
      const r = await d.request('window/foreground', { handle });
      // The guard asks GetForegroundWindow independently: ok must mean "it is the foreground window now".
      const check = d.request('input/inject', { handle, coordinates: 'client', events: [], guard: { foreground: true } });
      if (r.ok) {
        await check;
        wins++;
      } else {
        assert.match(r.reason ?? '', /foreground/, 'a refusal says why');
        await assert.rejects(check, /not_foreground/);
      }
    }
    assert.equal(wins, 6, 'the driver (a background process the user did not click) took the foreground every time');
  });
});

describe('Windows only: UIPI (input to a higher-integrity target)', { skip }, () => {
  test('a low-integrity driver is told "blocked", and nothing reaches the target', async () => {
    const target = await Target.start({ x: 80, y: 80, w: 400, h: 300, title: `FastBench UIPI ${process.pid}` });
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const pidFile = path.join(lane.work, `low-${process.pid}.txt`);
    let d: DriverClient | undefined;
    try {
      d = await DriverClient.accept(server, () => {
        // The driver runs at low integrity; the target at ours (medium or high): UIPI blocks low -> higher.
        const code = targetHelper(['--run-low-integrity', pidFile, `"${process.execPath}" "${lane.driver}" --connect ${port}`]);
        assert.equal(code, 0, 'target.exe --run-low-integrity');
      });
      const w = await d.request('window/attach', { titlePattern: target.title, timeoutMs: 5000 });
      const from = target.lines().length;
      await assert.rejects(
        d.request('input/inject', {
          handle: w.handle,
          coordinates: 'client',
          events: [
            { kind: 'down', button: 'left', x: 10, y: 10 },
            { kind: 'up', button: 'left', x: 10, y: 10 },
          ],
        }),
        (e: Error) => {
          assert.match(e.message, /^blocked: /);
          assert.match(e.message, /elevated|integrity/);
          return true;
        },
      );
      await sleep(300);
      assert.equal(target.since(from, 'down', 'up').length, 0, 'the click did not reach the target');
    } finally {
      await d?.shutdown();
      server.close();
      await target.stop();
    }
  });
});

describe('Windows only: UIPI hides a higher-integrity target from capture', { skip }, () => {
  test('a low-integrity driver refuses to capture for a target above it, with the message injection gives', async () => {
    const target = await Target.start({ x: 90, y: 90, w: 400, h: 300, title: `FastBench UIPI capture ${process.pid}` });
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const pidFile = path.join(lane.work, `low-capture-${process.pid}.txt`);
    let d: DriverClient | undefined;
    try {
      d = await DriverClient.accept(server, () => {
        const code = targetHelper(['--run-low-integrity', pidFile, `"${process.execPath}" "${lane.driver}" --connect ${port}`]);
        assert.equal(code, 0, 'target.exe --run-low-integrity');
      });
      const w = await d.request('window/attach', { titlePattern: target.title, timeoutMs: 5000 });
      await assert.rejects(d.request('input/captureStart', { handle: w.handle }), (e: Error) => {
        assert.match(e.message, /^blocked: capture of input to "FastBench UIPI capture [^"]*" \(target\.exe, pid \d+\) would record nothing: /);
        assert.match(e.message, /higher integrity level than FastBench .*Run FastBench elevated too, or the target without elevation\./);
        return true;
      });
      // Refused means not started: a second attempt is refused the same way, not with "already running".
      await assert.rejects(d.request('input/captureStart', { handle: w.handle }), /^blocked: /);
    } finally {
      await d?.shutdown();
      server.close();
      await target.stop();
    }
  });
});

describe('Windows only: the timer resolution the driver raises for render watching', { skip }, () => {
  test('a render wait samples at >= 200 Hz (the default 15.6 ms tick would give ~64 Hz)', async () => {
    const target = await Target.start({ x: 120, y: 120, w: 400, h: 300, title: `FastBench Timer ${process.pid}` });
    const d = await DriverClient.start(lane.driver);
    try {
      const w = await d.request('window/attach', { titlePattern: target.title, timeoutMs: 5000 });
      // Nothing changes there: the wait runs its full second and says how many grabs it made.
      const error = await d.request('window/waitForChange', { handle: w.handle, regions: [{ x: 100, y: 100, width: 50, height: 50 }], timeoutMs: 1000 }).then(
        () => undefined,
        (e: Error) => e,
      );
      assert.match(String(error), /never_changed: .*\((\d+) grabs\)/);
      const grabs = Number(/\((\d+) grabs\)/.exec(String(error))![1]);
      assert.ok(grabs >= 200, `${grabs} grabs in 1 s: the driver's timers still run at the default tick`);
      const logs = d.events.flatMap((e) => (e.event === 'log' ? [e.data.message] : []));
      assert.deepEqual(
        logs.filter((m) => /fine timer resolution/.test(m)),
        ['fine timer resolution on', 'fine timer resolution off'],
      );
    } finally {
      await d.shutdown();
      await target.stop();
    }
  });
});

describe('Windows only: DPI scaling', { skip }, () => {
  let changedScale = false;
  after(() => {
    if (changedScale) targetHelper(['--set-dpi-step', '0']);
  });

  test('dpiScale and client rect are physical pixels, for DPI-aware and DPI-unaware targets', async (t) => {
    let primary = monitors().find((m) => m.primary)!;
    if (primary.dpi === 96 && targetHelper(['--set-dpi-step', '1']) === 0) {
      changedScale = true;
      await sleep(2000);
      primary = monitors().find((m) => m.primary)!;
    }
    const d = await DriverClient.start(lane.driver, { FASTBENCH_DRIVER_DEBUG: '1' });
    await d.until(() => /DPI awareness/.test(d.stderr), 5000, "the backend's debug line");
    assert.match(d.stderr, /DPI awareness per-monitor-v2/, 'node.exe has no DPI manifest: the driver gets per-monitor v2');
    const aware = await Target.start({ x: primary.x + 40, y: primary.y + 40, w: 500, h: 350, title: `FastBench DPI aware ${process.pid}` });
    const unaware = await Target.start({ x: primary.x + 60, y: primary.y + 60, w: 400, h: 300, title: `FastBench DPI unaware ${process.pid}`, extra: ['--dpi-unaware'] });
    try {
      const wa = await d.request('window/attach', { titlePattern: aware.title, timeoutMs: 5000 });
      assert.equal(wa.dpiScale, aware.ready.dpi / 96);
      assert.equal(wa.dpiScale, primary.dpi / 96, "dpiScale is the monitor's scale");
      assert.equal(wa.dpiAwareness, 'per-monitor-v2');
      assert.deepEqual(wa.clientRect, aware.ready.client, 'a DPI-aware target reports physical pixels, as the driver does');
      if (primary.dpi === 96) return t.skip('the display scale is 100% and could not be changed here (SPI_SETLOGICALDPIOVERRIDE); scaled checks need a scaled display');
      const scale = primary.dpi / 96;
      const wu = await d.request('window/attach', { titlePattern: unaware.title, timeoutMs: 5000 });
      // The monitor's scale, not the 96 the unaware app believes in (GetDpiForWindow): what a replay compares.
      assert.equal(unaware.ready.dpi, 96);
      assert.equal(wu.dpiScale, scale);
      assert.equal(wu.dpiAwareness, 'unaware');
      // The unaware target believes in logical pixels; the driver sees (and injects in) physical ones.
      assert.ok(Math.abs(wu.clientRect.width - unaware.ready.client.width * scale) <= 2, `${wu.clientRect.width} ~ ${unaware.ready.client.width} x ${scale}`);
      await d.request('window/foreground', { handle: wu.handle });
      const from = unaware.lines().length;
      const [px, py] = [Math.round(100 * scale), Math.round(80 * scale)];
      await d.request('input/inject', {
        handle: wu.handle,
        coordinates: 'client',
        events: [
          { kind: 'down', button: 'left', x: px, y: py },
          { kind: 'up', button: 'left', x: px, y: py },
        ],
      });
      const [down] = await unaware.waitLines(from, ['down'], 1);
      assert.ok(Math.abs(Number(down!.f.x) - 100) <= 1 && Math.abs(Number(down!.f.y) - 80) <= 1, `logical ${down!.f.x},${down!.f.y} ~ 100,80`);
    } finally {
      await d.shutdown();
      await aware.stop();
      await unaware.stop();
    }
  });
});

describe('Windows only: monitors at negative coordinates', { skip }, () => {
  test('attach, inject and capture on a monitor left of or above the primary', async (t) => {
    const all = monitors();
    const negative = all.find((m) => m.x < 0 || m.y < 0);
    if (!negative) return t.skip(`no monitor at negative coordinates (${all.length} monitor(s): ${all.map((m) => `${m.width}x${m.height}+${m.x}+${m.y}`).join(', ')})`);
    const target = await Target.start({ x: negative.x + 50, y: negative.y + 50, w: 400, h: 300, title: `FastBench Negative ${process.pid}` });
    const d = await DriverClient.start(lane.driver);
    try {
      const w = await d.request('window/attach', { titlePattern: target.title, timeoutMs: 5000 });
      assert.deepEqual(w.clientRect, target.ready.client);
      assert.ok(w.clientRect.x < 0 || w.clientRect.y < 0);
      await d.request('window/foreground', { handle: w.handle });
      const from = target.lines().length;
      await d.request('input/inject', {
        handle: w.handle,
        coordinates: 'client',
        events: [
          { kind: 'down', button: 'left', x: 37, y: 29 },
          { kind: 'up', button: 'left', x: 37, y: 29 },
        ],
      });
      const [down] = await target.waitLines(from, ['down'], 1);
      assert.deepEqual([down!.f.x, down!.f.y], ['37', '29']);
      await d.request('input/captureStart', { handle: w.handle });
      const c = d.inputs().length;
      targetHelper(['--inject', 'click', String(w.clientRect.x + 55), String(w.clientRect.y + 44)]);
      await d.until(
        () =>
          d
            .inputs()
            .slice(c)
            .some((e) => e.kind === 'down' && e.x === 55 && e.y === 44 && !e.outside),
        5000,
        'captured click at 55,44',
      );
    } finally {
      await d.shutdown();
      await target.stop();
    }
  });
});

describe('Windows only: silent removal of a slow hook', { skip }, () => {
  test('a hook that overran LowLevelHooksTimeout is noticed and installed again; capture goes on', async (t) => {
    const target = await Target.start({ x: 100, y: 100, w: 500, h: 400, title: `FastBench Stall ${process.pid}` });
    // The first hook calls stall 1.5 s (test-only switch), well past LowLevelHooksTimeout (<= 1 s since Windows 7).
    const d = await DriverClient.start(lane.driver, { FASTBENCH_HOOK_TEST_STALL_MS: '1500', FASTBENCH_HOOK_WATCHDOG_MS: '1000', FASTBENCH_DRIVER_DEBUG: '1' });
    try {
      const w = await d.request('window/attach', { titlePattern: target.title, timeoutMs: 5000 });
      const c = w.clientRect;
      await d.request('input/captureStart', { handle: w.handle });
      for (let i = 0; i < 4; i++) targetHelper(['--inject', 'click', String(c.x + 20 + i), String(c.y + 20)]);
      // Recovery: either Windows kept the hook, or the watchdog noticed and installed it again.
      const from = d.inputs().length;
      await waitFor(
        () => {
          targetHelper(['--inject', 'click', String(c.x + 200), String(c.y + 150)]);
          return d
            .inputs()
            .slice(from)
            .some((e) => e.kind === 'down' && e.x === 200 && e.y === 150)
            ? true
            : undefined;
        },
        20_000,
        () => `capture to see clicks again; driver stderr: ${d.stderr}`,
      );
      // The title claims the watchdog's recovery: when Windows kept the hook there was nothing to recover.
      if (!/installing them again/.test(d.stderr)) t.skip('Windows kept the stalled hook this time, so the watchdog had nothing to recover');
      else t.diagnostic('Windows removed the stalled hook; the watchdog installed it again and capture went on');
    } finally {
      await d.shutdown();
      await target.stop();
    }
  });
});

// The cold helper (S1-6) and the standby purge (S2-8) for real: a scheduled task as SYSTEM with highest privileges,
// started on demand by schtasks /run, answering through its results folder. Needs an elevated runner (GitHub's are),
// which installs it; the requests then go through the task exactly as a non-elevated campaign's would.
describe('Windows only: the cold helper task (SYSTEM, highest privileges) and the standby purge', { skip }, () => {
  const work = path.join(lane.work, `helper-${process.pid}`);
  const cache = path.join(work, 'FastCache');
  let elevated = false;
  before(async () => {
    elevated = await isElevated();
    mkdirSync(cache, { recursive: true });
    writeFileSync(path.join(cache, 'cached.bin'), 'bricks');
  });
  after(async () => {
    if (elevated) await helperSetup({ action: 'uninstall' }).catch(() => undefined);
  });

  test(
    'install registers \\FastBench\\ColdHelper as SYSTEM / highest, admin-only files; purge and rotation run through it; a changed script is refused; uninstall removes it',
    { timeout: 600_000 },
    async (t) => {
      if (!elevated) return t.skip('the runner is not elevated: install needs an administrator (the non-elevated path is the preflight problem, tested in the stand-in lane)');
      const installed = await helperSetup({ action: 'install', cacheFolder: cache, serviceName: 'Spooler', keep: 1, serviceTimeoutS: 60 });
      assert.equal(installed.ok, true, JSON.stringify(installed));
      const xml = spawnSync('schtasks.exe', ['/query', '/tn', '\\FastBench\\ColdHelper', '/xml'], { encoding: 'utf8' }).stdout;
      assert.match(xml, /<UserId>S-1-5-18<\/UserId>/, 'runs as SYSTEM');
      assert.match(xml, /<RunLevel>HighestAvailable<\/RunLevel>/, 'with highest privileges');
      const acl = spawnSync('icacls.exe', [helperFolder()], { encoding: 'utf8' }).stdout;
      t.diagnostic(`icacls: ${acl.replace(/\s+/g, ' ')}`);
      assert.doesNotMatch(acl, /BUILTIN\\Users:\(.*\((F|M|W)\)/, 'Users cannot write the helper folder');
      const status = await helperSetup({ action: 'status' });
      assert.equal(status.ok, true, JSON.stringify(status));
      const route = await windowsColdRoute({ cacheFolder: cache, serviceName: 'Spooler' }, { elevated: false });
      assert.equal(route.via, 'helper', 'a non-elevated campaign would go through the helper');

      // Fill the standby list with a file's pages so the purge has something to show.
      const fill = path.join(work, 'fill.bin');
      writeFileSync(fill, Buffer.alloc(256 * 1024 * 1024, 1));
      readFileSync(fill);
      const purge = await invokeHelper('purge', false, { timeoutMs: 180_000 });
      assert.equal(purge.ok, true, JSON.stringify(purge));
      assert.match(String((purge.helper as { runAs: string }).runAs), /SYSTEM/i);
      const ev = purge.evidence as { standbyBefore: { standbyBytes: number }; standbyAfter: { standbyBytes: number }; languageMode: string };
      t.diagnostic(`standby ${Math.round(ev.standbyBefore.standbyBytes / 2 ** 20)} MiB -> ${Math.round(ev.standbyAfter.standbyBytes / 2 ** 20)} MiB; ${JSON.stringify(purge.did)}`);
      assert.equal(ev.languageMode, 'FullLanguage');
      assert.ok(ev.standbyAfter.standbyBytes < ev.standbyBefore.standbyBytes - 128 * 2 ** 20, 'the standby list lost at least the 128 MiB of the file read');

      const rotate = await invokeHelper('rotate', false, { timeoutMs: 300_000 });
      assert.equal(rotate.ok, true, JSON.stringify(rotate));
      assert.equal(rotate.failedStep, null);
      const did = rotate.did as string[];
      assert.ok(did.some((d) => /^stopped service Spooler/.test(d)) && did.some((d) => /^started service Spooler/.test(d)), did.join('; '));
      assert.equal(spawnSync('sc.exe', ['query', 'Spooler'], { encoding: 'utf8' }).stdout.includes('RUNNING'), true, 'the service runs again');

      // A script changed after install (here by us, as an administrator could) is refused by the task.
      appendFileSync(path.join(helperFolder(), 'Clear-WindowsCache.ps1'), '\n# changed\n');
      const refused = await invokeHelper('purge', false, { timeoutMs: 120_000 });
      assert.equal(refused.ok, false);
      assert.match((refused.couldNot as string[]).join(' '), /does not match the hash recorded at install/);

      const removed = await helperSetup({ action: 'uninstall' });
      assert.equal(removed.ok, true, JSON.stringify(removed));
      assert.notEqual(spawnSync('schtasks.exe', ['/query', '/tn', '\\FastBench\\ColdHelper']).status, 0, 'the task is gone');
    },
  );
});

describe('Windows only: open files on a share and a mapped drive', { skip }, () => {
  // The runner's own disk through its administrative share stands in for the NAS: an SMB path the redirector
  // names \Device\Mup\localhost\C$\…, and the same share mapped to a drive letter (…\;LanmanRedirector\;Y:…).
  const dir = path.join(lane.work, `unc-${process.pid}`);
  const file = path.join(dir, 'vol.zgy');
  const letter = 'Y:';
  let unc = '';
  let mapped = false;
  const held: import('node:child_process').ChildProcess[] = [];
  before(() => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, Buffer.alloc(4096, 3));
    const abs = path.resolve(file);
    unc = `\\\\localhost\\${abs[0]}$${abs.slice(2)}`;
    mapped = spawnSync('net', ['use', letter, `\\\\localhost\\${abs[0]}$`], { stdio: 'ignore' }).status === 0;
  });
  after(() => {
    for (const c of held) c.kill();
    if (mapped) spawnSync('net', ['use', letter, '/delete', '/y'], { stdio: 'ignore' });
  });

  async function holdAndList(files: string[]): Promise<string[]> {
    const ready = path.join(dir, `ready-${held.length}.txt`);
    held.push(spawn(lane.target, ['--hold', ready, '60000', ...files], { stdio: 'ignore' }));
    const pid = Number(await waitFor(() => (existsSync(ready) ? /ready pid=(\d+)/.exec(readFileSync(ready, 'utf8'))?.[1] : undefined), 15_000, 'target.exe --hold'));
    const lister = windowsOpenFilesLister();
    try {
      return (await lister.list(pid)) ?? [];
    } finally {
      lister.close?.();
    }
  }

  test('a file opened through \\\\server\\share is listed as UNC and classified by a UNC rule as NAS', async () => {
    const paths = await holdAndList([unc]);
    const classify = pathClassifier([{ class: 'NAS', prefix: unc.slice(0, unc.indexOf('$') + 1) + '\\' }], true, readDriveMap());
    const seen = paths.find((p) => p.toLowerCase() === unc.toLowerCase());
    assert.ok(seen, `${unc} not among ${paths.join(', ')}`);
    assert.equal(classify(seen), 'NAS');
  });

  test('a file opened through a mapped drive is listed as UNC and a rule written with the drive letter matches it', async (t) => {
    if (!mapped) return t.skip(`net use ${letter} failed on this runner`);
    const viaDrive = letter + path.resolve(file).slice(2);
    const paths = await holdAndList([viaDrive]);
    const drives = readDriveMap();
    assert.ok(drives.network[letter], `WNetGetConnectionW did not report ${letter}: ${JSON.stringify(drives)}`);
    const seen = paths.find((p) => p.toLowerCase() === unc.toLowerCase());
    assert.ok(seen, `${unc} (opened as ${viaDrive}) not among ${paths.join(', ')}`);
    assert.equal(pathClassifier([{ class: 'NAS', prefix: `${letter}\\` }], true, drives)(seen), 'NAS');
  });
});

// ---------------------------------------------------------------- metrics through PDH (pdhSampler.ts, windowsPerf.ts)
// What Wine's pdh.dll cannot show (it knows two counters, and one of them, % Processor Time, is a constant 5 %):
// real counters against oracles, the `Process` fallback's renumbering, a real SMB share, a routed interface, a
// service's process, and the cost of a tick on Windows. The runner is English, so the non-English display language
// (the reason for PdhAddEnglishCounterW) is still for docs/petrel-acceptance.md on a workstation.

/** Busy-waits this long: the CPU load a counter has to see. */
const burn = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

describe('Windows only: PDH counters against their oracles', { skip }, () => {
  test("\\Processor Information(_Total)\\% Processor Time follows the kernel's own CPU times (os.cpus) over the same second", async () => {
    const perf = loadWindowsPerf();
    const opened = perf.openQuery();
    assert.ok(opened.ok);
    const q = opened.query;
    try {
      const added = q.add('\\Processor Information(_Total)\\% Processor Time');
      assert.ok(added.ok, 'Processor Information exists on Windows 10/11 and Server 2016+');
      const busy = (cpus: ReturnType<typeof os.cpus>) => cpus.reduce((a, c) => a + c.times.user + c.times.sys + c.times.irq, 0);
      const total = (cpus: ReturnType<typeof os.cpus>) => cpus.reduce((a, c) => a + c.times.user + c.times.sys + c.times.irq + c.times.idle + c.times.nice, 0);
      const pairs: string[] = [];
      for (const work of [0, 600]) {
        q.collect();
        const c0 = os.cpus();
        burn(work);
        await sleep(1000 - work);
        q.collect();
        const c1 = os.cpus();
        const v = q.value(added.counter);
        assert.ok(v.ok);
        const truth = (100 * (busy(c1) - busy(c0))) / (total(c1) - total(c0));
        pairs.push(`${v.value.toFixed(1)} vs ${truth.toFixed(1)}`);
        assert.ok(Math.abs(v.value - truth) < 15, `PDH ${v.value.toFixed(1)} % vs os.cpus ${truth.toFixed(1)} % (${pairs.join('; ')})`);
      }
    } finally {
      q.close();
    }
  });

  test('`Process` (the fallback for Windows without Process V2): a pid is found by ID Process, and again after its image#N shifts', async () => {
    const perf = loadWindowsPerf();
    const opened = perf.openQuery();
    assert.ok(opened.ok);
    const q = opened.query;
    const script = 'setTimeout(() => {}, 30000)';
    const children = [0, 1, 2].map(() => spawn(process.execPath, ['-e', script], { stdio: 'ignore' }));
    try {
      await sleep(800);
      const ids = q.add('\\Process(*)\\ID Process');
      assert.ok(ids.ok);
      const names = () => {
        assert.ok(q.collect().ok);
        const items = q.items(ids.counter);
        assert.ok(items.ok);
        return items.items;
      };
      const now = names();
      const n = (name: string | undefined) => Number(/#(\d+)$/.exec(name ?? '')?.[1] ?? 0);
      // The child with the highest image#N: removing the others (all numbered below it) must renumber it.
      const named = children.map((c) => ({ c, name: instanceForPid(now, c.pid!) }));
      for (const x of named) assert.match(x.name ?? '', /^node(#\d+)?$/i, `pid ${x.c.pid} is a node instance (${x.name})`);
      const target = named.reduce((a, b) => (n(b.name) > n(a.name) ? b : a));
      for (const x of named) if (x !== target) x.c.kill();
      await Promise.all(named.filter((x) => x !== target).map((x) => new Promise((r) => x.c.once('exit', r))));
      const after = await waitFor(
        () => {
          const name = instanceForPid(names(), target.c.pid!);
          return name !== target.name ? name : undefined;
        },
        5000,
        `the instance name of pid ${target.c.pid} to shift from ${target.name}`,
      );
      assert.ok(n(after) < n(target.name), `renumbered down: ${target.name} → ${after}`);
      const id = q.add(`\\Process(${after})\\ID Process`);
      assert.ok(id.ok);
      q.collect();
      const v = q.value(id.counter);
      assert.ok(v.ok && v.value === target.c.pid, 'the new name is the same process');
    } finally {
      for (const c of children) c.kill();
      q.close();
    }
  });

  test(
    'the agent on a Windows machine: SMB share, cache volume, routed interface, a service as FAST, the target against its own CPU time; CPU per tick',
    { timeout: 90_000 },
    async (t) => {
      mkdirSync(lane.work, { recursive: true });
      const out = path.join(lane.work, `pdh-windows-${process.pid}`);
      // The administrative share of this machine is a real SMB share: reads through it are SMB client reads.
      const shareDir = path.join(os.tmpdir(), `fastbench-smb-${process.pid}`);
      mkdirSync(shareDir, { recursive: true });
      const local = path.join(shareDir, 'data.bin');
      writeFileSync(local, Buffer.alloc(32 << 20, 3));
      const unc = `\\\\localhost\\${local[0]}$${local.slice(2)}`;
      const smb = existsSync(unc);
      const busy = `const fs = require('fs'); const end = Date.now() + 30000; let i = 0;
      while (Date.now() < end) { fs.readFileSync(${JSON.stringify(smb ? unc : local)}); if (++i % 4 === 0) { const e = Date.now() + 50; while (Date.now() < e); } }`;
      const target = spawn(process.execPath, ['-e', busy], { stdio: 'ignore' });
      try {
        await sleep(500);
        const agent = await MetricsAgentClient.start({
          outDir: out,
          targetPid: target.pid!,
          command: [process.execPath, ...AGENT_NODE_FLAGS, lane.agent],
          helloTimeoutMs: 30_000,
          // EventLog always runs (in its own svchost): it stands in for the FAST service.
          watch: { nasShare: `\\\\localhost\\${local[0]}$`, cacheFolder: shareDir, fastService: 'EventLog', routeHost: '8.8.8.8' },
        });
        await sleep(6500);
        assert.equal((await agent.stop()).code, 0);
      } finally {
        target.kill();
      }
      const report = agentReportSchema.parse(JSON.parse(readFileSync(path.join(out, 'agent.json'), 'utf8')));
      const lines = readFileSync(path.join(out, 'metrics.csv'), 'utf8').trim().split(/\r?\n/);
      const at = new Map(lines[0]!.split(',').map((c, i) => [c, i]));
      const rows = lines.slice(1).map((l) => l.split(','));
      const col = (name: string) => rows.slice(1).map((r) => r[at.get(name)!]!);
      const numbers = (name: string) => col(name).every((v) => v !== '' && Number.isFinite(Number(v)));
      t.diagnostic(`sources: ${JSON.stringify(report.sources)}`);
      t.diagnostic(`CPU per tick on Windows (ms): ${JSON.stringify(report.sampleCpuMs)}`);
      assert.equal(report.sampler, 'pdh');
      assert.match(report.sources.cpu_pct!, /^pdh \\Processor Information\(_Total\)\\% Processor Time/);
      assert.ok(numbers('cpu_pct') && numbers('cpu_core_max_pct') && numbers('cpu_utility_pct'), 'CPU columns');
      assert.match(report.sources.proc_cpu_pct!, /^pdh \\Process V2\(image:pid\)/, 'Server 2022 has Process V2');
      for (const c of ['proc_cpu_pct', 'proc_rss_mb', 'proc_read_bps', 'fast_cpu_pct', 'fast_rss_mb', 'disk_read_mbps', 'disk_write_mbps'])
        assert.ok(numbers(c), `${c}: ${col(c).join(' ')}`);
      assert.match(report.sources.fast_cpu_pct!, /of service EventLog/);
      assert.match(report.sources.disk_read_mbps!, new RegExp(`LogicalDisk\\(${local[0]}:\\)`, 'i'));
      assert.match(
        report.sources.net_rx_mbps!,
        /^pdh \\Network (Interface|Adapter)\(.+\)\\Bytes Received\/sec.*routing to 8\.8\.8\.8/,
        'the interface that routes to the host, by name',
      );
      assert.ok(numbers('net_rx_mbps'), 'the routed interface has readings');
      assert.ok(
        col('proc_read_bps').some((v) => Number(v) > 10e6),
        `the target reads 32 MiB files: ${col('proc_read_bps').join(' ')}`,
      );
      if (!smb) return t.skip(`${unc} is not reachable here (no administrative share): SMB Client Shares not checked`);
      assert.match(report.sources.smb_read_mbps!, /instance /i, `the share's SMB Client Shares instance was seen: ${report.sources.smb_read_mbps}`);
      assert.ok(
        col('smb_read_req_ps').some((v) => Number(v) > 0),
        `reads through ${unc} are SMB read requests: ${col('smb_read_req_ps').join(' ')} (bytes ${col('smb_read_mbps').join(' ')})`,
      );
    },
  );
});
