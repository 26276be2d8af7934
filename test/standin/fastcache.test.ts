import assert from 'node:assert/strict';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parseFastLogText } from '../../extension/core/fastlog/fastLogParsers';
import type { BrickRead } from '../../extension/standin/volume/brickSource';
import { FastcacheClient } from '../../extension/standin/fastcache/fastcacheClient';
import { FastcacheBrickSource } from '../../extension/standin/fastcache/fastcacheSource';
import { FileBrickSource } from '../../extension/standin/volume/fileSource';
import { VolumeLayout } from '../../extension/standin/volume/volumeFormat';
import { headerFor } from '../../extension/standin/volume/generate';
import { TINY, bricksDigest, startDaemon, world, type World } from './harness';

let w: World;
before(async () => {
  w = await world('fastcache');
});
after(async () => {
  await w?.cleanup();
});

const layout = new VolumeLayout(headerFor(TINY));
const logOf = (w: World) => parseFastLogText(readFileSync(path.join(w.dir, 'logs', 'fastcache.log'), 'utf8'));

test('an inline slice read from the NAS file and through fastcache is identical; the first read misses, the second hits', async () => {
  const daemon = await startDaemon(w);
  const nasReads: BrickRead[] = [];
  const fastReads: BrickRead[] = [];
  const nas = await FileBrickSource.open(w.volume, { onRead: (r) => nasReads.push(r) });
  const fast = await FastcacheBrickSource.connect(daemon.endpoint, { onRead: (r) => fastReads.push(r) });
  try {
    assert.equal(fast.path, path.join(w.dir, 'fastcache', 'tiny.fbcache'), 'the viewer holds the cache file in the cache folder open');
    for (const inline of [0, 33, 69]) {
      const bricks = layout.inlineBricks(inline);
      const a = await nas.readBricks(bricks);
      const b = await fast.readBricks(bricks);
      assert.equal(bricksDigest(b), bricksDigest(a), `inline ${inline}`);
    }
    assert.equal(nasReads.length, 24);
    assert.ok(nasReads.every((r) => r.source === 'file' && r.bytes === layout.brickBytes));
    assert.deepEqual(fastReads.map((r) => r.hit), Array(24).fill(false), 'all misses on a cold cache');
    fastReads.length = 0;
    const again = await fast.readBricks(layout.inlineBricks(40));
    assert.equal(bricksDigest(again), bricksDigest(await nas.readBricks(layout.inlineBricks(40))));
    assert.deepEqual(fastReads.map((r) => r.hit), Array(8).fill(true), 'the same brick row again: all hits');
  } finally {
    await fast.close();
    await nas.close();
    await daemon.stop();
  }
  const log = logOf(w);
  assert.equal(log.problems.length, 0, log.problems.map((p) => p.message).join('\n'));
  assert.equal(log.format, 'fastcache-v1');
  const reads = log.records.filter((r) => r.kind === 'read');
  // Inlines 0, 33, 69 each touch one brick row of 8 adjacent bricks; the 4th read (inline 40) hits row 1.
  assert.deepEqual(
    reads.map((r) => [r.firstBrick, r.lastBrick, r.result, r.bytes]),
    [
      [0, 7, 'miss', 8 * layout.brickBytes],
      [8, 15, 'miss', 8 * layout.brickBytes],
      [16, 23, 'miss', 8 * layout.brickBytes],
      [8, 15, 'hit', 8 * layout.brickBytes],
    ],
  );
  const fetched = log.records.filter((r) => r.kind === 'fetch').reduce((s, r) => s + r.bytes, 0);
  assert.equal(fetched, 24 * layout.brickBytes, 'every brick fetched exactly once');
  assert.ok(reads.every((r) => r.latencyMs >= 0 && r.tUnixMs > Date.parse('2024-01-01')));
});

