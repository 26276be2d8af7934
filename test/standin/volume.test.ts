import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { FastcacheClient } from '../../extension/standin/fastcache/fastcacheClient';
import { DEV_STORE_ACCOUNT } from '../../extension/standin/storage/volumeUpload';
import { BlobReader } from '../../extension/standin/fastcache/blobReader';
import { FileBrickSource } from '../../extension/standin/volume/fileSource';
import { DEMO_SPEC, dimsForSize, generateVolume, headerFor } from '../../extension/standin/volume/generate';
import { blobEndpointAnswers, freePort, startAzurite } from '../../extension/standin/volume/localAzurite';
import { horizonDepth, makeGeology } from '../../extension/standin/volume/syntheticGeology';
import { devStoreSas } from '../../extension/standin/storage/volumeUpload';
import { TINY, bricksDigest, cli, sha, tempDir } from './harness';

test('generation is deterministic from the seed, and the header documents the volume', async () => {
  const dir = tempDir('gen');
  const a = await generateVolume(path.join(dir, 'a.fbvol'), TINY);
  const b = await generateVolume(path.join(dir, 'b.fbvol'), TINY);
  const c = await generateVolume(path.join(dir, 'c.fbvol'), { ...TINY, seed: 8 });
  assert.equal(a.sha256, b.sha256);
  assert.notEqual(a.sha256, c.sha256);
  assert.equal(a.sha256, sha(readFileSync(a.file)));
  assert.equal(readFileSync(`${a.file}.sha256`, 'utf8'), `${a.sha256}  a.fbvol\n`, 'sha256sum -c can check it');
  assert.equal(a.bytes, 4096 + 24 * 32 ** 3 * 2);
  assert.deepEqual(a.header, headerFor(TINY));
  assert.match(a.header.description!, /two normal faults/);
  assert.equal(existsSync(`${a.file}.partial`), false);
  const again = await generateVolume(a.file, TINY);
  assert.equal(again.created, false, 'an identical volume is reused, not rewritten');
  assert.equal((await generateVolume(a.file, TINY, { force: true })).created, true);
});

test('partial edge bricks are zero outside the volume; samples use the int16 range', async () => {
  const dir = tempDir('edge');
  const g = await generateVolume(path.join(dir, 'e.fbvol'), TINY);
  const src = await FileBrickSource.open(g.file);
  try {
    // Brick (2, 1, 3): i 64..95 (70 valid), j 32..63 (50 valid), k 96..127 (100 valid).
    const last = src.layout.brickIndex(2, 1, 3);
    const brick = (await src.readBricks([last])).get(last)!;
    const v = new Int16Array(brick.buffer, brick.byteOffset, brick.length / 2);
    const at = (di: number, dj: number, dk: number) => v[(di * 32 + dj) * 32 + dk]!;
    assert.notEqual(at(5, 17, 3), 0, 'inside the volume');
    assert.equal(at(6, 0, 0), 0, 'i = 70 is outside');
    assert.equal(at(0, 18, 0), 0, 'j = 50 is outside');
    assert.equal(at(0, 0, 4), 0, 'k = 100 is outside');
    let max = 0;
    for (const b of (await src.readBricks([...Array(24).keys()])).values()) {
      const all = new Int16Array(b.buffer, b.byteOffset, b.length / 2);
      for (const x of all) max = Math.max(max, Math.abs(x));
    }
    assert.ok(max > 16000 && max <= 32767, `strong reflectors use most of the int16 range (max ${max})`);
  } finally {
    await src.close();
  }
});

test('a strong reflector can be tracked trace to trace along an inline, across the faults', async () => {
  const spec = { dims: [64, 192, 256] as [number, number, number], sampleFormat: 'int16' as const, brickSize: 64, seed: 3 };
  const g = await generateVolume(path.join(tempDir('horizon'), 'h.fbvol'), spec);
  const geo = makeGeology(spec.seed, spec.dims);
  const src = await FileBrickSource.open(g.file);
  const inline = 30;
  const bricks = await src.readBricks(src.layout.inlineBricks(inline));
  const sample = (j: number, k: number) => {
    const b = bricks.get(src.layout.brickIndex(0, Math.floor(j / 64), Math.floor(k / 64)))!;
    return b.readInt16LE((((inline % 64) * 64 + (j % 64)) * 64 + (k % 64)) * 2);
  };
  await src.close();
  // A strong horizon in the middle of the section; the tracker follows the extremum of its polarity,
  // re-picking across a fault jump from the model (as an interpreter picks across a fault).
  const tau = geo.horizons.find((t) => horizonDepth(geo, inline, 0, t) > 80 && horizonDepth(geo, inline, 191, t) < 176)!;
  assert.ok(tau !== undefined, 'a strong horizon lies inside the section');
  let k = Math.round(horizonDepth(geo, inline, 0, tau));
  const polarity = Math.sign(sample(0, k)) || 1;
  let within = 0;
  for (let j = 1; j < 192; j++) {
    const expected = horizonDepth(geo, inline, j, tau);
    if (Math.abs(expected - horizonDepth(geo, inline, j - 1, tau)) > 3) k = Math.round(expected); // a fault
    let best = k;
    for (let d = -2; d <= 2; d++) if (polarity * sample(j, k + d) > polarity * sample(j, best)) best = k + d;
    k = best;
    if (Math.abs(k - expected) <= 1.5) within++;
  }
  assert.ok(within / 191 >= 0.95, `tracked within 1.5 samples on ${within} of 191 traces`);
});

