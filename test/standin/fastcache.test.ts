import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parseFastLogText } from '../../extension/core/fastlog/fastLogParsers';
import { READAHEAD_WINDOW_MIB, parsePrefetch } from '../../extension/standin/fastcache/daemon';
import { FastcacheClient } from '../../extension/standin/fastcache/fastcacheClient';
import { mountsUnder } from '../../extension/standin/fastcache/mounts';
import { applyCachePolicy } from '../../extension/core/cache/cachePolicy';
import { startDelayProxy } from '../../extension/core/netprofile/delayProxy';
import { netProfile } from '../../extension/core/netprofile/profiles';
import { FileBrickSource } from '../../extension/standin/volume/fileSource';
import { VolumeLayout } from '../../extension/standin/volume/volumeFormat';
import { headerFor } from '../../extension/standin/volume/generate';
import { TINY, bricksDigest, covered, readLines, readLinesAfter, readVia, startDaemon, world, type World } from './harness';

let w: World;
before(async () => {
  w = await world('fastcache');
});
after(async () => {
  await w?.cleanup();
});

const layout = new VolumeLayout(headerFor(TINY));
const logFile = (w: World) => path.join(w.dir, 'logs', 'fastcache.log');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('the volume on the FUSE mount is an ordinary file: byte-exact with the source, misses first, hits on the next open', async () => {
  const daemon = await startDaemon(w);
  try {
    assert.equal(daemon.file, path.join(w.dir, 'mnt', 'fast', 'tiny.fbvol'));
    assert.deepEqual(readdirSync(path.join(w.dir, 'mnt', 'fast')), ['tiny.fbvol']);
    assert.ok(mountsUnder(path.join(w.dir, 'mnt')).some((m) => m.fsType === 'fuse.fastcache'));
    for (const inline of [0, 33, 69]) {
      const bricks = layout.inlineBricks(inline);
      assert.equal(bricksDigest(await readVia(daemon.file, bricks)), bricksDigest(await readVia(w.volume, bricks)), `inline ${inline}`);
    }
    const before = readLines(logFile(w)).length;
    assert.equal(bricksDigest(await readVia(daemon.file, layout.inlineBricks(40))), bricksDigest(await readVia(w.volume, layout.inlineBricks(40))));
    const row1 = layout.inlineBricks(40);
    const again = await readLinesAfter(logFile(w), before, (l) => covered(l, row1, 'hit'));
    assert.ok(covered(again, row1, 'hit') && again.every((l) => l.result === 'hit'), `brick row 1 again, new open: all hits (${JSON.stringify(again)})`);
    // The whole file, as any program reads it.
    assert.equal(sha256(readFileSync(daemon.file)), sha256(readFileSync(w.volume)));
  } finally {
    await daemon.stop();
  }
  assert.equal(mountsUnder(path.join(w.dir, 'mnt')).length, 0, 'the daemon unmounted on stop');
  const log = parseFastLogText(readFileSync(logFile(w), 'utf8'));
  assert.equal(log.problems.length, 0, log.problems.map((p) => p.message).join('\n'));
  assert.equal(log.format, 'fastcache-v1');
  const reads = log.records.filter((r) => r.kind === 'read');
  // Inlines 0, 33, 69 each touch one brick row of 8 adjacent bricks: every brick of them missed once.
  const missed = new Set<number>();
  for (const r of reads.filter((r) => r.result === 'miss')) for (let b = r.firstBrick!; b <= r.lastBrick!; b++) missed.add(b);
  for (const b of [...layout.inlineBricks(0), ...layout.inlineBricks(33), ...layout.inlineBricks(69)]) assert.ok(missed.has(b), `brick ${b} missed once`);
  const fetched = log.records.filter((r) => r.kind === 'fetch').reduce((s, r) => s + r.bytes, 0);
  assert.equal(fetched, layout.brickCount * layout.brickBytes, 'every brick fetched exactly once (the whole-file read fetched the rest)');
  assert.ok(reads.every((r) => r.latencyMs >= 0 && r.tUnixMs > Date.parse('2024-01-01')));
});

