// The stand-in stack for real: sshd + LAN proxy + sshfs for the NAS, Azurite + WAN proxy + fastcache's FUSE
// mount for FAST, the config it writes, and that nothing is left running after stop(), Ctrl-C or kill -9.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { readStackState } from '../../extension/cli/standin/stackState';
import { startStandinStack } from '../../extension/cli/standin/standinStack';
import { applyCachePolicy } from '../../extension/core/cache/cachePolicy';
import { evict } from '../../extension/core/cache/pageCache';
import { loadConfig } from '../../extension/core/config/configFile';
import { mountsUnder } from '../../extension/standin/fastcache/mounts';
import { DEMO_SPEC, dimsForSize } from '../../extension/standin/volume/generate';
import { FileBrickSource } from '../../extension/standin/volume/fileSource';
import { REPO_ROOT, cli as fastbench, covered, readLinesAfter, readLines, tempDir } from './harness';

const SMALL = { ...DEMO_SPEC, dims: dimsForSize(8, 'int16') };
// Wide enough that a cached read stays under them on a loaded 2-core machine.
const WAN_RTT = 60;
const NAS_RTT = 25;
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const refuses = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });
/** Time of one read of `bricks` through `file`, opened just before (not timed: an sshfs open is a round trip itself). */
async function timedRead(file: string, bricks: number[]): Promise<number> {
  const src = await FileBrickSource.open(file);
  try {
    const t0 = performance.now();
    await src.readBricks(bricks);
    return performance.now() - t0;
  } finally {
    await src.close();
  }
}

