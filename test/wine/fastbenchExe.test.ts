import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { hostPath, isWine, lane, laneUnavailable, sleep, Target, waitFor, XHelper } from './lane';

// fastbench.exe (npm run package:exe; run.sh builds it) on a Windows without Node: the CLI, and the driver and
// agent it starts as itself (--driver, --agent), with koffi, canvas, Chart.js and the scripts loaded from beside
// the exe. Run as a Windows program would be on a workstation: no NODE_PATH, from a working folder of its own.

const exe = hostPath(process.env.FASTBENCH_TEST_EXE ?? path.resolve(__dirname, '../../fastbench-win32-x64/fastbench.exe'));
const skip = laneUnavailable() ?? (existsSync(exe) ? undefined : `no ${exe} (npm run package:exe, or FASTBENCH_TEST_EXE)`);

/** The environment of a workstation shell: nothing that would let the exe find this repository's packages. */
function workstationEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['NODE_PATH', 'NODE_OPTIONS', 'FASTBENCH_DRIVER_BACKEND']) delete env[k];
  return env;
}

function fastbench(args: string[], cwd: string, timeoutMs = 60_000) {
  const t0 = performance.now();
  const r = spawnSync(exe, args, { cwd, env: workstationEnv(), encoding: 'utf8', timeout: timeoutMs, windowsHide: true });
  const ms = performance.now() - t0;
  const said = `fastbench.exe ${args.join(' ')} (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}, ${ms.toFixed(0)} ms)\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '', ms, said };
}

describe('fastbench.exe: the CLI, driver and agent as one Windows program', { skip }, () => {
  let work: string;
  let target: Target;

  before(async () => {
    work = path.join(lane.work, `exe-${process.pid}`);
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    target = await Target.start({ title: `FastBench Exe Target ${process.pid}`, x: 150, y: 120, w: 500, h: 360 });
  });
  after(async () => {
    await target?.stop();
  });

  test('--help and --version answer without Node installed', () => {
    const help = fastbench(['--help'], work);
    assert.equal(help.code, 0, help.said);
    for (const command of ['windows', 'attach', 'record', 'replay', 'probe', 'campaign', 'analyze'])
      assert.match(help.out, new RegExp(`^  ${command}\\b`, 'm'), `--help lists ${command}`);
    assert.ok(!/ExperimentalWarning|single-executable/i.test(help.err), `no Node warning on stderr: ${help.err}`);
    const version = fastbench(['--version'], work);
    assert.equal(version.code, 0, version.said);
    assert.equal(version.out.trim(), JSON.parse(readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')).version);
    console.log(`fastbench.exe --help: ${help.ms.toFixed(0)} ms (start-up of the exe under Wine)`);
  });

  test('windows lists the target window through the driver the exe starts as itself (fastbench.exe --driver)', () => {
    const r = fastbench(['windows', '--json'], work);
    assert.equal(r.code, 0, r.said);
    const listed = JSON.parse(r.out) as { backend: string; windows: Array<{ handle: string; title: string; pid: number; processImage: string; clientRect: object }> };
    assert.equal(listed.backend, 'win32');
    const me = listed.windows.find((w) => w.handle === target.ready.hwnd);
    assert.ok(me, `target ${target.ready.hwnd} in ${r.out}`);
    assert.equal(me.title, target.title);
    assert.equal(me.pid, target.ready.pid);
    assert.equal(me.processImage, 'target.exe');
    assert.deepEqual(me.clientRect, target.ready.client, 'the client rect the target logged');
  });

  test('attach finds the target by process image and by title', () => {
    const byImage = fastbench(['attach', '--process', 'target.exe', '--timeout', '20', '--json'], work);
    assert.equal(byImage.code, 0, byImage.said);
    const w = JSON.parse(byImage.out) as { handle: string; pid: number; title: string };
    assert.equal(w.handle, target.ready.hwnd);
    assert.equal(w.pid, target.ready.pid);
    const byTitle = fastbench(['attach', '--title', `^FastBench Exe Target ${process.pid}$`, '--timeout', '20'], work);
    assert.equal(byTitle.code, 0, byTitle.said);
    assert.match(byTitle.out, new RegExp(`window ${target.ready.hwnd}: "FastBench Exe Target ${process.pid}"`));
    assert.match(byTitle.out, /process {3}target\.exe/);
    const none = fastbench(['attach', '--title', '^no such window here$', '--timeout', '1'], work);
    assert.equal(none.code, 1, `a window that never appears fails the attach: ${none.said}`);
    assert.match(none.err, /^fastbench attach: /m);
  });

  /** `fastbench.exe probe` with the NAS test file in `folder` (a local folder, or a folder on an SMB share). */
  async function probeFolder(folder: string, name: string) {
    // The "NAS host" is a listener of this test, so the TCP RTT has something to connect to.
    const listener = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const port = (listener.address() as net.AddressInfo).port;
    try {
      const data = Buffer.alloc(8 << 20);
      for (let i = 0; i < data.length; i += 4096) data.writeUInt32LE(i, i);
      mkdirSync(folder, { recursive: true });
      const testFile = path.join(folder, 'vol.zgy');
      writeFileSync(testFile, data);
      writeFileSync(
        path.join(work, `${name}.json`),
        JSON.stringify({
          version: 1,
          target: { executable: lane.target, window: { titlePattern: 'x' } },
          modes: { A_shared: { dataPath: testFile } },
          campaign: { modes: ['A_shared'] },
          probe: { tries: 4, nas: { host: '127.0.0.1', port, testFile, streams: 2, writeTest: false } },
        }),
      );
      const r = fastbench(['probe', '--config', `${name}.json`, '--out', name, '--step-seconds', '0.5'], work, 120_000);
      assert.equal(r.code, 0, r.said);
      assert.match(r.out, /NAS +127\.0\.0\.1:\d+ +TCP connect RTT/);
      const out = path.join(work, name);
      const b = JSON.parse(readFileSync(path.join(out, 'baseline.json'), 'utf8')) as {
        nas: { tcpConnectRtt: { n: number }; read: { file: string; oneStream: { MBps: number; bytes: number }; unbuffered: boolean } };
        problems: string[];
      };
      assert.deepEqual(b.problems, []);
      assert.equal(b.nas.tcpConnectRtt.n, 4);
      assert.equal(b.nas.read.file.toLowerCase(), testFile.toLowerCase());
      assert.ok(b.nas.read.oneStream.MBps > 0 && b.nas.read.oneStream.bytes > 0, JSON.stringify(b.nas.read));
      for (const png of ['throughput_vs_streams.png', 'rtt_distribution.png']) {
        const head = readFileSync(path.join(out, png)).subarray(0, 8);
        assert.deepEqual([...head], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${png} is a PNG`);
      }
      const html = readFileSync(path.join(out, 'baseline.html'), 'utf8');
      assert.match(html, /<canvas id=/, 'interactive charts: Chart.js was found in vendor\\ beside the exe');
      assert.ok(html.includes('Chart.js v'), 'Chart.js is inlined');
      console.log(`fastbench.exe probe ${folder}: 1 stream ${b.nas.read.oneStream.MBps.toFixed(0)} MB/s, unbuffered ${b.nas.read.unbuffered}`);
    } finally {
      listener.close();
    }
  }

  test('probe on a folder: the NAS read sweep, baseline.json, PNG charts (canvas beside the exe) and baseline.html with Chart.js (vendor beside the exe)', async () => {
    await probeFolder(path.join(work, 'nas'), 'baseline');
  });

  const share = process.env.FASTBENCH_TEST_SMB_SHARE;
  test(
    'probe on an SMB share (UNC path)',
    { skip: share ? undefined : 'no SMB share here (FASTBENCH_TEST_SMB_SHARE; .github/workflows/windows.yml makes \\\\localhost\\fbshare)' },
    async () => {
      await probeFolder(path.join(share!, `fastbench-exe-${process.pid}`), 'baseline-smb');
    },
  );

  test(
    'record (the hook thread inside the exe) and replay (injection) of a click and a key, checked by the target',
    {
      skip:
        isWine && !lane.xhelperPort
          ? 'no X input helper (run the lane with bash test/wine/run.sh)'
          : !isWine
            ? 'needs X input (xdotool under Wine); real Windows: test/wine/recordReplay.test.ts covers the backend'
            : undefined,
    },
    async () => {
      const x = await XHelper.connect();
      try {
        const out = path.join(work, 'exe.fbrec.json');
        const title = `^${target.title}$`;
        const rec = spawn(exe, ['record', '--title', title, '--out', out, '--start', '--no-checkpoints', '--timeout', '20'], {
          cwd: work,
          env: workstationEnv(),
          stdio: ['ignore', 'pipe', 'pipe'],
          windowsHide: true,
        });
        let said = '';
        rec.stdout.on('data', (b: Buffer) => (said += b.toString()));
        rec.stderr.on('data', (b: Buffer) => (said += b.toString()));
        const exited = new Promise<number | null>((r) => rec.once('exit', (code) => r(code)));
        await waitFor(
          () => (/recording…/.test(said) ? true : undefined),
          30_000,
          () => `fastbench.exe record to start: ${said}`,
        );
        assert.ok(await x.focus(target.title), 'xdotool focused the target');
        const c = target.ready.client;
        const from = target.lines().length;
        await x.x(`mousemove ${c.x + 120} ${c.y + 90}`);
        await sleep(60);
        await x.x('click 1');
        await sleep(60);
        await x.x('key a');
        await sleep(150);
        await x.x('key F12');
        const code = await Promise.race([exited, sleep(20_000).then(() => 'F12 did not stop fastbench.exe record within 20 s')]);
        assert.equal(code, 0, `record exit (${said})`);
        assert.match(said, /saved .*exe\.fbrec\.json: \d+ events/);
        const recording = JSON.parse(readFileSync(out, 'utf8')) as { events: Array<{ type: string; x?: number; y?: number; key?: string; button?: string }> };
        const down = recording.events.find((e) => e.type === 'down');
        assert.deepEqual([down?.x, down?.y], [120, 90], `the click in client coordinates: ${JSON.stringify(recording.events)}`);
        assert.ok(
          recording.events.some((e) => e.type === 'key_down' && e.key === 'a'),
          'the key',
        );
        assert.ok(!recording.events.some((e) => e.key === 'F12'), 'F12 (stop) is not recorded');
        assert.deepEqual(
          target
            .lines()
            .slice(from)
            .filter((l) => l.kind === 'down')
            .map((l) => [Number(l.f.x), Number(l.f.y)]),
          [[120, 90]],
          "the person's click reached the target once",
        );

        const before = target.lines().length;
        const replay = fastbench(['replay', out, '--title', title], work, 60_000);
        assert.equal(replay.code, 0, replay.said);
        const after = target.lines().slice(before);
        assert.deepEqual(
          after.filter((l) => l.kind === 'down').map((l) => [Number(l.f.x), Number(l.f.y)]),
          [[120, 90]],
          'the replayed click landed where it was recorded',
        );
        assert.ok(
          after.some((l) => l.kind === 'key_down' && Number(l.f.vk) === 0x41),
          'the replayed key arrived',
        );
      } finally {
        x.close();
      }
    },
  );

  test('the agent the exe starts as itself (fastbench.exe --agent) samples the target into metrics.csv and stops on request', async () => {
    const out = path.join(work, 'agent-run');
    mkdirSync(out, { recursive: true });
    const agent = spawn(exe, ['--agent', '--out', out, '--pid', String(target.ready.pid), '--interval-ms', '250', '--no-open-files'], {
      env: workstationEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    let stderr = '';
    agent.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const seen: Array<{ type: string }> = [];
    const exited = new Promise<number | null>((r) => agent.once('exit', (code) => r(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no 3 heartbeats in 30 s; seen ${JSON.stringify(seen)}; stderr ${stderr}`)), 30_000);
      createInterface({ input: agent.stdout }).on('line', (line) => {
        seen.push(JSON.parse(line) as { type: string });
        if (seen.filter((m) => m.type === 'heartbeat').length >= 3) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    agent.stdin.write('{"type":"stop"}\n');
    assert.equal(await exited, 0, `agent exit code (stderr: ${stderr})`);
    assert.equal(seen[0]?.type, 'hello');
    assert.ok(
      seen.some((m) => m.type === 'stopped'),
      JSON.stringify(seen),
    );
    const rows = readFileSync(path.join(out, 'metrics.csv'), 'utf8').trim().split(/\r?\n/);
    assert.match(rows[0]!, /^t_unix_ms,/);
    assert.ok(rows.length >= 4, `header + ≥ 3 rows, got ${rows.length}`);
  });
});

// The .vsix's way to a CLI without Node: bin\fastbench.cmd, put on the PATH of VS Code's terminals by the extension
// (host/terminalCli.ts) with FASTBENCH_NODE naming VS Code's runtime. Here Windows node.exe stands in for Code.exe.
const repo = path.resolve(__dirname, '../../..');
const cmd = path.join(repo, 'bin', 'fastbench.cmd');
const cli = path.join(repo, 'dist', 'cli.js');
describe(
  "bin\\fastbench.cmd: the CLI run by VS Code's own runtime",
  { skip: laneUnavailable() ?? (existsSync(cli) ? undefined : `no ${cli} (node esbuild.mjs --only=cli)`) },
  () => {
    const run = (args: string[], env: NodeJS.ProcessEnv) => spawnSync('cmd.exe', ['/d', '/c', cmd, ...args], { env, encoding: 'utf8', timeout: 60_000, windowsHide: true });

    test('runs dist\\cli.js with FASTBENCH_NODE, passes the arguments and the exit code through', () => {
      // NODE_PATH stays: the repo's node_modules holds koffi without its win32 binary, which the lane keeps in
      // NODE_PATH's folder (a .vsix has it in dist/node_modules).
      const env = { ...process.env, FASTBENCH_NODE: process.execPath };
      const version = run(['--version'], env);
      assert.equal(version.status, 0, `${version.stdout}${version.stderr}`);
      assert.equal(version.stdout.trim(), JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')).version);
      const help = run(['attach', '--help'], env);
      assert.equal(help.status, 0);
      assert.match(help.stdout, /^Usage: fastbench attach/m);
      const bad = run(['no-such-command'], env);
      assert.equal(bad.status, 2, 'bad input: exit code 2 comes back through the script');
      assert.match(bad.stderr, /unknown command "no-such-command"/);
    });

    test('without FASTBENCH_NODE it says what to do and exits 2', () => {
      const env = workstationEnv();
      delete env.FASTBENCH_NODE;
      const r = run(['--version'], env);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /FASTBENCH_NODE is not set; open a new terminal in VS Code/);
    });
  },
);
