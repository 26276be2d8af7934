// Real parts for the stand-in tests: temp folders, a real Azurite, a tiny generated volume uploaded to it,
// and the real fastcache daemon process (dist/fastcache.js).
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { blobUrlOf, sasFor, uploadVolume, type BlobLocation } from '../../extension/standin/storage/volumeUpload';
import { startFastcache, type RunningFastcache } from '../../extension/standin/fastcache/fastcacheProcess';
import { parseFastLogText } from '../../extension/core/fastlog/fastLogParsers';
import { FileBrickSource } from '../../extension/standin/volume/fileSource';
import { generateVolume, type VolumeSpec } from '../../extension/standin/volume/generate';
import { startAzurite, type RunningAzurite } from '../../extension/standin/volume/localAzurite';
import { runCli } from '../../extension/cli/main';
import { diskBackedTempDir } from '../diskDir';

// Tests are bundled into dist/test/standin; the daemon bundle is dist/fastcache.js.
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const DAEMON_SCRIPT = path.join(REPO_ROOT, 'dist', 'fastcache.js');

/** 3 × 2 × 4 bricks of 32³ int16 (64 KiB), with partial bricks on every edge. */
export const TINY: VolumeSpec = { dims: [70, 50, 100], sampleFormat: 'int16', brickSize: 32, seed: 7 };

const made: string[] = [];
process.once('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder under the OS temp folder, removed when the test process exits. */
/** A fresh folder, on a disk-backed filesystem when there is one: cache tests evict pages, which tmpfs cannot. */
export function tempDir(name: string): string {
  const { dir } = diskBackedTempDir(`fb-${name}-`);
  made.push(dir);
  return dir;
}

export const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Checksum of a set of bricks in ascending brick order. */
export function bricksDigest(bricks: Map<number, Buffer>): string {
  const h = createHash('sha256');
  for (const b of [...bricks.keys()].sort((x, y) => x - y)) h.update(bricks.get(b)!);
  return h.digest('hex');
}

export type World = {
  dir: string;
  azurite: RunningAzurite;
  volume: string;
  location: BlobLocation;
  blobUrl: string;
  sas: string;
  cleanup: () => Promise<void>;
};

/** Azurite + a tiny volume on the "NAS" folder + the same volume as a blob. */
export async function world(name: string, spec: VolumeSpec = TINY): Promise<World> {
  const dir = tempDir(name);
  const azurite = await startAzurite(path.join(dir, 'azurite'));
  try {
    const volume = path.join(dir, 'nas', 'tiny.fbvol');
    const gen = await generateVolume(volume, spec);
    const location = { accountUrl: azurite.accountUrl, container: 'seismic', blob: 'tiny.fbvol' };
    const sas = sasFor(location, undefined);
    await uploadVolume({ file: volume, location, sas, sha256: gen.sha256 });
    return {
      dir,
      azurite,
      volume,
      location,
      blobUrl: blobUrlOf(location),
      sas,
      cleanup: async () => {
        await azurite.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await azurite.stop();
    throw e;
  }
}

export function daemonArgs(w: World, extra: string[] = [], blobUrl = w.blobUrl): string[] {
  return [
    '--blob',
    blobUrl,
    '--cache-folder',
    path.join(w.dir, 'fastcache'),
    '--log',
    path.join(w.dir, 'logs', 'fastcache.log'),
    '--endpoint',
    path.join(w.dir, 'fc.sock'),
    '--mount',
    path.join(w.dir, 'mnt', 'fast'),
    ...extra,
  ];
}

export function startDaemon(w: World, extra: string[] = [], blobUrl?: string): Promise<RunningFastcache> {
  return startFastcache(daemonArgs(w, extra, blobUrl), { script: DAEMON_SCRIPT });
}

/** Reads bricks through a file path (the FUSE mount or the NAS), opening it for this read only. */
export async function readVia(file: string, bricks: number[]): Promise<Map<number, Buffer>> {
  const src = await FileBrickSource.open(file);
  try {
    return await src.readBricks(bricks);
  } finally {
    await src.close();
  }
}

/**
 * The `read` lines after the first `skip`, once `done` says they are all there: the FUSE worker serves hits
 * itself and the daemon logs them a moment later, off the read's path.
 */
export async function readLinesAfter(logFile: string, skip: number, done: (lines: ReturnType<typeof readLines>) => boolean, timeoutMs = 3000) {
  const until = performance.now() + timeoutMs;
  for (;;) {
    const lines = readLines(logFile).slice(skip);
    if (done(lines) || performance.now() > until) return lines;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** True when every brick in `bricks` lies in one of `lines` with the given result. */
export function covered(lines: { first: number; last: number; result: string }[], bricks: number[], result: string): boolean {
  return bricks.every((b) => lines.some((l) => l.result === result && l.first <= b && b <= l.last));
}

/** The `read` lines of a fastcache-v1 log: which bricks each application read touched, and hit or miss. */
export function readLines(logFile: string): { first: number; last: number; result: string; latencyMs: number }[] {
  return parseFastLogText(readFileSync(logFile, 'utf8'))
    .records.filter((r) => r.kind === 'read')
    .map((r) => ({ first: r.firstBrick!, last: r.lastBrick!, result: r.result, latencyMs: r.latencyMs }));
}

/** Runs `fastbench ARGV…` in-process through the real dispatch (extension/cli/main.ts): same parsing, same exit codes. */
export async function cli(argv: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; signal?: AbortSignal }) {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t), cwd: options.cwd, env: options.env ?? {}, signal: options.signal ?? new AbortController().signal };
  const code = await runCli(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}
