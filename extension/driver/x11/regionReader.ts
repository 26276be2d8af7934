import type { Rect } from '../../shared/driverProtocol';
import { DriverError, READER_SLOTS, type RegionReader } from '../backend';
import { Damage, DAMAGE_AREA_OFFSET, Poll, POLLIN, SHM, SHM_INFO_SIZE, Shm, XDamageReportRawRectangles, XIMAGE_BPL_OFFSET, XIMAGE_DATA_OFFSET } from './xshm';
import { X, XC, XImageHead, koffi, type Ptr } from './xlib';

// Reads client regions of one X window for render detection, on a connection of its own (so damage events and
// shared-memory segments belong to this reader alone). Regions are read from the window itself, so the
// coordinates are client-relative and a moved window is still read correctly.
//
// Cost of a read: with MIT-SHM the server copies the pixels straight into our shared segment (0.22 ms for 900x660
// on Xvfb, against 3.7 ms through XGetImage's socket reply). With DAMAGE the server tells us when something was
// drawn in the window: waitForDrawing blocks in poll(2) on this connection (on a worker thread, via koffi) until a
// damage event arrives, so nothing is read while the window is still, and a change is read within a fraction of a
// millisecond of being drawn instead of up to one polling interval later. Each event carries the rectangle drawn,
// so drawing elsewhere in the window (a status bar, a busy indicator) does not cost a read.
// FASTBENCH_X11_NO_SHM=1 and FASTBENCH_X11_NO_DAMAGE=1 turn either off (to measure them, or to work around a server).

const ALL_PLANES = 0xffffffff;

type Segment = { image: bigint; info: Buffer; addr: bigint; size: number; view: Uint8Array };

export class X11RegionReader implements RegionReader {
  private readonly dpy: bigint;
  /** Shared segments, slot by slot: segments[slot * regions.length + region]. */
  private readonly segments: Segment[] = [];
  private damage = 0;
  private damageEvent = -1;
  private readonly event = Buffer.alloc(192);
  private readonly pollFd = Buffer.alloc(8);
  private polling: Promise<unknown> | undefined;
  /** XGetImage's images per slot, freed when the slot is read again. */
  private readonly pending: Ptr[][] = Array.from({ length: READER_SLOTS }, () => []);
  private closed = false;
  private released = false;
  method: string;

  constructor(
    private readonly window: number,
    private readonly regions: Rect[],
    private readonly takeError: () => { code: number; request: number } | undefined,
  ) {
    const dpy = X.XOpenDisplay(process.env.DISPLAY ?? null) as Ptr;
    if (!dpy) throw new DriverError('os_error', 'cannot open an X connection for reading pixels');
    this.dpy = dpy;
    try {
      const attrs: { width?: number; height?: number; depth?: number; visual?: Ptr; map_state?: number } = {};
      takeError();
      if (!X.XGetWindowAttributes(dpy, window, attrs) || takeError()) throw new DriverError('gone', `window ${window} no longer exists`);
      if (attrs.map_state !== XC.IsViewable) throw new DriverError('refused', `window ${window} is not mapped (not viewable), so its pixels cannot be read`);
      for (const [i, r] of regions.entries()) {
        if (r.x + r.width > attrs.width! || r.y + r.height > attrs.height!) {
          throw new DriverError('bad_request', `region ${i} (${r.width}x${r.height}+${r.x}+${r.y}) is outside the ${attrs.width}x${attrs.height} client area of window ${window}`);
        }
      }
      const shm = this.setUpShm(attrs.visual!, attrs.depth!);
      const damaged = this.setUpDamage();
      this.method = `${shm ? 'xshm' : 'xgetimage'}${damaged ? '+damage' : ''}`;
    } catch (e) {
      this.close();
      throw e;
    }
  }

  get reportsDrawing(): boolean {
    return this.damage !== 0;
  }

