// The cache in the cache folder, two files per blob:
//   NAME.fbcache      laid out exactly like the .fbvol (header at 0, brick b at H + b·brickBytes), sparse:
//                     created at full size, filled brick by brick; the FUSE mount serves reads from it.
//   NAME.fbcache.map  512-byte block (magic "FBCMAP\0\1", uint32 LE 512, JSON {blob, etag, bytes,
//                     brickCount}, space-padded), then one byte per brick: 1 = the brick is in .fbcache.
// A brick's map byte is written only after its data write returned, so a killed daemon never marks a brick
// it did not store. The map names the blob's ETag: a changed blob starts an empty cache.
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { HEADER_BYTES, VolumeLayout, encodeHeader, type VolumeHeader } from '../volume/volumeFormat';

const MAP_MAGIC = Buffer.from([0x46, 0x42, 0x43, 0x4d, 0x41, 0x50, 0, 1]);
const MAP_HEADER = 512;

export type CacheIdentity = { blob: string; etag: string; bytes: number; brickCount: number };

export function cacheFileNames(cacheFolder: string, blobName: string): { data: string; map: string } {
  const base = path
    .basename(blobName)
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/\.fbvol$/i, '');
  const data = path.join(cacheFolder, `${base}.fbcache`);
  return { data, map: `${data}.map` };
}

export class CacheFile {
  private constructor(
    readonly dataPath: string,
    readonly mapPath: string,
    readonly layout: VolumeLayout,
    private readonly data: FileHandle,
    private readonly map: FileHandle,
    /** 1 per brick present; the daemon's in-memory copy of the map. */
    readonly present: Uint8Array,
  ) {}

  /**
   * Opens the cache for this blob, reusing what an earlier run left when it is for the same blob version.
   * `present` (one byte per brick) is filled in place when given, so a FUSE worker sharing it sees updates.
   */
  static async open(cacheFolder: string, blobName: string, header: VolumeHeader, identity: CacheIdentity, present?: Uint8Array): Promise<CacheFile> {
    await mkdir(cacheFolder, { recursive: true });
    const { data, map } = cacheFileNames(cacheFolder, blobName);
    const layout = new VolumeLayout(header);
    const into = present ?? new Uint8Array(layout.brickCount);
    if (into.length !== layout.brickCount) throw new Error(`present map: ${into.length} bytes for ${layout.brickCount} bricks`);
    const reused = await CacheFile.tryReuse(data, map, layout, identity, into);
    if (reused) return reused;
    await rm(data, { force: true });
    await rm(map, { force: true });
    const dfh = await open(data, 'w+');
    const mfh = await open(map, 'w+');
    await dfh.truncate(layout.fileBytes);
    await dfh.write(encodeHeader(header), 0, HEADER_BYTES, 0);
    const block = Buffer.alloc(MAP_HEADER, 0x20);
    MAP_MAGIC.copy(block, 0);
    block.writeUInt32LE(MAP_HEADER, 8);
    const json = Buffer.from(JSON.stringify(identity));
    if (json.length > MAP_HEADER - 12) throw new Error(`${map}: blob name too long for the map header`);
    json.copy(block, 12);
    await mfh.write(block, 0, MAP_HEADER, 0);
    await mfh.truncate(MAP_HEADER + layout.brickCount);
    into.fill(0);
    return new CacheFile(data, map, layout, dfh, mfh, into);
  }

  private static async tryReuse(data: string, map: string, layout: VolumeLayout, identity: CacheIdentity, present: Uint8Array): Promise<CacheFile | undefined> {
    let dfh: FileHandle | undefined;
    let mfh: FileHandle | undefined;
    try {
      dfh = await open(data, 'r+');
      mfh = await open(map, 'r+');
      const block = Buffer.alloc(MAP_HEADER + layout.brickCount);
      const { bytesRead } = await mfh.read(block, 0, block.length, 0);
      const json = JSON.parse(block.subarray(12, MAP_HEADER).toString('utf8').trim()) as CacheIdentity;
      const ok =
        bytesRead === block.length && block.subarray(0, 8).equals(MAP_MAGIC) && JSON.stringify(json) === JSON.stringify(identity) && (await dfh.stat()).size === layout.fileBytes;
      if (!ok) throw new Error('stale');
      for (let b = 0; b < layout.brickCount; b++) present[b] = block[MAP_HEADER + b] === 1 ? 1 : 0;
      return new CacheFile(data, map, layout, dfh, mfh, present);
    } catch {
      await dfh?.close();
      await mfh?.close();
      return undefined;
    }
  }

  get presentCount(): number {
    let n = 0;
    for (let b = 0; b < this.present.length; b++) n += this.present[b]!;
    return n;
  }

  /** Stores bricks first..first+count-1 from `bytes`, then marks them present (data before map). */
  async store(first: number, count: number, bytes: Buffer): Promise<void> {
    const length = count * this.layout.brickBytes;
    let done = 0;
    while (done < length) {
      const { bytesWritten } = await this.data.write(bytes, done, length - done, this.layout.brickOffset(first) + done);
      done += bytesWritten;
    }
    const ones = Buffer.alloc(count, 1);
    await this.map.write(ones, 0, count, MAP_HEADER + first);
    this.present.fill(1, first, first + count);
  }

  /** Reads bytes at `offset` of the volume (header or present bricks) into `into`; returns the count. */
  async read(into: Uint8Array, offset: number): Promise<number> {
    let done = 0;
    while (done < into.length) {
      const { bytesRead } = await this.data.read(into, done, into.length - done, offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done;
  }

  async close(): Promise<void> {
    await this.data.close();
    await this.map.close();
  }
}
