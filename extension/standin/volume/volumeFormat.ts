// The stand-in's bricked volume format ("FBVOL", file extension .fbvol), laid out like ZGY so reads behave
// like Petrel's: 64³-sample bricks, one brick is the unit of I/O, and an inline slice touches every brick
// of its brick row.
//
//   offset 0     : 8 bytes magic "FBVOL\0\0\1"
//   offset 8     : uint32 LE header length H (4096), then H-12 bytes of UTF-8 JSON (VolumeHeader), space-padded
//   offset H     : bricks, each brickSize³ samples, brick order (bi, bj, bk) with bk fastest;
//                  inside a brick, samples ordered (i, j, k) with k (time/depth) fastest
// Samples are int8 or int16 little-endian. Partial edge bricks are stored full size (padding is zero), so
// brick b lives at H + b · brickBytes, exactly as a ranged GET of the blob addresses it.

export const VOLUME_MAGIC = Buffer.from([0x46, 0x42, 0x56, 0x4f, 0x4c, 0, 0, 1]);
export const HEADER_BYTES = 4096;

export type SampleFormat = 'int8' | 'int16';

export type VolumeHeader = {
  format: 'fbvol';
  version: 1;
  /** Samples along inline (i), crossline (j) and time/depth (k). */
  dims: [number, number, number];
  brickSize: number;
  sampleFormat: SampleFormat;
  /** Amplitude that maps to the extremes of the sample range. */
  valueRange: [number, number];
  seed: number;
  /** What the generator put in, for people reading the header. */
  description?: string;
};

export function bytesPerSample(f: SampleFormat): number {
  return f === 'int8' ? 1 : 2;
}

export class VolumeLayout {
  readonly bricks: [number, number, number];
  readonly brickBytes: number;
  readonly brickCount: number;

  constructor(readonly header: VolumeHeader) {
    const b = header.brickSize;
    this.bricks = header.dims.map((d) => Math.ceil(d / b)) as [number, number, number];
    this.brickBytes = b * b * b * bytesPerSample(header.sampleFormat);
    this.brickCount = this.bricks[0] * this.bricks[1] * this.bricks[2];
  }

  brickIndex(bi: number, bj: number, bk: number): number {
    return (bi * this.bricks[1] + bj) * this.bricks[2] + bk;
  }

  brickOffset(index: number): number {
    return HEADER_BYTES + index * this.brickBytes;
  }

  get fileBytes(): number {
    return HEADER_BYTES + this.brickCount * this.brickBytes;
  }

  /** Every brick an inline slice at index i reads, in file order. */
  inlineBricks(i: number): number[] {
    const bi = Math.floor(i / this.header.brickSize);
    const out: number[] = [];
    for (let bj = 0; bj < this.bricks[1]; bj++) for (let bk = 0; bk < this.bricks[2]; bk++) out.push(this.brickIndex(bi, bj, bk));
    return out;
  }
}

/** Encodes the fixed-size header block. */
export function encodeHeader(header: VolumeHeader): Buffer {
  const block = Buffer.alloc(HEADER_BYTES, 0x20);
  VOLUME_MAGIC.copy(block, 0);
  block.writeUInt32LE(HEADER_BYTES, 8);
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  if (json.length > HEADER_BYTES - 12) throw new Error('volume header JSON is too long');
  json.copy(block, 12);
  return block;
}

/** Decodes and checks a header block; every failure says what was wrong and where. */
export function decodeHeader(block: Buffer, source: string): VolumeHeader {
  if (block.length < 12 || !block.subarray(0, 8).equals(VOLUME_MAGIC)) {
    throw new Error(`${source}: not a FastBench volume (expected magic "FBVOL" at byte 0)`);
  }
  const length = block.readUInt32LE(8);
  if (length !== HEADER_BYTES) throw new Error(`${source}: header length ${length}, expected ${HEADER_BYTES}`);
  if (block.length < HEADER_BYTES) throw new Error(`${source}: truncated header (${block.length} of ${HEADER_BYTES} bytes)`);
  let header: VolumeHeader;
  try {
    header = JSON.parse(block.subarray(12, HEADER_BYTES).toString('utf8').trim()) as VolumeHeader;
  } catch {
    throw new Error(`${source}: header JSON is unreadable`);
  }
  const dimsOk = Array.isArray(header.dims) && header.dims.length === 3 && header.dims.every((d) => Number.isInteger(d) && d > 0);
  if (header.format !== 'fbvol' || header.version !== 1) throw new Error(`${source}: header format/version: expected fbvol 1`);
  if (!dimsOk) throw new Error(`${source}: header.dims: expected three positive integers, found ${JSON.stringify(header.dims)}`);
  if (header.brickSize !== 64 && header.brickSize !== 32 && header.brickSize !== 16) {
    throw new Error(`${source}: header.brickSize: expected 64 (or 32/16 for tests), found ${header.brickSize}`);
  }
  if (header.sampleFormat !== 'int8' && header.sampleFormat !== 'int16') {
    throw new Error(`${source}: header.sampleFormat: expected int8 or int16, found ${JSON.stringify(header.sampleFormat)}`);
  }
  return header;
}
