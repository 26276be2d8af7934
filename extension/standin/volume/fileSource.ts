// A_shared: the viewer reads bricks straight from the .fbvol on the "NAS" folder, one positional read per
// brick (as Petrel reads ZGY, ~one brick at a time), a few in flight. Each call allocates one buffer for
// all its bricks and hands out views of it.
import { open, type FileHandle } from 'node:fs/promises';
import type { BrickRead, BrickSource } from './brickSource';
import { HEADER_BYTES, VolumeLayout, decodeHeader, type VolumeHeader } from './volumeFormat';

export type OpenedVolume = { fh: FileHandle; header: VolumeHeader; layout: VolumeLayout };

/** Opens a volume file (or a FAST-like cache file laid out the same way) and checks header and size. */
export async function openVolumeFile(file: string, what = 'volume'): Promise<OpenedVolume> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'a folder' : String(code);
    throw new Error(`${file}: cannot open the ${what} (${why})`);
  }
  try {
    const block = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await fh.read(block, 0, HEADER_BYTES, 0);
    const header = decodeHeader(block.subarray(0, bytesRead), file);
    const layout = new VolumeLayout(header);
    const size = (await fh.stat()).size;
    if (size !== layout.fileBytes) {
      const [a, b, c] = header.dims;
      throw new Error(
        `${file}: ${size < layout.fileBytes ? 'truncated' : 'too long'}: ${size} bytes, expected ${layout.fileBytes} ` +
          `for ${a}×${b}×${c} ${header.sampleFormat} in ${layout.brickCount} bricks of ${header.brickSize}³`,
      );
    }
    return { fh, header, layout };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

export function checkBrickList(bricks: number[], layout: VolumeLayout, source: string): void {
  for (let n = 0; n < bricks.length; n++) {
    const b = bricks[n]!;
    if (!Number.isInteger(b) || b < 0 || b >= layout.brickCount) {
      throw new Error(`${source}: brick ${b}: expected an index from 0 to ${layout.brickCount - 1}`);
    }
    if (n > 0 && b <= bricks[n - 1]!) throw new Error(`${source}: bricks must be sorted ascending without repeats (found ${bricks[n - 1]} then ${b})`);
  }
}

/** Reads `bricks` into views of one buffer, `concurrency` positional reads at a time, timing each. */
export async function readBricksInto(
  fh: FileHandle,
  layout: VolumeLayout,
  bricks: number[],
  concurrency: number,
  source: string,
  onBrick: (brick: number, micros: number) => void,
): Promise<Map<number, Buffer>> {
  const size = layout.brickBytes;
  const all = Buffer.allocUnsafe(bricks.length * size);
  const out = new Map<number, Buffer>();
  let next = 0;
  const worker = async () => {
    while (next < bricks.length) {
      const n = next++;
      const brick = bricks[n]!;
      const view = all.subarray(n * size, (n + 1) * size);
      const t0 = process.hrtime.bigint();
      const { bytesRead } = await fh.read(view, 0, size, layout.brickOffset(brick));
      if (bytesRead !== size) {
        throw new Error(`${source}: brick ${brick}: read ${bytesRead} of ${size} bytes at offset ${layout.brickOffset(brick)} (file truncated?)`);
      }
      onBrick(brick, Number(process.hrtime.bigint() - t0) / 1000);
      out.set(brick, view);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, bricks.length) }, worker));
  return out;
}

export type FileSourceOptions = {
  /** Called once per brick read, e.g. to append to the viewer's read log. */
  onRead?: (read: BrickRead) => void;
  /** Positional reads in flight (libuv's pool has 4 threads). */
  concurrency?: number;
};

export class FileBrickSource implements BrickSource {
  private constructor(
    readonly path: string,
    readonly header: VolumeHeader,
    readonly layout: VolumeLayout,
    private readonly fh: FileHandle,
    private readonly options: FileSourceOptions,
  ) {}

  static async open(file: string, options: FileSourceOptions = {}): Promise<FileBrickSource> {
    const { fh, header, layout } = await openVolumeFile(file);
    return new FileBrickSource(file, header, layout, fh, options);
  }

  async readBricks(bricks: number[]): Promise<Map<number, Buffer>> {
    checkBrickList(bricks, this.layout, this.path);
    const onRead = this.options.onRead;
    const bytes = this.layout.brickBytes;
    return readBricksInto(this.fh, this.layout, bricks, this.options.concurrency ?? 4, this.path, (brick, micros) => onRead?.({ brick, bytes, source: 'file', micros }));
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}
