import { endianness } from 'node:os';
import type { BrickSource } from '../volume/brickSource';
import { VolumeLayout } from '../volume/volumeFormat';

/** A 2-D array of amplitudes: width = crosslines (j), height = samples (k), row-major by k. */
export type Slice = { width: number; height: number; values: Float32Array };

/**
 * Reads and computes what the viewer shows. Holds an LRU of decoded bricks like Petrel's own cache, so a
 * Warm step inside one session reads nothing again; a Cold run restarts the viewer.
 */
export class SeismicVolume {
  readonly layout: VolumeLayout;
  private readonly cache = new Map<number, Buffer>();

  constructor(
    private readonly source: BrickSource,
    layout: VolumeLayout,
    private readonly cacheBricks = 512,
  ) {
    this.layout = layout;
  }

  get dims(): [number, number, number] {
    return this.layout.header.dims;
  }

  private async bricks(indices: number[]): Promise<Map<number, Buffer>> {
    const missing = [...new Set(indices)].filter((b) => !this.cache.has(b)).sort((a, b) => a - b);
    const got = missing.length ? await this.source.readBricks(missing) : new Map<number, Buffer>();
    const out = new Map<number, Buffer>();
    for (const b of indices) {
      const data = got.get(b) ?? this.cache.get(b);
      if (!data) throw new Error(`brick ${b} was not delivered by ${this.source.path}`);
      // Most recently used last; this request's bricks are never the ones evicted below.
      this.cache.delete(b);
      this.cache.set(b, data);
      out.set(b, data);
    }
    while (this.cache.size > Math.max(this.cacheBricks, out.size)) this.cache.delete(this.cache.keys().next().value!);
    return out;
  }

  /** Amplitudes of one inline, scaled to the header's value range. */
  async inline(i: number): Promise<Slice> {
    const [ni, nj, nk] = this.dims;
    if (i < 0 || i >= ni) throw new Error(`inline ${i} is outside 0..${ni - 1}`);
    const B = this.layout.header.brickSize;
    const bricks = await this.bricks(this.layout.inlineBricks(i));
    const int16 = this.layout.header.sampleFormat === 'int16';
    const [lo, hi] = this.layout.header.valueRange;
    const scale = (hi - lo) / (int16 ? 65535 : 255);
    const mid = (hi + lo) / 2;
    const values = new Float32Array(nj * nk);
    const bi = Math.floor(i / B);
    const ii = i - bi * B;
    for (let bj = 0; bj < this.layout.bricks[1]; bj++) {
      for (let bk = 0; bk < this.layout.bricks[2]; bk++) {
        const samples = sampleView(bricks.get(this.layout.brickIndex(bi, bj, bk))!, int16);
        for (let jj = 0; jj < B; jj++) {
          const j = bj * B + jj;
          if (j >= nj) break;
          const rowBase = (ii * B + jj) * B;
          for (let kk = 0, k = bk * B; kk < B && k < nk; kk++, k++) values[k * nj + j] = mid + samples[rowBase + kk]! * scale;
        }
      }
    }
    return { width: nj, height: nk, values };
  }

  /** RMS amplitude in a vertical window, averaged over neighbouring inlines (reads their bricks too). */
  async rmsAttribute(i: number, halfWindow = 4, inlineRadius = 2): Promise<Slice> {
    const [ni] = this.dims;
    const inlines = [];
    for (let d = -inlineRadius; d <= inlineRadius; d++) if (i + d >= 0 && i + d < ni) inlines.push(await this.inline(i + d));
    const { width, height } = inlines[0]!;
    const out = new Float32Array(width * height);
    for (let k = 0; k < height; k++) {
      for (let j = 0; j < width; j++) {
        let sum = 0;
        let n = 0;
        for (const s of inlines) {
          for (let w = Math.max(0, k - halfWindow); w <= Math.min(height - 1, k + halfWindow); w++) {
            const v = s.values[w * width + j]!;
            sum += v * v;
            n++;
          }
        }
        out[k * width + j] = Math.sqrt(sum / n);
      }
    }
    return { width, height, values: out };
  }

