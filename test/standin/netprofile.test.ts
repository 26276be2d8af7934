import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startDelayProxy } from '../../extension/core/netprofile/delayProxy';
import { createWanNamespace, netemAvailable } from '../../extension/core/netprofile/netns';
import { NET_PROFILES, netProfile } from '../../extension/core/netprofile/profiles';
import { BlobReader } from '../../extension/standin/fastcache/blobReader';
import { startAzurite } from '../../extension/standin/volume/localAzurite';
import { readVia, startDaemon, world, type World } from './harness';
import { parseFastLogText } from '../../extension/core/fastlog/fastLogParsers';
import { readFileSync } from 'node:fs';

let w: World;
before(async () => {
  w = await world('wan');
});
after(async () => {
  await w?.cleanup();
});

test('profiles: the documented names, and RTT/rate for a site of its own', () => {
  assert.deepEqual(
    NET_PROFILES.map((p) => p.name),
    ['lan', 'same-region', 'site-expressroute', 'cross-region', 'intercontinental'],
  );
  assert.deepEqual(netProfile('25ms/300mbit'), { name: '25ms/300mbit', rttMs: 25, mbps: 300, description: 'custom' });
  assert.throws(() => netProfile('moon'), /network profile "moon": expected one of lan, same-region, .* or RTTms\/RATEmbit like 25ms\/300mbit/);
});

test('the delay proxy adds the profile RTT to every request and caps the rate', async () => {
  const u = new URL(w.location.accountUrl);
  const proxy = await startDelayProxy({ host: u.hostname, port: Number(u.port) }, netProfile('40ms/100mbit'));
  const via = w.blobUrl.replace(`:${u.port}/`, `:${proxy.port}/`);
  const direct = new BlobReader(w.blobUrl, w.sas, 1);
  const wan = new BlobReader(via, w.sas, 1);
  try {
    const time = async (fn: () => Promise<unknown>) => {
      const t0 = performance.now();
      await fn();
      return performance.now() - t0;
    };
    await direct.properties();
    const first = await time(() => wan.properties());
    const direct1 = await time(() => direct.properties());
    const wan1 = await time(() => wan.properties());
    assert.ok(first >= 80, `a new connection pays the handshake RTT too: ${first.toFixed(1)} ms`);
    assert.ok(wan1 >= 40 && wan1 < 40 + direct1 + 60, `one request, one RTT: ${wan1.toFixed(1)} ms (direct ${direct1.toFixed(1)} ms)`);
    const size = 1_048_576;
    const t = await time(() => wan.readRange(4096, size, Buffer.alloc(size)));
    const floor = 40 + ((size * 8) / 100e6) * 1000; // RTT + 1 MiB at 100 Mbit/s ≈ 124 ms
    assert.ok(t >= floor * 0.95 && t < floor + 300, `1 MiB GET: ${t.toFixed(0)} ms, expected ≥ ${floor.toFixed(0)} ms`);
  } finally {
    direct.close();
    wan.close();
    await proxy.close();
  }
});

test('fastcache behind the WAN: every cold miss shows at least one RTT in its log line; hits do not', async () => {
  const u = new URL(w.location.accountUrl);
  const proxy = await startDelayProxy({ host: u.hostname, port: Number(u.port) }, netProfile('cross-region'));
  const daemon = await startDaemon(w, ['--cache-folder', path.join(w.dir, 'fc-wan'), '--log', path.join(w.dir, 'wan.log')], w.blobUrl.replace(`:${u.port}/`, `:${proxy.port}/`));
  try {
    await readVia(daemon.file, [0, 1, 2, 3]);
    await readVia(daemon.file, [0, 1, 2, 3]);
  } finally {
    await daemon.stop();
    await proxy.close();
  }
  const reads = parseFastLogText(readFileSync(path.join(w.dir, 'wan.log'), 'utf8')).records.filter((r) => r.kind === 'read');
  const misses = reads.filter((r) => r.result === 'miss');
  const hits = reads.filter((r) => r.result === 'hit' && r.firstBrick !== undefined);
  assert.ok(misses.length > 0 && hits.length > 0, reads.map((r) => r.result).join(','));
  assert.ok(
    misses.every((r) => r.latencyMs >= 30),
    `every miss ≥ the 30 ms RTT: ${misses.map((r) => r.latencyMs.toFixed(1)).join(', ')}`,
  );
  // A hit never crosses the link: a ratio to the fastest miss holds on a loaded machine, where a fixed few ms need not.
  const fastestMiss = Math.min(...misses.map((r) => r.latencyMs));
  assert.ok(
    hits.every((r) => r.latencyMs * 3 < fastestMiss),
    `hits ${hits.map((r) => r.latencyMs.toFixed(1)).join(', ')} vs fastest miss ${fastestMiss.toFixed(1)} ms`,
  );
});

test('kernel WAN (netns + tc netem): where the kernel has no netem, it says clearly why it is off', async (t) => {
  const available = await netemAvailable();
  if (available.ok) return t.skip('this kernel has netem: the next test runs the WAN namespace');
  assert.match(available.why, /netem|root|Linux-only|veth/);
  await assert.rejects(
    createWanNamespace(netProfile('cross-region'), 'fbwantest'),
    new RegExp(`WAN emulation \\(netns \\+ tc netem\\) is off: .*use the userspace delay proxy instead`),
  );
  if (process.platform === 'linux') assert.doesNotMatch(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }), /fbwantest/, 'nothing left behind');
});

test("kernel WAN (netns + tc netem): a namespace with the profile's delay and rate", async (t) => {
  const available = await netemAvailable();
  if (!available.ok) return t.skip(`netem unavailable here: ${available.why}`);
  const ns = await createWanNamespace(netProfile('30ms/500mbit'), 'fbwantest', '10.213.7');
  try {
    const azurite = await startAzurite(path.join(w.dir, 'azurite-ns'), 10000, ns.cloudAddress, ns.wrap);
    try {
      const reader = new BlobReader(`${azurite.accountUrl}/seismic/none.fbvol`, w.sas, 1);
      const t0 = performance.now();
      await assert.rejects(reader.properties(), /no such blob|container does not exist/);
      assert.ok(performance.now() - t0 >= 30, 'the request crossed the shaped link');
      reader.close();
    } finally {
      await azurite.stop();
    }
  } finally {
    await ns.close();
  }
});
