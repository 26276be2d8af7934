import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { RESIDENT_TOLERANCE, applyCachePolicy } from '../../extension/core/cache/cachePolicy';
import { residency } from '../../extension/core/cache/pageCache';
import { rotateCacheFolder } from '../../extension/core/cache/rotateFolder';
import { diskBackedTempDir } from '../diskDir';
import { cli, covered, readLines, readLinesAfter, readVia, startDaemon, tempDir, world } from './harness';

const MiB = 1024 * 1024;

function residentFile(file: string, mib: number): void {
  writeFileSync(file, Buffer.alloc(mib * MiB, 0x5a));
  readFileSync(file); // written pages are in the page cache; reading keeps them there
}

test('Cold A_shared: the volume leaves the page cache (mincore says ~0), and the report shows before/after (on a disk-backed folder)', async (t) => {
  // tmpfs pages cannot be evicted: the eviction is checked on a real disk, or skipped with the reason.
  const disk = diskBackedTempDir('fb-cold-a-');
  if (disk.memoryBacked) {
    rmSync(disk.dir, { recursive: true, force: true });
    return t.skip(`only ${disk.fsType} here (os.tmpdir() and /var/tmp): its pages cannot be evicted`);
  }
  t.after(() => rmSync(disk.dir, { recursive: true, force: true }));
  const file = path.join(disk.dir, 'vol.fbvol');
  residentFile(file, 32);
  const [before] = await residency([file]);
  assert.ok(before!.residentBytes > 30 * MiB, `resident before: ${before!.residentBytes}`);
  const report = await applyCachePolicy({ policy: 'Cold', mode: 'A_shared', dataFiles: [file] });
  assert.equal(report.ok, true, JSON.stringify(report.steps));
  assert.deepEqual(
    report.steps.map((s) => s.step),
    ['evict', 'verify-residency'],
  );
  assert.equal(report.residency[0]!.residentBefore, before!.residentBytes);
  assert.ok(report.residency[0]!.residentAfter <= RESIDENT_TOLERANCE(32 * MiB));
  const [after] = await residency([file]);
  assert.ok(after!.residentBytes <= RESIDENT_TOLERANCE(32 * MiB), `resident after: ${after!.residentBytes}`);
  const warm = await applyCachePolicy({ policy: 'Warm', mode: 'A_shared', dataFiles: [file] });
  assert.deepEqual(
    warm.steps.map((s) => s.step),
    ['warm'],
  );
  assert.equal(warm.residency.length, 1);
});

test('rotation: renames with a UTC timestamp, keeps the newest K, never touches anything else', async () => {
  const root = tempDir('rotate');
  const cache = path.join(root, 'FastCache');
  mkdirSync(cache);
  writeFileSync(path.join(cache, 'demo.fbcache'), 'bricks');
  for (const n of ['FastCache.rotated-20200101T000000Z', 'FastCache.rotated-20210101T000000Z', 'FastCache.rotated-manual', 'FastCacheX.rotated-20200101T000000Z', 'Other'])
    mkdirSync(path.join(root, n));
  const plan = await rotateCacheFolder(cache, 1, { whatIf: true, now: new Date('2024-05-01T12:00:00Z') });
  assert.equal(plan.rotatedTo, `${cache}.rotated-20240501T120000Z`);
  assert.equal(readdirSync(root).length, 6, 'what-if changes nothing');
  const r = await rotateCacheFolder(cache, 1, { now: new Date('2024-05-01T12:00:00Z') });
  assert.deepEqual(r.kept, [`${cache}.rotated-20240501T120000Z`]);
  assert.deepEqual(
    r.removed.map((p) => path.basename(p)),
    ['FastCache.rotated-20210101T000000Z', 'FastCache.rotated-20200101T000000Z'],
  );
  assert.deepEqual(readdirSync(cache), []);
  assert.deepEqual(readdirSync(root).sort(), ['FastCache', 'FastCache.rotated-20240501T120000Z', 'FastCache.rotated-manual', 'FastCacheX.rotated-20200101T000000Z', 'Other']);
  assert.equal(readFileSync(path.join(root, 'FastCache.rotated-20240501T120000Z', 'demo.fbcache'), 'utf8'), 'bricks');
  // Same second again: a "-1" suffix, never an overwrite.
  writeFileSync(path.join(cache, 'x'), '1');
  const again = await rotateCacheFolder(cache, 5, { now: new Date('2024-05-01T12:00:00Z') });
  assert.equal(again.rotatedTo, `${cache}.rotated-20240501T120000Z-1`);
});