  /** One shared segment per region and slot; false (and plain XGetImage) when the server cannot share memory with us. */
  private setUpShm(visual: Ptr, depth: number): boolean {
    if (!Shm || process.env.FASTBENCH_X11_NO_SHM === '1' || !Shm.XShmQueryExtension(this.dpy)) return false;
    for (let slot = 0; slot < READER_SLOTS; slot++)
      for (const r of this.regions) {
        const info = Buffer.alloc(SHM_INFO_SIZE);
        const image = Shm.XShmCreateImage(this.dpy, visual, depth, XC.ZPixmap, null, info, r.width, r.height) as Ptr;
        if (!image) return this.dropShm();
        const size = (koffi.decode(image, XIMAGE_BPL_OFFSET, 'int') as number) * r.height;
        const id = Shm.shmget(SHM.IPC_PRIVATE, size, SHM.IPC_CREAT | 0o600) as number;
        if (id < 0) {
          X.XFree(image);
          return this.dropShm();
        }
        const addr = Shm.shmat(id, null, 0) as bigint;
        const address = koffi.address(addr);
        if (address === 0xffffffffffffffffn) {
          Shm.shmctl(id, SHM.IPC_RMID, null);
          X.XFree(image);
          return this.dropShm();
        }
        info.writeInt32LE(id, 8);
        info.writeBigUInt64LE(address, 16);
        koffi.encode(image, XIMAGE_DATA_OFFSET, 'void *', addr);
        this.takeError();
        Shm.XShmAttach(this.dpy, info);
        X.XSync(this.dpy, 0);
        // Marked for removal now: the segment then disappears with the last detach, even if the driver is killed.
        Shm.shmctl(id, SHM.IPC_RMID, null);
        const segment = { image, info, addr, size, view: new Uint8Array(koffi.view(addr, size)) };
        if (this.takeError()) {
          // A remote X server cannot attach our memory (BadAccess): read through the socket instead.
          Shm.shmdt(addr);
          X.XFree(image);
          return this.dropShm();
        }
        this.segments.push(segment);
      }
    return true;
  }

  private dropShm(): false {
    this.releaseShm();
    return false;
  }

  private releaseShm(): void {
    for (const s of this.segments.splice(0)) {
      Shm!.XShmDetach(this.dpy, s.info);
      X.XSync(this.dpy, 0);
      Shm!.shmdt(s.addr);
      X.XFree(s.image);
    }
  }

  private setUpDamage(): boolean {
    if (!Damage || !Poll || process.env.FASTBENCH_X11_NO_DAMAGE === '1') return false;
    const base = [0],
      err = [0];
    if (!Damage.XDamageQueryExtension(this.dpy, base, err)) return false;
    this.takeError();
    const damage = Number(Damage.XDamageCreate(this.dpy, this.window, XDamageReportRawRectangles));
    X.XSync(this.dpy, 0);
    if (!damage || this.takeError()) return false;
    this.damage = damage;
    this.damageEvent = base[0]!; // XDamageNotify is event 0 of the extension
    this.pollFd.writeInt32LE(Poll.XConnectionNumber(this.dpy) as number, 0);
    this.pollFd.writeInt16LE(POLLIN, 4);
    return true;
  }

  /** Takes the damage events that have arrived (XPending reads what the socket holds); true if one touched a region. */
  private drainDamage(): boolean {
    let drawn = false;
    let any = false;
    while ((X.XPending(this.dpy) as number) > 0) {
      X.XNextEvent(this.dpy, this.event);
      if (this.event.readInt32LE(0) !== this.damageEvent) continue;
      any = true;
      const e = this.event;
      const [x, y, w, h] = [
        e.readInt16LE(DAMAGE_AREA_OFFSET),
        e.readInt16LE(DAMAGE_AREA_OFFSET + 2),
        e.readUInt16LE(DAMAGE_AREA_OFFSET + 4),
        e.readUInt16LE(DAMAGE_AREA_OFFSET + 6),
      ];
      if (this.regions.some((r) => x < r.x + r.width && r.x < x + w && y < r.y + r.height && r.y < y + h)) drawn = true;
    }
    // The server keeps the union of everything drawn; empty it so it does not grow while we watch.
    if (any && this.damage) Damage!.XDamageSubtract(this.dpy, this.damage, 0, 0);
    return drawn;
  }

