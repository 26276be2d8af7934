// How the viewer gets bricks: straight from a file on the "NAS" (A_shared), or through the FAST-like
// cache (B_fast), which serves them from a cache file it fills from Blob storage on a miss.

export type BrickRead = { brick: number; bytes: number; source: string; micros: number; hit?: boolean };

export interface BrickSource {
  /** Human-readable description: the path the application has open. */
  readonly path: string;
  /** Reads whole bricks (sorted ascending), returning each brick's bytes; logs one BrickRead per brick. */
  readBricks(bricks: number[]): Promise<Map<number, Buffer>>;
  close(): Promise<void>;
}