test('dimsForSize makes brick multiples near the size asked for', () => {
  const d = dimsForSize(320, 'int16');
  assert.ok(d.every((n) => n % 64 === 0));
  const mib = (d[0] * d[1] * d[2] * 2) / 1048576;
  assert.ok(mib > 250 && mib < 400, `${mib} MiB`);
  assert.deepEqual(DEMO_SPEC.dims, [256, 1536, 512]);
});

test('standin data generates and uploads (starting Azurite when none answers); standin fastcache serves it with the defaults', async () => {
  const home = tempDir('home');
  const port = await freePort();
  const blob = `http://127.0.0.1:${port}/${DEV_STORE_ACCOUNT}/seismic/cli.fbvol`;
  const r = await cli(['standin', 'data', '--dims', '70x50x100', '--brick', '32', '--seed', '7', '--blob', blob, '--json'], { cwd: home, env: { FASTBENCH_STANDIN_HOME: home } });
  assert.equal(r.code, 0, r.err);
  const result = JSON.parse(r.out);
  assert.equal(result.file, path.join(home, 'nas', 'demo.fbvol'));
  assert.equal(result.upload.azuriteStarted, true);
  assert.match(r.err, /no Azurite at 127\.0\.0\.1:\d+: starting one/);
  assert.match(r.err, /generating: 100 %/);
  assert.equal(result.sha256, (await generateVolume(path.join(home, 'x.fbvol'), TINY)).sha256, 'same spec, same bytes');

  // Azurite was stopped; started again on its folder, it serves the same bytes.
  const azurite = await startAzurite(path.join(home, 'azurite'), port);
  try {
    const reader = new BlobReader(blob, devStoreSas(), 2);
    const props = await reader.properties();
    assert.equal(props.bytes, statSync(result.file).size);
    const all = Buffer.alloc(props.bytes);
    await reader.readRange(0, props.bytes, all);
    reader.close();
    assert.equal(sha(all), result.sha256);
    const again = await cli(['standin', 'data', '--dims', '70x50x100', '--brick', '32', '--seed', '7', '--blob', blob], { cwd: home, env: { FASTBENCH_STANDIN_HOME: home } });
    assert.equal(again.code, 0, again.err);
    assert.match(again.err, /already there: reused/);
    assert.match(again.err, /sha256 matches\): not uploaded again/);
  } finally {
    await azurite.stop();
  }

  // standin fastcache with the stand-in defaults: starts Azurite on its folder, serves, stops both on Ctrl-C.
  const stop = new AbortController();
  const running = cli(['standin', 'fastcache', '--blob', blob], { cwd: home, env: { FASTBENCH_STANDIN_HOME: home }, signal: stop.signal });
  const endpoint = path.join(home, 'fastcache.sock');
  let client: FastcacheClient | undefined;
  for (let i = 0; i < 200 && !client; i++) {
    client = await FastcacheClient.connect(endpoint).catch(() => undefined);
    if (!client) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(client, 'the daemon came up on the default endpoint');
  const hello = await client.hello();
  client.close();
  assert.equal(hello.file, path.join(home, 'mnt', 'fast', 'cli.fbvol'), 'the default mount is <home>/mnt/fast');
  assert.equal(hello.cacheFile, path.join(home, 'fastcache', 'cli.fbcache'));
  const fast = await FileBrickSource.open(hello.file);
  const nas = await FileBrickSource.open(result.file);
  assert.equal(bricksDigest(await fast.readBricks([0, 1, 2])), bricksDigest(await nas.readBricks([0, 1, 2])));
  await fast.close();
  await nas.close();
  stop.abort();
  const done = await running;
  assert.equal(done.code, 0, done.err);
  assert.match(done.out, /azurite +http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1 \(started here; stops with fastcache\)/);
  assert.equal(await blobEndpointAnswers(`http://127.0.0.1:${port}/${DEV_STORE_ACCOUNT}`), false, 'Azurite stopped with it');
});

test('standin data: bad options are exit 2 with a message naming the option', async () => {
  const cwd = tempDir('bad');
  for (const [args, expected] of [
    [['--dims', '512x512'], /--dims: expected INLINESxCROSSLINESxSAMPLES, e\.g\. 512x512x640, found "512x512"/],
    [['--format', 'float'], /--format: expected int8 or int16, found "float"/],
    [['--brick', '128'], /--brick: expected 64 \(or 32\/16 for tests\), found "128"/],
    [['--size', '10', '--dims', '64x64x64'], /give --dims or --size, not both/],
  ] as const) {
    const r = await cli(['standin', 'data', ...args], { cwd, env: { FASTBENCH_STANDIN_HOME: cwd } });
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, expected);
  }
  const sas = await cli(['standin', 'data', '--dims', '64x64x64', '--blob', 'https://acct.blob.core.windows.net/c1x/v.fbvol'], { cwd, env: { FASTBENCH_STANDIN_HOME: cwd } });
  assert.equal(sas.code, 1);
  assert.match(sas.err, /is not Azurite: set FASTBENCH_AZURE_SAS/);
});
