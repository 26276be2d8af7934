// The viewer's windows (an XImage on X11, a DIB section on Win32) both keep a 32-bit BGRX framebuffer that the
// view is painted into before it is presented. One scrub step repaints the whole view, ~700k pixels, so the
// clipping is done once per call, not per pixel: the viewer's own drawing should cost what a GPU-drawn
// Petrel view costs (a few ms), or it drowns the storage time FastBench exists to measure.

export type BgrxFrame = { bytes: Uint8Array; width: number; height: number };

/** Copies an RGB block (w×h, 3 bytes a pixel) into the frame at (x, y), clipped to the frame. */
export function blitRgb(f: BgrxFrame, rgb: Uint8Array, x: number, y: number, w: number, h: number): void {
  const bytes = f.bytes;
  const c0 = Math.max(0, -x);
  const c1 = Math.min(w, f.width - x);
  for (let row = Math.max(0, -y); row < Math.min(h, f.height - y); row++) {
    let s = (row * w + c0) * 3;
    let d = ((y + row) * f.width + x + c0) * 4;
    for (let col = c0; col < c1; col++, s += 3, d += 4) {
      bytes[d] = rgb[s + 2]!;
      bytes[d + 1] = rgb[s + 1]!;
      bytes[d + 2] = rgb[s]!;
      bytes[d + 3] = 0;
    }
  }
}

/** Fills a rectangle of the frame with one colour, clipped to the frame. */
export function fillRect(f: BgrxFrame, x: number, y: number, w: number, h: number, [r, g, b]: [number, number, number]): void {
  const bytes = f.bytes;
  const x0 = Math.max(0, x);
  const x1 = Math.min(f.width, x + w);
  for (let ty = Math.max(0, y); ty < Math.min(f.height, y + h); ty++) {
    for (let d = (ty * f.width + x0) * 4, end = (ty * f.width + x1) * 4; d < end; d += 4) {
      bytes[d] = b;
      bytes[d + 1] = g;
      bytes[d + 2] = r;
    }
  }
}
