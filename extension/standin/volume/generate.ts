// Writes a synthetic .fbvol (see volumeFormat.ts) brick row by brick row: one positional write per brick
// row (its bricks are adjacent in the file), hashed as written, into NAME.partial renamed at the end, so
// an interrupted run never leaves a file that looks complete. A sidecar NAME.sha256 (sha256sum format)
// records the content digest that the upload stores as blob metadata.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import path from 'node:path';
import { fillBrick, makeGeology } from './syntheticGeology';
import { HEADER_BYTES, VolumeLayout, bytesPerSample, decodeHeader, encodeHeader, type SampleFormat, type VolumeHeader } from './volumeFormat';

export type VolumeSpec = {
  dims: [number, number, number];
  sampleFormat: SampleFormat;
  brickSize: number;
  seed: number;
};

/**
 * The demo volume: 384 MiB of int16 in 768 bricks of 512 KiB (4 × 24 × 8 bricks): a strip of a survey, 256
 * inlines of 1536 crosslines × 512 samples. What a scrub costs is set by the bytes behind each inline: a
 * 3000-crossline, 1500-sample int8 survey has 4.4 MiB, this strip 1.5 MiB (brick rows of 192 bricks, 96 MiB,
 * the smallest of a real survey's). With much less (a 512 × 512 × 640 cube has 0.6 MiB) a scrub is mostly
 * drawing whatever the storage.
 */
export const DEMO_SPEC: VolumeSpec = { dims: [256, 1536, 512], sampleFormat: 'int16', brickSize: 64, seed: 1 };

export const GENERATOR = 'fastbench-synthetic-1';

export type GeneratedVolume = {
  file: string;
  header: VolumeHeader;
  bytes: number;
  sha256: string;
  /** false when an identical volume (same header, size and digest file) was already there. */
  created: boolean;
  seconds: number;
};

export type GenerateOptions = {
  onProgress?: (doneBytes: number, totalBytes: number) => void;
  signal?: AbortSignal;
  /** Write even when an identical volume exists. */
  force?: boolean;
};

/** Dimensions for about `mib` MiB: a square survey, 1.25 × deeper than wide, multiples of the brick. */
export function dimsForSize(mib: number, sampleFormat: SampleFormat, brickSize = 64): [number, number, number] {
  const samples = (mib * 1024 * 1024) / bytesPerSample(sampleFormat);
  const side = Math.max(1, Math.round(Math.cbrt(samples / 1.25) / brickSize)) * brickSize;
  const depth = Math.max(brickSize, Math.round(samples / (side * side) / brickSize) * brickSize);
  return [side, side, depth];
}

export function headerFor(spec: VolumeSpec): VolumeHeader {
  const maxValue = spec.sampleFormat === 'int8' ? 127 : 32767;
  return {
    format: 'fbvol',
    version: 1,
    dims: spec.dims,
    brickSize: spec.brickSize,
    sampleFormat: spec.sampleFormat,
    valueRange: [-maxValue, maxValue],
    seed: spec.seed,
    description: `${GENERATOR}: dipping, gently folded layers (every 5th a strong trackable reflector), two normal faults, Ricker wavelet, 8 % noise`,
  };
}

export const digestFileOf = (file: string) => `${file}.sha256`;

async function readDigest(file: string): Promise<string | undefined> {
  try {
    const m = /^([0-9a-f]{64})\s/.exec(await readFile(digestFileOf(file), 'utf8'));
    return m?.[1];
  } catch {
    return undefined;
  }
}

/** The existing volume when it is exactly what `spec` would produce, else undefined. */
async function existingVolume(file: string, header: VolumeHeader): Promise<{ bytes: number; sha256: string } | undefined> {
  if (!existsSync(file)) return undefined;
  const fh = await open(file, 'r');
  try {
    const block = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await fh.read(block, 0, HEADER_BYTES, 0);
    const found = decodeHeader(block.subarray(0, bytesRead), file);
    const size = (await fh.stat()).size;
    const sha256 = await readDigest(file);
    if (JSON.stringify(found) !== JSON.stringify(header) || size !== new VolumeLayout(header).fileBytes || !sha256) return undefined;
    return { bytes: size, sha256 };
  } catch {
    return undefined;
  } finally {
    await fh.close();
  }
}

export async function generateVolume(file: string, spec: VolumeSpec, options: GenerateOptions = {}): Promise<GeneratedVolume> {
  const t0 = performance.now();
  // Int16Array stores samples in platform order and the format is little-endian.
  if (endianness() !== 'LE') throw new Error('generating int16 volumes needs a little-endian machine');
  const header = headerFor(spec);
  const layout = new VolumeLayout(header);
  if (!options.force) {
    const existing = await existingVolume(file, header);
    if (existing) return { file, header, ...existing, created: false, seconds: (performance.now() - t0) / 1000 };
  }
  await mkdir(path.dirname(file), { recursive: true });
  const partial = `${file}.partial`;
  const geology = makeGeology(spec.seed, spec.dims);
  const maxValue = header.valueRange[1];
  const [nbi, nbj, nbk] = layout.bricks;
  const b = spec.brickSize;
  const rowBricks = nbj * nbk;
  // Two row buffers: one is written to disk while the next is filled.
  const rows = [Buffer.allocUnsafe(rowBricks * layout.brickBytes), Buffer.allocUnsafe(rowBricks * layout.brickBytes)];
  const hash = createHash('sha256');
  const headerBlock = encodeHeader(header);
  const fh = await open(partial, 'w');
  try {
    await fh.write(headerBlock, 0, HEADER_BYTES, 0);
    hash.update(headerBlock);
    let pending: Promise<unknown> = Promise.resolve();
    for (let bi = 0; bi < nbi; bi++) {
      if (options.signal?.aborted) throw new Error('generation interrupted');
      const row = rows[bi % 2]!;
      for (let bj = 0; bj < nbj; bj++) {
        for (let bk = 0; bk < nbk; bk++) {
          const at = (bj * nbk + bk) * layout.brickBytes;
          const brick = row.subarray(at, at + layout.brickBytes);
          const view =
            spec.sampleFormat === 'int8' ? new Int8Array(brick.buffer, brick.byteOffset, brick.length) : new Int16Array(brick.buffer, brick.byteOffset, brick.length / 2);
          fillBrick(geology, view, b, bi * b, bj * b, bk * b, maxValue);
        }
      }
      await pending;
      hash.update(row);
      const offset = layout.brickOffset(layout.brickIndex(bi, 0, 0));
      pending = fh.write(row, 0, row.length, offset).then(() => options.onProgress?.(offset + row.length, layout.fileBytes));
    }
    await pending;
  } catch (e) {
    await fh.close();
    await rm(partial, { force: true });
    throw e;
  }
  await fh.close();
  const sha256 = hash.digest('hex');
  await rename(partial, file);
  await writeFile(digestFileOf(file), `${sha256}  ${path.basename(file)}\n`);
  const bytes = (await stat(file)).size;
  return { file, header, bytes, sha256, created: true, seconds: (performance.now() - t0) / 1000 };
}