test('a restarted daemon keeps what the previous run cached (Warm), and a rotated cache folder starts empty (Cold)', async () => {
  let daemon = await startDaemon(w);
  let client = await FastcacheClient.connect(daemon.endpoint);
  const warm = await client.stats();
  assert.equal(warm.presentBricks, 24, 'the first test filled the cache');
  await client.call({ type: 'suspend' }, 'suspended');
  renameSync(path.join(w.dir, 'fastcache'), path.join(w.dir, 'fastcache.rotated-test'));
  await client.call({ type: 'resume' }, 'resumed');
  assert.equal((await client.stats()).presentBricks, 0);
  client.close();
  await daemon.stop();

  daemon = await startDaemon(w);
  const reads: boolean[] = [];
  const src = await FastcacheBrickSource.connect(daemon.endpoint, { onRead: (r) => reads.push(r.hit!) });
  try {
    await src.readBricks([0, 1, 2]);
    assert.deepEqual(reads, [false, false, false], 'after the rotation every brick misses again');
  } finally {
    await src.close();
    await daemon.stop();
  }
});

test('read-ahead fetches the next brick row before it is asked for', async () => {
  const daemon = await startDaemon(w, ['--prefetch', 'readahead', '--cache-folder', path.join(w.dir, 'fc-ahead')]);
  const hits: boolean[] = [];
  const fast = await FastcacheBrickSource.connect(daemon.endpoint, { onRead: (r) => hits.push(r.hit!) });
  try {
    await fast.readBricks(layout.inlineBricks(0));
    const client = await FastcacheClient.connect(daemon.endpoint);
    for (let i = 0; i < 100 && (await client.stats()).presentBricks < 16; i++) await new Promise((r) => setTimeout(r, 20));
    client.close();
    hits.length = 0;
    await fast.readBricks(layout.inlineBricks(32));
    assert.deepEqual(hits, Array(8).fill(true), 'brick row 1 was read ahead');
  } finally {
    await fast.close();
    await daemon.stop();
  }
  assert.ok(logOf(w).records.some((r) => r.kind === 'prefetch' && r.firstBrick === 8 && r.result === 'ok'));
});

test('bad inputs give clear errors: missing blob, wrong header, truncated volume, bad brick, Azurite down', async () => {
  await assert.rejects(startDaemon(w, [], w.blobUrl.replace('tiny.fbvol', 'nothere.fbvol')), /nothere\.fbvol: reading properties: no such blob \(upload it with "fastbench standin data"\)/);

  const bogus = path.join(w.dir, 'bogus.fbvol');
  writeFileSync(bogus, Buffer.alloc(8192, 0x41));
  await assert.rejects(FileBrickSource.open(bogus), new RegExp(`${bogus.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not a FastBench volume \\(expected magic "FBVOL" at byte 0\\)`));
  const truncated = path.join(w.dir, 'truncated.fbvol');
  writeFileSync(truncated, readFileSync(w.volume).subarray(0, 100_000));
  await assert.rejects(FileBrickSource.open(truncated), /truncated\.fbvol: truncated: 100000 bytes, expected 1576960 for 70×50×100 int16 in 24 bricks of 32³/);
  await assert.rejects(FileBrickSource.open(path.join(w.dir, 'none.fbvol')), /none\.fbvol: cannot open the volume \(no such file\)/);
  const nas = await FileBrickSource.open(w.volume);
  await assert.rejects(nas.readBricks([3, 24]), /brick 24: expected an index from 0 to 23/);
  await assert.rejects(nas.readBricks([5, 4]), /sorted ascending/);
  await nas.close();

  const daemon = await startDaemon(w, ['--cache-folder', path.join(w.dir, 'fc-down')]);
  const fast = await FastcacheBrickSource.connect(daemon.endpoint);
  try {
    await w.azurite.stop();
    await assert.rejects(fast.readBricks([0, 1]), /tiny\.fbvol: cannot reach blob storage \(connection refused: is Azurite running\?\)/);
    await assert.rejects(FastcacheBrickSource.connect(path.join(w.dir, 'nobody.sock')), /nobody\.sock: no daemon is listening/);
  } finally {
    await fast.close();
    await daemon.stop();
  }
  const errors = logOf(w).records.filter((r) => r.result === 'error');
  assert.ok(errors.length > 0 && errors.every((r) => !/sig=/.test(r.detail ?? '')), 'fetch errors are logged, without the SAS');
});