  async waitForDrawing(maxWaitMs: number): Promise<boolean> {
    if (!this.damage || this.closed) throw new DriverError('unsupported', 'this reader has no drawing reports');
    // With no time to wait, a round trip first: every report of drawing done before now has then arrived.
    if (maxWaitMs <= 0) X.XSync(this.dpy, 0);
    if (this.drainDamage()) return true;
    if (maxWaitMs <= 0) return false;
    // Blocks a worker thread, not the event loop; at most maxWaitMs, so close() never waits long for it.
    const polled = new Promise<unknown>((resolve) => Poll!.poll.async(this.pollFd, 1, Math.max(1, Math.ceil(maxWaitMs)), (_e: unknown, r: unknown) => resolve(r)));
    this.polling = polled;
    await polled;
    this.polling = undefined;
    if (this.closed) {
      this.release();
      return false;
    }
    return this.drainDamage();
  }

  distrustDrawingReports(): void {
    if (!this.damage) return;
    Damage!.XDamageDestroy(this.dpy, this.damage);
    this.damage = 0;
    this.method = this.method.replace('+damage', '');
  }

  read(slot: number): Uint8Array[] {
    if (this.closed) throw new DriverError('gone', 'region reader is closed');
    return this.segments.length ? this.readShm(slot) : this.readGetImage(slot);
  }

  private check(what: string): void {
    const error = this.takeError();
    if (error) throw new DriverError('gone', `${what} failed for window ${this.window} (X error ${error.code}): closed, unmapped, or partly off screen?`);
  }

  private readShm(slot: number): Uint8Array[] {
    return this.regions.map((r, i) => {
      const s = this.segments[slot * this.regions.length + i]!;
      const ok = Shm!.XShmGetImage(this.dpy, this.window, s.image, r.x, r.y, ALL_PLANES);
      this.check('XShmGetImage');
      if (!ok) this.fail('XShmGetImage');
      return s.view;
    });
  }

  private readGetImage(slot: number): Uint8Array[] {
    this.freePending(slot);
    return this.regions.map((r) => {
      const image = X.XGetImage(this.dpy, this.window, r.x, r.y, r.width, r.height, ALL_PLANES, XC.ZPixmap) as Ptr;
      this.check('XGetImage');
      if (!image) this.fail('XGetImage');
      this.pending[slot]!.push(image);
      const head = koffi.decode(image, XImageHead) as { data: Ptr; bytes_per_line: number };
      return new Uint8Array(koffi.view(head.data!, head.bytes_per_line * r.height));
    });
  }

  private fail(what: string): never {
    throw new DriverError('gone', `${what} failed for window ${this.window}: closed, unmapped, or partly off screen?`);
  }

  /** XGetImage's images live until their slot is read again (the caller still compares with them). */
  private freePending(slot: number): void {
    for (const image of this.pending[slot]!.splice(0)) {
      const head = koffi.decode(image!, XImageHead) as { data: Ptr };
      if (head.data) X.XFree(head.data);
      X.XFree(image);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // A poll in flight still watches our socket: the connection is closed when it returns (≤ its timeout).
    if (!this.polling) this.release();
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    for (let slot = 0; slot < READER_SLOTS; slot++) this.freePending(slot);
    if (this.damage) Damage!.XDamageDestroy(this.dpy, this.damage);
    this.releaseShm();
    X.XSync(this.dpy, 0);
    this.takeError();
    X.XCloseDisplay(this.dpy);
  }
}