test('rotation refuses roots, the home folder, relative paths and symlinks', async () => {
  const root = tempDir('refuse');
  mkdirSync(path.join(root, 'real'));
  symlinkSync(path.join(root, 'real'), path.join(root, 'link'));
  await assert.rejects(rotateCacheFolder('/', 1), /refusing to rotate a filesystem root/);
  await assert.rejects(rotateCacheFolder(require('node:os').homedir(), 1), /refusing to rotate the home folder/);
  await assert.rejects(rotateCacheFolder('cache', 1), /expected an absolute path/);
  await assert.rejects(rotateCacheFolder('/tmp', 1), /refusing a top-level folder/);
  await assert.rejects(rotateCacheFolder(path.join(root, 'link'), 1), /is a symbolic link/);
  await assert.rejects(rotateCacheFolder(path.join(root, 'real'), -1), /keepRotated: expected an integer ≥ 0/);
});

test('cache clear --mode B_fast: the daemon is suspended, the cache rotated, residency ~0, and the next read misses', async () => {
  const w = await world('clear-b');
  const daemon = await startDaemon(w);
  try {
    const cacheFolder = path.join(w.dir, 'fastcache');
    await readVia(daemon.file, [0, 1, 2, 3, 4, 5, 6, 7]);
    const cacheFile = path.join(cacheFolder, 'tiny.fbcache');
    const config = path.join(w.dir, 'fastbench.json');
    writeFileSync(
      config,
      JSON.stringify({
        version: 1,
        target: { executable: '/usr/bin/true', window: { titlePattern: '^FastBench viewer' } },
        modes: { A_shared: { dataPath: 'nas/tiny.fbvol' }, B_fast: { dataPath: 'mnt/fast/tiny.fbvol', cacheFolder: 'fastcache', keepRotated: 1 } },
      }),
    );
    const r = await cli(['cache', 'clear', '--mode', 'B_fast', '--config', config, '--fastcache', daemon.endpoint, '--json'], { cwd: w.dir });
    assert.equal(r.code, 0, r.out + r.err);
    const report = JSON.parse(r.out);
    assert.deepEqual(
      report.steps.map((s: { step: string }) => s.step),
      ['stop-service', 'rotate-cache', 'start-service', 'evict', 'verify-residency'],
    );
    const cached = report.residency.find((x: { file: string }) => x.file === cacheFile);
    assert.ok(cached.residentBefore > 0 && cached.residentAfter <= RESIDENT_TOLERANCE(cached.bytes), JSON.stringify(cached));
    const rotated = readdirSync(w.dir).filter((n) => n.startsWith('fastcache.rotated-'));
    assert.equal(rotated.length, 1);

    const logged = readLines(path.join(w.dir, 'logs', 'fastcache.log')).length;
    await readVia(daemon.file, [0, 1, 2, 3]);
    const after = await readLinesAfter(path.join(w.dir, 'logs', 'fastcache.log'), logged, (l) => covered(l, [0, 1, 2, 3], 'miss'));
    assert.ok(covered(after, [0, 1, 2, 3], 'miss'), `after cache clear the next read misses: ${JSON.stringify(after)}`);

    const a = await cli(['cache', 'clear', '--mode', 'A_shared', '--config', config], { cwd: w.dir });
    assert.equal(a.code, 0, a.out + a.err);
    assert.match(a.out, /ok +verify-residency +1 file\(s\) at ~0 resident/);
    const missing = await cli(['cache', 'clear', '--mode', 'A_shared'], { cwd: path.join(w.dir, 'nas'), env: { FASTBENCH_STANDIN_HOME: path.join(w.dir, 'nohome') } });
    assert.equal(missing.code, 1);
    assert.match(missing.out, /FAILED find-data +.*nohome\/nas\/demo\.fbvol: no such file \(is modes\.A_shared\.dataPath right\?\)/);
    const bad = await cli(['cache', 'clear', '--mode', 'C_cloud'], { cwd: w.dir });
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--mode: expected A_shared or B_fast, found "C_cloud"/);
  } finally {
    await daemon.stop();
    await w.cleanup();
  }
});
