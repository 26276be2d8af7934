// B_fast: the viewer's BrickSource through the fastcache daemon. The viewer holds the cache file in the
// cache folder open itself (so its open files show the FAST cache path, as Petrel's would) and asks the
// daemon only which bricks are there; each brick is read from the cache file as soon as the daemon says
// it is ready, while the rest are still being fetched.
import type { FileHandle } from 'node:fs/promises';
import type { BrickRead, BrickSource } from '../volume/brickSource';
import { checkBrickList, openVolumeFile } from '../volume/fileSource';
import type { VolumeHeader, VolumeLayout } from '../volume/volumeFormat';
import { FastcacheClient } from './fastcacheClient';

export type FastcacheSourceOptions = {
  onRead?: (read: BrickRead) => void;
  /** Positional reads of the cache file in flight. */
  concurrency?: number;
};

export class FastcacheBrickSource implements BrickSource {
  private constructor(
    readonly path: string,
    readonly header: VolumeHeader,
    readonly layout: VolumeLayout,
    readonly client: FastcacheClient,
    private readonly fh: FileHandle,
    private readonly options: FastcacheSourceOptions,
  ) {}

  static async connect(endpoint: string, options: FastcacheSourceOptions = {}): Promise<FastcacheBrickSource> {
    const client = await FastcacheClient.connect(endpoint);
    try {
      const hello = await client.hello();
      const { fh, header, layout } = await openVolumeFile(hello.cacheFile, 'fastcache cache file');
      if (JSON.stringify(header) !== JSON.stringify(hello.header)) {
        await fh.close();
        throw new Error(`${hello.cacheFile}: header differs from the blob's (${hello.blob}); the cache folder belongs to another volume`);
      }
      return new FastcacheBrickSource(hello.cacheFile, header, layout, client, fh, options);
    } catch (e) {
      client.close();
      throw e;
    }
  }

  async readBricks(bricks: number[]): Promise<Map<number, Buffer>> {
    checkBrickList(bricks, this.layout, this.path);
    const size = this.layout.brickBytes;
    const all = Buffer.allocUnsafe(bricks.length * size);
    const slot = new Map<number, number>();
    bricks.forEach((b, n) => slot.set(b, n));
    const out = new Map<number, Buffer>();
    const t0 = process.hrtime.bigint();
    const queue: { brick: number; hit: boolean }[] = [];
    let running = 0;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const concurrency = this.options.concurrency ?? 4;

    const readOne = async (brick: number, hit: boolean) => {
      const n = slot.get(brick)!;
      const view = all.subarray(n * size, (n + 1) * size);
      const { bytesRead } = await this.fh.read(view, 0, size, this.layout.brickOffset(brick));
      if (bytesRead !== size) throw new Error(`${this.path}: brick ${brick}: read ${bytesRead} of ${size} bytes (cache file truncated?)`);
      out.set(brick, view);
      this.options.onRead?.({ brick, bytes: size, source: 'fastcache', micros: Number(process.hrtime.bigint() - t0) / 1000, hit });
    };
    const pump = () => {
      while (running < concurrency && queue.length) {
        const { brick, hit } = queue.shift()!;
        running++;
        readOne(brick, hit)
          .catch((e: Error) => (failure ??= e))
          .finally(() => {
            running--;
            pump();
            wake?.();
          });
      }
    };

    await this.client.request({ type: 'read', bricks }, (m) => {
      if (m.type === 'ready') {
        for (const b of m.bricks) {
          if (!slot.has(b)) throw new Error(`fastcache: reply names brick ${b}, which was not asked for`);
          queue.push({ brick: b, hit: m.hit });
        }
        pump();
        return false;
      }
      return m.type === 'done';
    });
    while (running > 0 || queue.length) await new Promise<void>((r) => (wake = r));
    if (failure) throw failure;
    if (out.size !== bricks.length) throw new Error(`fastcache: the daemon finished with ${bricks.length - out.size} of ${bricks.length} bricks not ready`);
    return out;
  }

  async close(): Promise<void> {
    this.client.close();
    await this.fh.close();
  }
}
