import { GLYPH_ATLAS_BASE64, GLYPH_HEIGHT, GLYPH_WIDTH } from './glyphAtlas';
import { encodePng } from './png';

export type Rgb = [number, number, number];

let atlas: Buffer | undefined;
const glyphs = () => (atlas ??= Buffer.from(GLYPH_ATLAS_BASE64, 'base64'));

/** A small RGB canvas: rectangles, anti-aliased lines and circles, and text from the baked glyph atlas. */
export class Raster {
  readonly px: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = [255, 255, 255],
  ) {
    this.px = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) this.px.set(background, i * 3);
  }

  /** Blends colour over pixel (x, y) with coverage a (0..1). */
  blend(x: number, y: number, c: Rgb, a: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || a <= 0) return;
    const i = (y * this.width + x) * 3;
    const k = Math.min(1, a);
    for (let j = 0; j < 3; j++) this.px[i + j] = Math.round(this.px[i + j]! * (1 - k) + c[j]! * k);
  }

  fillRect(x: number, y: number, w: number, h: number, c: Rgb): void {
    for (let yy = Math.max(0, Math.floor(y)); yy < Math.min(this.height, Math.ceil(y + h)); yy++)
      for (let xx = Math.max(0, Math.floor(x)); xx < Math.min(this.width, Math.ceil(x + w)); xx++) this.blend(xx, yy, c, 1);
  }

  /** A line of the given width, anti-aliased by distance to the segment. */
  line(x0: number, y0: number, x1: number, y1: number, c: Rgb, width = 1): void {
    const r = width / 2;
    const minX = Math.floor(Math.min(x0, x1) - r - 1);
    const maxX = Math.ceil(Math.max(x0, x1) + r + 1);
    const minY = Math.floor(Math.min(y0, y1) - r - 1);
    const maxY = Math.ceil(Math.max(y0, y1) + r + 1);
    const dx = x1 - x0;
    const dy = y1 - y0;
    const len2 = dx * dx + dy * dy || 1e-9;
    for (let y = minY; y <= maxY; y++)
      for (let x = minX; x <= maxX; x++) {
        const px = x + 0.5;
        const py = y + 0.5;
        const t = Math.max(0, Math.min(1, ((px - x0) * dx + (py - y0) * dy) / len2));
        const d = Math.hypot(px - (x0 + t * dx), py - (y0 + t * dy));
        this.blend(x, y, c, r + 0.5 - d);
      }
  }

  circle(cx: number, cy: number, radius: number, c: Rgb): void {
    for (let y = Math.floor(cy - radius - 1); y <= Math.ceil(cy + radius + 1); y++)
      for (let x = Math.floor(cx - radius - 1); x <= Math.ceil(cx + radius + 1); x++) this.blend(x, y, c, radius + 0.5 - Math.hypot(x + 0.5 - cx, y + 0.5 - cy));
  }

  static textWidth(text: string): number {
    return text.length * GLYPH_WIDTH;
  }

  /** Text with its top-left at (x, y); align shifts it so x is the centre or the right edge. */
  text(x: number, y: number, text: string, c: Rgb, align: 'left' | 'center' | 'right' = 'left'): void {
    const w = Raster.textWidth(text);
    let left = Math.round(align === 'center' ? x - w / 2 : align === 'right' ? x - w : x);
    const top = Math.round(y);
    const g = glyphs();
    for (const ch of text) {
      const code = ch.charCodeAt(0);
      const idx = code >= 32 && code < 127 ? code - 32 : 31; // unknown → "?"
      const base = idx * GLYPH_WIDTH * GLYPH_HEIGHT;
      for (let gy = 0; gy < GLYPH_HEIGHT; gy++) for (let gx = 0; gx < GLYPH_WIDTH; gx++) this.blend(left + gx, top + gy, c, g[base + gy * GLYPH_WIDTH + gx]! / 255);
      left += GLYPH_WIDTH;
    }
  }

  /** Text turned 90° anticlockwise (for a y-axis title), centred on (x, y). */
  textVertical(x: number, y: number, text: string, c: Rgb): void {
    const tmp = new Raster(Raster.textWidth(text), GLYPH_HEIGHT, [0, 0, 0]);
    tmp.text(0, 0, text, [255, 255, 255]);
    const left = Math.round(x - GLYPH_HEIGHT / 2);
    const top = Math.round(y + tmp.width / 2);
    for (let ty = 0; ty < tmp.height; ty++) for (let tx = 0; tx < tmp.width; tx++) this.blend(left + ty, top - tx, c, tmp.px[(ty * tmp.width + tx) * 3]! / 255);
  }

  toPng(): Buffer {
    return encodePng(this.width, this.height, this.px);
  }
}