test('a restarted daemon keeps what the previous run cached (Warm), and a rotated cache folder starts empty (Cold)', async () => {
  let daemon = await startDaemon(w);
  const client = await FastcacheClient.connect(daemon.endpoint);
  try {
    assert.equal((await client.stats()).presentBricks, layout.brickCount, 'the first test filled the cache');
    assert.equal((await client.hello()).file, daemon.file);
    await client.call({ type: 'suspend' }, 'suspended');
    renameSync(path.join(w.dir, 'fastcache'), path.join(w.dir, 'fastcache.rotated-test'));
    await client.call({ type: 'resume' }, 'resumed');
    assert.equal((await client.stats()).presentBricks, 0);
  } finally {
    client.close();
    await daemon.stop();
  }
  daemon = await startDaemon(w);
  try {
    const before = readLines(logFile(w)).length;
    assert.equal(bricksDigest(await readVia(daemon.file, [0, 1, 2])), bricksDigest(await readVia(w.volume, [0, 1, 2])));
    const lines = await readLinesAfter(logFile(w), before, (l) => covered(l, [0, 1, 2], 'miss'));
    assert.ok(covered(lines, [0, 1, 2], 'miss'), `after the rotation every brick misses again: ${JSON.stringify(lines)}`);
  } finally {
    await daemon.stop();
  }
});

test('--kernel-cache: a re-read on a new open is served by the page cache (no daemon read); after a Cold rotation the next open reads through the daemon again, and misses', async () => {
  const folder = path.join(w.dir, 'fc-kernel');
  const log = path.join(w.dir, 'kernel.log');
  const daemon = await startDaemon(w, ['--kernel-cache', '--cache-folder', folder, '--log', log]);
  const client = await FastcacheClient.connect(daemon.endpoint);
  const bricks = layout.inlineBricks(40);
  const reads = () => parseFastLogText(readFileSync(log, 'utf8')).records.filter((r) => r.kind === 'read');
  try {
    assert.equal(bricksDigest(await readVia(daemon.file, bricks)), bricksDigest(await readVia(w.volume, bricks)));
    await client.stats(); // drains the hit ring into the log
    const first = reads().length;
    assert.ok(first > 0, 'the first read went through the daemon');
    assert.equal(bricksDigest(await readVia(daemon.file, bricks)), bricksDigest(await readVia(w.volume, bricks)));
    await client.stats();
    assert.equal(reads().length, first, 'the second open kept the pages: no read reached the daemon');
    await client.call({ type: 'suspend' }, 'suspended');
    renameSync(folder, `${folder}.rotated`);
    await client.call({ type: 'resume' }, 'resumed');
    assert.equal(bricksDigest(await readVia(daemon.file, bricks)), bricksDigest(await readVia(w.volume, bricks)));
    await client.stats();
    await readLinesAfter(log, 0, (ls) => ls.slice(first).some((l) => l.result === 'miss'));
    const after = reads().slice(first);
    assert.ok(
      after.length > 0 && after.some((r) => r.result === 'miss'),
      `after the rotation the open dropped the pages and the reads missed: ${JSON.stringify(after.map((r) => r.result))}`,
    );
  } finally {
    client.close();
    await daemon.stop();
  }
});

test('reads wait while the daemon is suspended and go on after resume', async () => {
  const daemon = await startDaemon(w, ['--cache-folder', path.join(w.dir, 'fc-suspend')]);
  const client = await FastcacheClient.connect(daemon.endpoint);
  try {
    await client.call({ type: 'suspend' }, 'suspended');
    let done = false;
    const reading = readVia(daemon.file, [5]).then((r) => ((done = true), r));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(done, false, 'held while suspended');
    await client.call({ type: 'resume' }, 'resumed');
    assert.equal(bricksDigest(await reading), bricksDigest(await readVia(w.volume, [5])));
  } finally {
    client.close();
    await daemon.stop();
  }
});

