import type { Rect } from '../../shared/driverProtocol';
import { DriverError, type RegionReader } from '../backend';
import { Damage, SHM, SHM_INFO_SIZE, Shm, XDamageReportNonEmpty, XIMAGE_BPL_OFFSET, XIMAGE_DATA_OFFSET } from './xshm';
import { X, XC, XImageHead, XWindowAttributes, koffi, type Ptr } from './xlib';

// Reads client regions of one X window for render detection, on a connection of its own (so damage events and
// shared-memory segments belong to this reader alone). Regions are read from the window itself, so the
// coordinates are client-relative and a moved window is still read correctly.
//
// Cost per sample: with MIT-SHM the server copies the pixels straight into our shared segment (0.22 ms for
// 900x660 on Xvfb, against 3.7 ms through XGetImage's socket reply). With DAMAGE, a sample first makes one round
// trip (XSync) after which every damage event caused by drawing before that instant has arrived; when nothing was
// drawn in the window since the previous read, the sample costs just that round trip and returns null (content
// known unchanged). A full read is still forced every SAFETY_READ_MS; if it ever finds a change that damage did not
// report (a client that draws in a way the server does not track), damage gating is switched off for this reader.
// FASTBENCH_X11_NO_SHM=1 and FASTBENCH_X11_NO_DAMAGE=1 turn either off (to measure them, or to work around a server).

const SAFETY_READ_MS = 50;
const ALL_PLANES = 0xffffffff;

type Segment = { image: bigint; info: Buffer; addr: bigint; size: number; view: Uint8Array };

export class X11RegionReader implements RegionReader {
  private readonly dpy: bigint;
  private readonly segments: Segment[] = [];
  private damage = 0;
  private damageEvent = -1;
  private readonly event = Buffer.alloc(192);
  private lastFullRead = -Infinity;
  private previous: Buffer[] = [];
  private pending: Ptr[] = [];
  private closed = false;
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

  /** One shared segment per region; false (and plain XGetImage) when the server cannot share memory with us. */
  private setUpShm(visual: Ptr, depth: number): boolean {
    if (!Shm || process.env.FASTBENCH_X11_NO_SHM === '1' || !Shm.XShmQueryExtension(this.dpy)) return false;
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
    if (!Damage || process.env.FASTBENCH_X11_NO_DAMAGE === '1') return false;
    const base = [0], err = [0];
    if (!Damage.XDamageQueryExtension(this.dpy, base, err)) return false;
    this.takeError();
    const damage = Number(Damage.XDamageCreate(this.dpy, this.window, XDamageReportNonEmpty));
    X.XSync(this.dpy, 0);
    if (!damage || this.takeError()) return false;
    this.damage = damage;
    this.damageEvent = base[0]!; // XDamageNotify is event 0 of the extension
    return true;
  }

  /** True when something was drawn in the window since the last call (and resets the damage). */
  private drawnSinceLastRead(): boolean {
    X.XSync(this.dpy, 0);
    let drawn = false;
    while ((X.XPending(this.dpy) as number) > 0) {
      X.XNextEvent(this.dpy, this.event);
      if (this.event.readInt32LE(0) === this.damageEvent) drawn = true;
    }
    // Emptied before reading: whatever is drawn from here on raises a new event for the next sample.
    if (drawn) Damage!.XDamageSubtract(this.dpy, this.damage, 0, 0);
    return drawn;
  }

  read(): (Uint8Array | null)[] {
    if (this.closed) throw new DriverError('gone', 'region reader is closed');
    let forced = false;
    if (this.damage) {
      const now = performance.now();
      const drawn = this.drawnSinceLastRead();
      forced = !drawn && now - this.lastFullRead >= SAFETY_READ_MS;
      if (!drawn && !forced && this.previous.length) return this.regions.map(() => null);
      this.lastFullRead = now;
    }
    const frames = this.segments.length ? this.readShm() : this.readGetImage();
    if (forced && this.previous.length && frames.some((f, i) => !this.previous[i]!.equals(f))) {
      // Pixels changed without a damage report: stop trusting damage for this reader.
      Damage!.XDamageDestroy(this.dpy, this.damage);
      this.damage = 0;
      this.method = this.method.replace('+damage', '');
    }
    if (this.damage) this.previous = frames.map((f) => Buffer.from(f));
    return frames;
  }

  private check(what: string): void {
    const error = this.takeError();
    if (error) throw new DriverError('gone', `${what} failed for window ${this.window} (X error ${error.code}): closed, unmapped, or partly off screen?`);
  }

  private readShm(): Uint8Array[] {
    return this.regions.map((r, i) => {
      const s = this.segments[i]!;
      const ok = Shm!.XShmGetImage(this.dpy, this.window, s.image, r.x, r.y, ALL_PLANES);
      this.check('XShmGetImage');
      if (!ok) this.fail('XShmGetImage');
      return s.view;
    });
  }

  private readGetImage(): Uint8Array[] {
    this.freePending();
    return this.regions.map((r) => {
      const image = X.XGetImage(this.dpy, this.window, r.x, r.y, r.width, r.height, ALL_PLANES, XC.ZPixmap) as Ptr;
      this.check('XGetImage');
      if (!image) this.fail('XGetImage');
      this.pending.push(image);
      const head = koffi.decode(image, XImageHead) as { data: Ptr; bytes_per_line: number };
      return new Uint8Array(koffi.view(head.data!, head.bytes_per_line * r.height));
    });
  }

  private fail(what: string): never {
    throw new DriverError('gone', `${what} failed for window ${this.window}: closed, unmapped, or partly off screen?`);
  }

  /** XGetImage's images live until the next read (the caller compares the views first). */
  private freePending(): void {
    for (const image of this.pending.splice(0)) {
      const head = koffi.decode(image!, XImageHead) as { data: Ptr };
      if (head.data) X.XFree(head.data);
      X.XFree(image);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.freePending();
    if (this.damage) Damage!.XDamageDestroy(this.dpy, this.damage);
    this.releaseShm();
    X.XSync(this.dpy, 0);
    this.takeError();
    X.XCloseDisplay(this.dpy);
  }
}