test('the stack: a valid config on both mounts; uncached reads pay the RTT, cached ones do not; Cold makes them miss again; stop leaves nothing', async () => {
  const home = tempDir('stack');
  const stack = await startStandinStack({
    home,
    profile: `${WAN_RTT}ms/200mbit`,
    nasProfile: `${NAS_RTT}ms/1000mbit`,
    spec: SMALL,
    viewerScript: path.join(REPO_ROOT, 'dist', 'standin-viewer.js'),
  });
  const state = readStackState(path.join(home, 'stack.json'))!;
  const config = readFileSync(stack.configFile, 'utf8');
  let pids: number[] = [];
  try {
    const { config: c } = await loadConfig(stack.configFile);
    assert.equal(c.modes.A_shared!.dataPath, path.join(home, 'mnt', 'nas', 'demo.fbvol'));
    assert.equal(c.modes.B_fast!.dataPath, path.join(home, 'mnt', 'fast', 'demo.fbvol'));
    assert.equal(c.modes.B_fast!.logFormat, 'fastcache-v1');
    assert.deepEqual(c.target.arguments, [path.join(REPO_ROOT, 'dist', 'standin-viewer.js'), '--project', '{project}']);
    assert.deepEqual(
      c.pathRules.map((r) => r.class),
      ['NAS', 'FAST_cache', 'FAST_cache'],
    );
    assert.equal(JSON.parse(readFileSync(c.modes.B_fast!.project!, 'utf8')).volume, stack.paths.volumeB);
    assert.equal(stack.netem.mechanism, 'userspace-proxy', 'this kernel has no netem');
    assert.match(stack.netem.why ?? '', /netem/);
    assert.deepEqual(new Set(mountsUnder(path.join(home, 'mnt')).map((m) => m.fsType)), new Set(['fuse.sshfs', 'fuse.fastcache']));
    pids = Object.values(state.children).map((c) => c.pid);

    // B_fast: a brick not in the cache costs at least the WAN RTT; the same brick on a new open does not.
    const logFile = stack.paths.logFile;
    const missMs = await timedRead(stack.paths.volumeB, [3]);
    const hitMs = await timedRead(stack.paths.volumeB, [3]);
    assert.ok(missMs >= WAN_RTT, `uncached brick through the FAST mount: ${missMs.toFixed(1)} ms ≥ ${WAN_RTT} ms`);
    assert.ok(hitMs < WAN_RTT, `cached brick through the FAST mount: ${hitMs.toFixed(1)} ms < ${WAN_RTT} ms`);
    // A_shared: evicted from the client's page cache, a brick costs at least the LAN RTT; cached, it does not.
    await evict(stack.paths.volumeA);
    const nasMissMs = await timedRead(stack.paths.volumeA, [3]);
    const nasHitMs = await timedRead(stack.paths.volumeA, [3]);
    assert.ok(nasMissMs >= NAS_RTT, `uncached brick through sshfs: ${nasMissMs.toFixed(1)} ms ≥ ${NAS_RTT} ms`);
    assert.ok(nasHitMs < NAS_RTT, `page-cached brick through sshfs: ${nasHitMs.toFixed(1)} ms < ${NAS_RTT} ms`);

    // Byte-exact: both mounts against the source file.
    const source = sha256(path.join(home, 'nas', 'demo.fbvol'));
    assert.equal(sha256(stack.paths.volumeA), source, 'NAS mount');
    assert.equal(sha256(stack.paths.volumeB), source, 'FAST mount');

    // Cold after Warm, with the daemon suspended/resumed through the CLI's argv-style control.
    const cli = (action: string) => async () => {
      const r = await fastbench(['standin', 'fastcache', action, '--endpoint', stack.endpoint], { cwd: home });
      if (r.code !== 0) throw new Error(r.err);
      return r.out;
    };
    const coldB = await applyCachePolicy({
      policy: 'Cold',
      mode: 'B_fast',
      dataFiles: [stack.paths.volumeB],
      cacheFolder: stack.paths.cacheFolder,
      service: { name: 'fastcache', stop: cli('suspend'), start: cli('resume') },
    });
    assert.ok(coldB.ok, JSON.stringify(coldB.steps));
    const skip = readLines(logFile).length;
    const coldMs = await timedRead(stack.paths.volumeB, [3]);
    assert.ok(coldMs >= WAN_RTT, `after Cold the brick misses again: ${coldMs.toFixed(1)} ms`);
    assert.ok(covered(await readLinesAfter(logFile, skip, (l) => covered(l, [3], 'miss')), [3], 'miss'), 'the log says miss');
    const coldA = await applyCachePolicy({ policy: 'Cold', mode: 'A_shared', dataFiles: [stack.paths.volumeA] });
    assert.ok(coldA.ok, JSON.stringify(coldA.steps));
    assert.ok(coldA.residency[0]!.residentBefore > 0 && coldA.residency[0]!.residentAfter === 0, JSON.stringify(coldA.residency));
    assert.ok((await timedRead(stack.paths.volumeA, [3])) >= NAS_RTT, 'after Cold the NAS read pays the LAN again');
  } finally {
    await stack.stop();
  }
  assert.deepEqual(mountsUnder(path.join(home, 'mnt')), [], 'no mount after stop');
  assert.equal(existsSync(path.join(home, 'stack.json')), false);
  for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid} stopped`);
  const proxyPorts = [Number(new URL(JSON.parse(config).azure.accountUrl).port), JSON.parse(config).probe.nas.port];
  for (const port of proxyPorts) assert.ok(await refuses(port), `proxy port ${port} closed`);
});

/** `fastbench standin up --no-viewer --json` as a separate process; resolves with its first stdout line. */
function cliUp(home: string) {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'dist', 'cli.js'), 'standin', 'up', '--no-viewer', '--size', '4', '--profile', '20ms/500mbit', '--json'], {
    env: { ...process.env, FASTBENCH_STANDIN_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const up = new Promise<{ paths: { volumeB: string } }>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(JSON.parse(d.toString().split('\n')[0]!)));
    void exited.then((code) => reject(new Error(`standin up exited ${code}: ${err}`)));
  });
  return { child, up, exited, err: () => err };
}

test('the CLI: Ctrl-C stops everything; after kill -9 the next start cleans up what was left', async () => {
  const home = tempDir('stack-cli');
  const a = cliUp(home);
  await a.up;
  a.child.kill('SIGINT');
  assert.equal(await a.exited, 130, a.err()); // interrupted: the CLI's exit code for Ctrl-C
  assert.deepEqual(mountsUnder(path.join(home, 'mnt')), [], 'no mount after Ctrl-C');
  assert.equal(existsSync(path.join(home, 'stack.json')), false);

  const b = cliUp(home);
  await b.up;
  const left = readStackState(path.join(home, 'stack.json'))!;
  b.child.kill('SIGKILL');
  await b.exited;
  const c = cliUp(home);
  const up = await c.up;
  assert.match(c.err(), /stopped (sshd|azurite) \(pid \d+\) left by a stack that did not stop cleanly/);
  for (const [name, { pid }] of Object.entries(left.children)) assert.equal(alive(pid), false, `${name} (pid ${pid}) of the killed run is gone`);
  assert.equal(readFileSync(up.paths.volumeB).length > 0, true, 'the new stack serves');
  c.child.kill('SIGINT');
  assert.equal(await c.exited, 130, c.err());
  assert.deepEqual(mountsUnder(path.join(home, 'mnt')), []);
});
