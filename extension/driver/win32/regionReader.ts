import type { Rect } from '../../shared/driverProtocol';
import { DriverError, READER_SLOTS, type RegionReader } from '../backend';
import { viewBytes, type Handle, type Win32, type WinRect } from './user32';

// Reads client regions of one window for render detection: GDI BitBlt from the window's client DC into a
// 32-bit top-down DIB section per region, set up once; the DIB's bits are read in place (no GetDIBits copy).
// Client-DC coordinates are client-relative, so a moved window is still read correctly. What BitBlt sees is
// what GDI sees on screen; with DWM, content another window covers is that window's (as for a person).
// Windows has no damage reports for other processes' windows here, so every sample reads pixels.

const SRCCOPY = 0x00cc0020;
const DIB_RGB_COLORS = 0;

type Target = { dc: Handle; bitmap: Handle; old: Handle; view: Uint8Array };

export class Win32RegionReader implements RegionReader {
  readonly method = 'bitblt-dib';
  readonly reportsDrawing = false;
  /** DIB sections slot by slot: targets[slot * regions.length + region]. */
  private readonly targets: Target[] = [];
  private closed = false;

  constructor(
    private readonly w: Win32,
    private readonly hwnd: bigint,
    private readonly regions: Rect[],
  ) {
    if (!w.IsWindow(hwnd)) throw new DriverError('gone', `window ${hwnd} no longer exists`);
    if (!w.IsWindowVisible(hwnd) || w.IsIconic(hwnd)) throw new DriverError('refused', `window ${hwnd} is hidden or minimised, so its pixels cannot be read`);
    const client: WinRect = { left: 0, top: 0, right: 0, bottom: 0 };
    if (!w.GetClientRect(hwnd, client)) throw new DriverError('gone', `window ${hwnd} no longer exists`);
    const [cw, ch] = [client.right - client.left, client.bottom - client.top];
    for (const [i, r] of regions.entries()) {
      if (r.x + r.width > cw || r.y + r.height > ch) {
        throw new DriverError('bad_request', `region ${i} (${r.width}x${r.height}+${r.x}+${r.y}) is outside the ${cw}x${ch} client area of window ${hwnd}`);
      }
    }
    try {
      for (let slot = 0; slot < READER_SLOTS; slot++) for (const r of regions) this.targets.push(this.makeTarget(r));
    } catch (e) {
      this.close();
      throw e;
    }
  }

  private makeTarget(r: Rect): Target {
    const w = this.w;
    const info = new Uint8Array(44); // BITMAPINFOHEADER + one (unused) colour
    const h = new DataView(info.buffer);
    h.setUint32(0, 40, true);
    h.setInt32(4, r.width, true);
    h.setInt32(8, -r.height, true); // negative: top-down rows
    h.setUint16(12, 1, true);
    h.setUint16(14, 32, true);
    const dc = w.CreateCompatibleDC(null) as Handle;
    if (!dc) throw new DriverError('os_error', `CreateCompatibleDC failed (error ${w.GetLastError()})`);
    const bits: unknown[] = [null];
    const bitmap = w.CreateDIBSection(dc, info, DIB_RGB_COLORS, bits, null, 0) as Handle;
    if (!bitmap || !bits[0]) {
      w.DeleteDC(dc);
      throw new DriverError('os_error', `cannot allocate a ${r.width}x${r.height} DIB section (error ${w.GetLastError()})`);
    }
    const old = w.SelectObject(dc, bitmap) as Handle;
    return { dc, bitmap, old, view: viewBytes(bits[0], r.width * r.height * 4) };
  }

  read(slot: number): Uint8Array[] {
    const targets = this.targets.slice(slot * this.regions.length, (slot + 1) * this.regions.length);
    if (this.closed) throw new DriverError('gone', 'region reader is closed');
    const w = this.w;
    const src = w.GetDC(this.hwnd) as Handle;
    if (!src) throw new DriverError('gone', `GetDC failed for window ${this.hwnd} (error ${w.GetLastError()}): closed?`);
    try {
      this.regions.forEach((r, i) => {
        const t = targets[i]!;
        if (!w.BitBlt(t.dc, 0, 0, r.width, r.height, src, r.x, r.y, SRCCOPY)) {
          throw new DriverError('gone', `BitBlt of ${r.width}x${r.height}+${r.x}+${r.y} from window ${this.hwnd} failed (error ${w.GetLastError()})`);
        }
      });
    } finally {
      w.ReleaseDC(this.hwnd, src);
    }
    // GDI batches drawing calls; the DIB's memory is only up to date after a flush.
    w.GdiFlush();
    return targets.map((t) => t.view);
  }

  waitForDrawing(): Promise<boolean> {
    return Promise.reject(new DriverError('unsupported', "GDI has no drawing reports for other processes' windows"));
  }

  distrustDrawingReports(): void {}

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.targets.splice(0)) {
      this.w.SelectObject(t.dc, t.old);
      this.w.DeleteObject(t.bitmap);
      this.w.DeleteDC(t.dc);
    }
  }
}