  /**
   * Autotracks a horizon from a seed (crossline j, sample k) on inline i0 across `count` inlines: along each
   * inline from the seed, then inline to inline, following the nearest amplitude peak within ±search samples.
   * Returns, for every tracked inline, the picked sample per crossline.
   */
  async trackHorizon(i0: number, j0: number, k0: number, count: number, search = 3): Promise<{ inlines: number[]; picks: Int16Array[] }> {
    const [ni] = this.dims;
    const inlines: number[] = [];
    const picks: Int16Array[] = [];
    let seedK = k0;
    for (let i = i0; i < Math.min(ni, i0 + count); i++) {
      const s = await this.inline(i);
      const pick = new Int16Array(s.width);
      const follow = (j: number, from: number) => {
        let best = from;
        for (let k = Math.max(0, from - search); k <= Math.min(s.height - 1, from + search); k++) {
          if (s.values[k * s.width + j]! > s.values[best * s.width + j]!) best = k;
        }
        return best;
      };
      pick[j0] = follow(j0, seedK);
      for (let j = j0 + 1; j < s.width; j++) pick[j] = follow(j, pick[j - 1]!);
      for (let j = j0 - 1; j >= 0; j--) pick[j] = follow(j, pick[j + 1]!);
      seedK = pick[j0]!;
      inlines.push(i);
      picks.push(pick);
    }
    return { inlines, picks };
  }

  /** The raw bricks of one brick row (64 inlines × all crosslines × all samples), for export. */
  async brickRow(i: number): Promise<Buffer[]> {
    const indices = this.layout.inlineBricks(i);
    const got = await this.bricks(indices);
    return indices.map((b) => got.get(b)!);
  }
}

const LITTLE_ENDIAN = endianness() === 'LE';

/** A brick's samples as numbers: a view on the buffer when it is aligned and the machine little-endian (as the volume is), else a copy. */
function sampleView(data: Buffer, int16: boolean): Int8Array | Int16Array {
  if (!int16) return new Int8Array(data.buffer, data.byteOffset, data.length);
  if (data.byteOffset % 2 === 0 && LITTLE_ENDIAN) return new Int16Array(data.buffer, data.byteOffset, data.length >> 1);
  const copy = new Int16Array(data.length >> 1);
  for (let i = 0; i < copy.length; i++) copy[i] = data.readInt16LE(i * 2);
  return copy;
}

/** Greyscale RGB for a slice, scaled to fill width×height (nearest neighbour), symmetric around zero. */
export function renderSlice(slice: Slice, width: number, height: number, clip?: number): Uint8Array {
  const { values } = slice;
  let max = clip ?? 0;
  if (!clip) for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i]!));
  const rgb = new Uint8Array(width * height * 3);
  // Nearest neighbour: the sample → grey mapping is done once per sample of a source row, then copied to the
  // pixels that show it (several per sample when the view is larger than the slice).
  const column = new Int32Array(width);
  for (let x = 0; x < width; x++) column[x] = Math.min(slice.width - 1, Math.floor((x * slice.width) / width));
  const grey = new Uint8Array(slice.width).fill(128);
  const scale = max > 0 ? 127.5 / max : 0;
  let shownRow = -1;
  for (let y = 0, o = 0; y < height; y++) {
    const k = Math.min(slice.height - 1, Math.floor((y * slice.height) / height));
    if (k === shownRow) {
      rgb.copyWithin(o, o - width * 3, o);
      o += width * 3;
      continue;
    }
    if (max > 0) {
      // round(127.5 + v / max × 127.5), clamped: floor(128 + v × scale) once clamped to ≥ 0.
      for (let j = 0, base = k * slice.width; j < slice.width; j++) {
        const t = 128 + values[base + j]! * scale;
        grey[j] = t <= 0 ? 0 : t >= 255 ? 255 : t | 0;
      }
    }
    shownRow = k;
    for (let x = 0; x < width; x++, o += 3) {
      const g = grey[column[x]!]!;
      rgb[o] = g;
      rgb[o + 1] = g;
      rgb[o + 2] = g;
    }
  }
  return rgb;
}