test('a Cold while an application is reading completes: the mount is opened only while fastcache runs; a suspend that outlives its timeout makes the resume fail', async () => {
  // A slow link keeps the reader's GETs in flight when the Cold suspends fastcache. Reads arriving while it
  // is suspended are held, and with them the single-threaded FUSE loop: the Cold's eviction of the mount's
  // file, done while suspended before, hung until the daemon resumed on its own 120 s later, on the cache
  // it should have dropped (the next "Cold" run was all hits). It is done after the resume now.
  const proxy = await startDelayProxy({ host: new URL(w.azurite.accountUrl).hostname, port: w.azurite.port }, netProfile('400ms/1000mbit'));
  const folder = path.join(w.dir, 'fc-underway');
  const daemon = await startDaemon(w, ['--cache-folder', folder], w.blobUrl.replace(`:${w.azurite.port}/`, `:${proxy.port}/`));
  const client = await FastcacheClient.connect(daemon.endpoint);
  try {
    const bricks = layout.inlineBricks(40);
    // The reader is its own process, as the application is: in this one its blocked reads would hold
    // libuv's 4 pool threads, and the Cold's own file opens would wait behind them.
    const ranges = bricks.map((b) => [layout.brickOffset(b), layout.brickBytes]);
    const digestOf = `const fs = require('fs'); const h = require('crypto').createHash('sha256'); const fd = fs.openSync(process.argv[1], 'r');
      for (const [o, n] of JSON.parse(process.argv[2])) { const b = Buffer.alloc(n); fs.readSync(fd, b, 0, n, o); h.update(b); } process.stdout.write(h.digest('hex'));`;
    const reading = new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['-e', digestOf, daemon.file, JSON.stringify(ranges)], (e, out, err) => (e ? reject(new Error(`${e.message} ${err}`)) : resolve(out))),
    );
    await new Promise((r) => setTimeout(r, 150));
    let timer: NodeJS.Timeout | undefined;
    const cold = applyCachePolicy({
      policy: 'Cold',
      mode: 'B_fast',
      dataFiles: [daemon.file],
      cacheFolder: folder,
      keepRotated: 0,
      service: {
        name: 'fastcache',
        stop: async () => (await client.call({ type: 'suspend' }, 'suspended'), 'suspended'),
        start: async () => (await client.call({ type: 'resume' }, 'resumed'), 'resumed'),
      },
    });
    const report = await Promise.race([
      cold,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the Cold did not complete within 30 s (before the fix: 120 s)')), 30_000))),
    ]).finally(() => clearTimeout(timer));
    assert.equal(report.ok, true, JSON.stringify(report.steps));
    assert.deepEqual(
      report.steps.map((s) => s.step),
      ['stop-service', 'rotate-cache', 'start-service', 'evict', 'verify-residency'],
    );
    const expected = createHash('sha256');
    const volume = readFileSync(w.volume);
    for (const [o, n] of ranges) expected.update(volume.subarray(o!, o! + n!));
    assert.equal(await reading, expected.digest('hex'), 'the read held over the Cold got the right bytes');
    assert.match(report.steps.find((s) => s.step === 'rotate-cache')!.detail, /^rotated .*fc-underway → fc-underway\.rotated-/);

    await client.call({ type: 'suspend', timeoutMs: 300 }, 'suspended');
    await new Promise((r) => setTimeout(r, 700));
    await assert.rejects(client.call({ type: 'resume' }, 'resumed'), /resumed on its own after 300 ms suspended; the Cold rotation around it is not trustworthy/);
    await client.call({ type: 'resume' }, 'resumed'); // said once: a later resume is plain again
  } finally {
    client.close();
    await daemon.stop();
    await proxy.close();
  }
});

