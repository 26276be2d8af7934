import { createHash } from 'node:crypto';

/** A stable hash and the mean colour of an RGB region: the hash detects "same picture", the mean is for people. */
export function summarisePixels(rgb: Uint8Array): { hash: string; meanRgb: [number, number, number] } {
  const sums = [0, 0, 0];
  for (let i = 0; i + 2 < rgb.length; i += 3) {
    sums[0]! += rgb[i]!;
    sums[1]! += rgb[i + 1]!;
    sums[2]! += rgb[i + 2]!;
  }
  const n = Math.max(1, Math.floor(rgb.length / 3));
  const hash = createHash('sha256').update(rgb).digest('hex').slice(0, 16);
  return { hash, meanRgb: [sums[0]! / n, sums[1]! / n, sums[2]! / n].map((v) => Math.round(v * 10) / 10) as [number, number, number] };
}