test('a second suspend while the first is still draining reads answers only when the cache is closed, not at once', async () => {
  const proxy = await startDelayProxy({ host: new URL(w.azurite.accountUrl).hostname, port: w.azurite.port }, netProfile('400ms/1000mbit'));
  const daemon = await startDaemon(w, ['--cache-folder', path.join(w.dir, 'fc-twice')], w.blobUrl.replace(`:${w.azurite.port}/`, `:${proxy.port}/`));
  const [first, second] = await Promise.all([FastcacheClient.connect(daemon.endpoint), FastcacheClient.connect(daemon.endpoint)]);
  try {
    const brick = layout.inlineBricks(40)[0]!;
    const reading = new Promise<void>((resolve, reject) =>
      execFile(
        process.execPath,
        [
          '-e',
          `const fs = require('fs'); const fd = fs.openSync(process.argv[1], 'r'); fs.readSync(fd, Buffer.alloc(${layout.brickBytes}), 0, ${layout.brickBytes}, ${layout.brickOffset(brick)});`,
          daemon.file,
        ],
        (e, _out, err) => (e ? reject(new Error(`${e.message} ${err}`)) : resolve()),
      ),
    );
    // Until the read has reached the daemon (its GET then spends 400 ms on the link).
    for (let i = 0; i < 500 && (await first.stats()).requests === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const t0 = performance.now();
    const answered = (c: FastcacheClient) => c.call({ type: 'suspend', timeoutMs: 30_000 }, 'suspended').then(() => performance.now() - t0);
    const [a, b] = await Promise.all([answered(first), answered(second)]);
    assert.ok(a >= 150 && b >= 150, `both suspends waited for the read in flight: ${a.toFixed(0)} and ${b.toFixed(0)} ms`);
    await first.call({ type: 'resume' }, 'resumed');
    await reading;
  } finally {
    first.close();
    second.close();
    await daemon.stop();
    await proxy.close();
  }
});

test('read-ahead fetches the next brick row before it is asked for (a window of one row)', async () => {
  const daemon = await startDaemon(w, [
    '--prefetch',
    `readahead:${layout.bricks[1] * layout.bricks[2]}`,
    '--cache-folder',
    path.join(w.dir, 'fc-ahead'),
    '--log',
    path.join(w.dir, 'ahead.log'),
  ]);
  let before = 0;
  try {
    await readVia(daemon.file, layout.inlineBricks(0));
    const client = await FastcacheClient.connect(daemon.endpoint);
    // Until the read-ahead settles (≥ 16 bricks, unchanged for 300 ms; up to 10 s on a loaded machine): the
    // kernel's own readahead may have asked for bricks past row 1, so a count alone does not say row 1 is in.
    let last = -1;
    let stableSince = performance.now();
    for (let i = 0; i < 500; i++) {
      const present = (await client.stats()).presentBricks;
      if (present !== last) {
        last = present;
        stableSince = performance.now();
      } else if (present >= 16 && performance.now() - stableSince >= 300) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(last >= 16, 'rows 0 and 1 are in the cache');
    client.close();
    before = readLines(path.join(w.dir, 'ahead.log')).length;
    await readVia(daemon.file, layout.inlineBricks(32));
    const row1 = layout.inlineBricks(32);
    const lines = await readLinesAfter(path.join(w.dir, 'ahead.log'), before, (l) => covered(l, row1, 'hit'));
    // The kernel's readahead may run past row 1 (into bricks nobody read ahead): only reads within row 1 count.
    const within = lines.filter((l) => l.first >= row1[0]! && l.last <= row1.at(-1)!);
    assert.ok(covered(lines, row1, 'hit') && within.every((l) => l.result === 'hit'), `brick row 1 was read ahead: ${JSON.stringify(lines)}`);
  } finally {
    await daemon.stop();
  }
  // Every brick of row 1 was fetched before the application asked for row 1; the read-ahead started it (row 1's
  // first brick came by a prefetch GET). The kernel's own readahead of the FUSE file may ask for the rest of the
  // row first (an on-demand fetch racing the prefetch), which is still "before it is asked for".
  const log = readFileSync(path.join(w.dir, 'ahead.log'), 'utf8');
  const all = parseFastLogText(log).records;
  // The records logged before the first read of row 1 (`before` reads came first).
  let reads = 0;
  const cut = all.findIndex((r) => r.kind === 'read' && ++reads > before);
  const beforeRow1 = cut < 0 ? all : all.slice(0, cut);
  const fetchedBefore = (b: number) => beforeRow1.some((r) => r.kind !== 'read' && r.result === 'ok' && r.firstBrick! <= b && b <= r.lastBrick!);
  const describeLog = () => all.map((r) => `${r.kind} ${r.firstBrick}-${r.lastBrick} ${r.result}`).join('; ');
  const row1 = layout.inlineBricks(32);
  assert.ok(
    all.some((r) => r.kind === 'prefetch' && r.result === 'ok' && r.firstBrick! <= row1[0]! && row1[0]! <= r.lastBrick!),
    `brick ${row1[0]} came by a prefetch GET; the log: ${describeLog()}`,
  );
  for (const b of row1) assert.ok(fetchedBefore(b), `brick ${b} was in the cache before row 1 was read; the log: ${describeLog()}`);
});

test('read-ahead queues whole ranges: a file read brick by brick is fetched in a few range-sized GETs, not one GET a brick', async () => {
  // Window 8 bricks, ranges of 8 (1 MiB of 64 KiB bricks is 16, capped at the window). A window that slid one
  // brick per read queued a one-brick GET for every read after the first two ranges: ~17 GETs for 24 bricks.
  const logFile = path.join(w.dir, 'ranges.log');
  const daemon = await startDaemon(w, ['--prefetch', 'readahead:8', '--range-mib', '1', '--cache-folder', path.join(w.dir, 'fc-ranges'), '--log', logFile]);
  try {
    const src = await FileBrickSource.open(daemon.file, { concurrency: 1 });
    try {
      for (let b = 0; b < layout.brickCount; b++) await src.readBricks([b]);
    } finally {
      await src.close();
    }
  } finally {
    await daemon.stop();
  }
  const gets = parseFastLogText(readFileSync(logFile, 'utf8')).records.filter((r) => r.kind !== 'read');
  const describe = gets.map((r) => `${r.kind} ${r.firstBrick}-${r.lastBrick}`).join('; ');
  const prefetches = gets.filter((r) => r.kind === 'prefetch');
  assert.equal(layout.brickCount, 24);
  // The kernel's own read-ahead (wider as root) may add demand fetches; only the read-ahead GETs are fastcache's.
  assert.ok(prefetches.length >= 2, `${gets.length} GETs for ${layout.brickCount} bricks: ${describe}`);
  for (const r of prefetches) {
    const bricks = r.lastBrick! - r.firstBrick! + 1;
    assert.ok(bricks === 8 || r.lastBrick === layout.brickCount - 1, `a read-ahead GET of ${bricks} brick(s) short of the range and the file's end: ${describe}`);
  }
});

test('the default read-ahead is a window in bytes, whatever the geometry: 8 MiB of 64 KiB bricks is 128', async () => {
  assert.deepEqual(parsePrefetch('readahead'), { kind: 'readahead', mib: READAHEAD_WINDOW_MIB });
  assert.deepEqual(parsePrefetch('readahead:2MiB'), { kind: 'readahead', mib: 2 });
  assert.deepEqual(parsePrefetch('readahead:5'), { kind: 'readahead', bricks: 5 });
  assert.throws(() => parsePrefetch('readahead:row'), /--prefetch: expected off, readahead, readahead:NMiB or readahead:N \(N bricks > 0\), found "readahead:row"/);
  const daemon = await startDaemon(w, ['--prefetch', 'readahead', '--cache-folder', path.join(w.dir, 'fc-window'), '--log', path.join(w.dir, 'window.log')]);
  const client = await FastcacheClient.connect(daemon.endpoint);
  try {
    assert.equal(layout.brickBytes, 64 * 1024);
    assert.equal((await client.hello()).prefetch, `readahead:${(READAHEAD_WINDOW_MIB * 1024) / 64}`);
  } finally {
    client.close();
    await daemon.stop();
  }
});

test('bad inputs give clear errors: missing blob, wrong header, truncated volume, bad brick; Azurite down is EIO for the reader and a logged error', async () => {
  await assert.rejects(
    startDaemon(w, [], w.blobUrl.replace('tiny.fbvol', 'nothere.fbvol')),
    /nothere\.fbvol: reading properties: no such blob \(upload it with "fastbench standin data"\)/,
  );
  assert.equal(mountsUnder(path.join(w.dir, 'mnt')).length, 0, 'nothing mounted when the start fails');

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

  const daemon = await startDaemon(w, ['--cache-folder', path.join(w.dir, 'fc-down'), '--log', path.join(w.dir, 'down.log')]);
  try {
    const src = await FileBrickSource.open(daemon.file);
    await w.azurite.stop();
    await assert.rejects(src.readBricks([0, 1]), /EIO|i\/o error/i);
    await src.close();
    await assert.rejects(FastcacheClient.connect(path.join(w.dir, 'nobody.sock')), /nobody\.sock: no daemon is listening/);
  } finally {
    await daemon.stop();
  }
  const errors = parseFastLogText(readFileSync(path.join(w.dir, 'down.log'), 'utf8')).records.filter((r) => r.result === 'error');
  assert.ok(errors.length > 0 && errors.every((r) => !/sig=/.test(r.detail ?? '')), 'fetch errors are logged, without the SAS');
  assert.ok(errors.some((r) => /cannot reach blob storage \(connection refused: is Azurite running\?\)/.test(r.detail ?? '')));
});
