import { readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import type { Rect, WindowInfo } from '../../shared/driverProtocol';
import { DriverError, type DriverBackend, type Injection, type MouseButton, type RawInput, type RegionReader } from '../backend';
import { keyNameFromKeysym, keysymNameForKey } from './keysyms';
import { X11RegionReader } from './regionReader';
import { X, XC, XRes, XErrorHandler, XImageHead, XRecordInterceptData, XRecordInterceptProc, koffi, type Ptr } from './xlib';

const monoMs = () => Number(process.hrtime.bigint()) / 1e6;
const BUTTONS: Record<MouseButton, number> = { left: 1, middle: 2, right: 3, x1: 8, x2: 9 };
const BUTTON_NAMES: Record<number, MouseButton> = { 1: 'left', 2: 'middle', 3: 'right', 8: 'x1', 9: 'x2' };
/** How long an injected event may take to come back through XRecord before we stop expecting it. */
const OWN_INPUT_WINDOW_MS = 1000;

/** An injected event we expect back through XRecord; motions are told apart by where they went (root x, y). */
type Expected = { type: number; detail: number; x?: number; y?: number; at: number };

/**
 * The X11 backend: Xlib for windows and pixels, XTest to inject, XRecord (on its own connection) to
 * capture. X has no "injected" flag, so the driver's own input is recognised by bookkeeping: every
 * injected event is expected back in order and dropped when it arrives.
 */
export class X11Backend implements DriverBackend {
  readonly name = 'x11' as const;
  private readonly dpy: bigint;
  private readonly root: number;
  private readonly atoms = new Map<string, number>();
  private readonly errorHandler: ReturnType<typeof koffi.register>;
  private lastError: { code: number; request: number } | undefined;
  private readonly dpiScale: number;
  private recording: { data: bigint; ctx: number; cb: ReturnType<typeof koffi.register>; timer: NodeJS.Timeout; sink: (i: RawInput) => void } | undefined;
  private expected: Expected[] = [];
  private pointer = { x: NaN, y: NaN };
  private clientCache: { at: number; list: number[]; tops: Map<number, number> } | undefined;
  private readonly fixedFacts = new Map<number, { cls: string; pid: number | null; image: string | null }>();

  constructor(displayName = process.env.DISPLAY) {
    if (!displayName) throw new DriverError('unsupported', 'DISPLAY is not set: the X11 driver needs an X server');
    // Without our handler, Xlib's default one exits the process on BadWindow from a window that just closed.
    this.errorHandler = koffi.register((_dpy: Ptr, event: Ptr) => {
      if (event) this.lastError = { code: koffi.decode(event, 32, 'uint8') as number, request: koffi.decode(event, 33, 'uint8') as number };
      return 0;
    }, koffi.pointer(XErrorHandler));
    X.XSetErrorHandler(this.errorHandler);
    const dpy = X.XOpenDisplay(displayName) as Ptr;
    if (!dpy) throw new DriverError('unsupported', `cannot open X display ${displayName}`);
    this.dpy = dpy;
    this.root = Number(X.XDefaultRootWindow(dpy));
    const ev = [0],
      err = [0],
      major = [0],
      minor = [0];
    if (!X.XTestQueryExtension(dpy, ev, err, major, minor)) throw new DriverError('unsupported', `X display ${displayName} has no XTEST extension`);
    if (!X.XRecordQueryVersion(dpy, major, minor)) throw new DriverError('unsupported', `X display ${displayName} has no RECORD extension`);
    const resources = (X.XResourceManagerString(dpy) as string | null) ?? '';
    const dpi = Number(/^Xft\.dpi:\s*([\d.]+)/m.exec(resources)?.[1]);
    this.dpiScale = dpi > 0 ? dpi / 96 : 1;
  }

  /** The X error raised since the last call, if any (errors arrive through the handler, not return values). */
  private takeError(): { code: number; request: number } | undefined {
    const e = this.lastError;
    this.lastError = undefined;
    return e;
  }

  private atom(name: string): number {
    let a = this.atoms.get(name);
    if (a === undefined) {
      a = Number(X.XInternAtom(this.dpy, name, 0));
      this.atoms.set(name, a);
    }
    return a;
  }

  /** A window property as bytes (format 8) or numbers (format 32, which Xlib returns as C longs). */
  private property(w: number, name: string): { format: number; bytes?: Buffer; longs?: number[] } | undefined {
    const type = [0],
      format = [0],
      nitems = [0],
      after = [0],
      data: Ptr[] = [null];
    const status = X.XGetWindowProperty(this.dpy, w, this.atom(name), 0, 1 << 20, 0, XC.AnyPropertyType, type, format, nitems, after, data);
    const ptr = data[0];
    if (status !== 0 || !ptr) return undefined;
    try {
      const n = Number(nitems[0]);
      // Copy out: a Buffer over koffi.view would alias memory that XFree releases below.
      if (format[0] === 8) return { format: 8, bytes: Buffer.from(new Uint8Array(koffi.view(ptr, n))) };
      if (format[0] === 32) return { format: 32, longs: Array.from(koffi.decode(ptr, 'unsigned long', n) as ArrayLike<number | bigint>, Number) };
      return { format: format[0]! };
    } finally {
      X.XFree(ptr);
    }
  }

  private title(w: number): string {
    const utf8 = this.property(w, '_NET_WM_NAME')?.bytes;
    if (utf8) return utf8.toString('utf8');
    const out: Ptr[] = [null];
    if (X.XFetchName(this.dpy, w, out) && out[0]) {
      try {
        return koffi.decode(out[0], 'char', -1) as string;
      } finally {
        X.XFree(out[0]);
      }
    }
    return '';
  }

  private classHint(w: number): { name: string; cls: string } | undefined {
    const hint: { res_name: Ptr; res_class: Ptr } = { res_name: null, res_class: null };
    if (!X.XGetClassHint(this.dpy, w, hint)) return undefined;
    const read = (p: Ptr) => {
      if (!p) return '';
      const s = koffi.decode(p, 'char', -1) as string;
      X.XFree(p);
      return s;
    };
    return { name: read(hint.res_name), cls: read(hint.res_class) };
  }

  /** The pid of the client that created a window, from the X-Resource extension. */
  private pidFromXRes(w: number): number | null {
    if (!XRes) return null;
    const nids = [0],
      ids: Ptr[] = [null];
    if (XRes.XResQueryClientIds(this.dpy, 1, [{ client: w, mask: XC.XRES_CLIENT_ID_PID_MASK }], nids, ids) !== 0 || !ids[0]) return null;
    try {
      for (let i = 0; i < Number(nids[0]); i++) {
        const base = i * XC.XRES_VALUE_SIZE;
        if ((koffi.decode(ids[0], base + XC.XRES_VALUE_MASK_OFFSET, 'uint32') as number) !== XC.XRES_CLIENT_ID_PID_MASK) continue;
        const value = koffi.decode(ids[0], base + XC.XRES_VALUE_PTR_OFFSET, 'void *') as Ptr;
        if (value) return koffi.decode(value, 'uint32') as number;
      }
      return null;
    } finally {
      XRes.XResClientIdsDestroy(nids[0]!, ids[0]);
    }
  }

  private processOf(w: number, hint: { name: string } | undefined): { pid: number | null; image: string | null } {
    const pid = this.property(w, '_NET_WM_PID')?.longs?.[0] ?? this.pidFromXRes(w);
    if (pid !== null) {
      try {
        return { pid, image: path.basename(readlinkSync(`/proc/${pid}/exe`)) };
      } catch {
        try {
          return { pid, image: readFileSync(`/proc/${pid}/comm`, 'utf8').trim() };
        } catch {
          // a remote client, or the process just exited
        }
      }
    }
    // Many X programs do not set _NET_WM_PID; WM_CLASS's instance name is the program name by convention.
    return { pid, image: hint?.name || null };
  }

  private children(w: number): { parent: number; children: number[] } | undefined {
    const root = [0],
      parent = [0],
      list: Ptr[] = [null],
      n = [0];
    if (!X.XQueryTree(this.dpy, w, root, parent, list, n)) return undefined;
    const count = Number(n[0]);
    const children = count && list[0] ? Array.from(koffi.decode(list[0], 'unsigned long', count) as ArrayLike<number | bigint>, Number) : [];
    if (list[0]) X.XFree(list[0]);
    return { parent: Number(parent[0]), children };
  }

  /**
   * Client windows, cached briefly: the focus guard asks before every injected event, and the list changes
   * rarely. A window too new for the cache is never mistaken for the target, so staleness only refuses.
   */
  private clientWindows(): number[] {
    const now = monoMs();
    if (this.clientCache && now - this.clientCache.at < 250) return this.clientCache.list;
    const list = this.queryClientWindows();
    this.clientCache = { at: now, list, tops: new Map() };
    // Facts of windows that are gone must not outlive them: their ids come back for other programs.
    const present = new Set(list);
    for (const w of this.fixedFacts.keys()) if (!present.has(w)) this.fixedFacts.delete(w);
    return list;
  }

  /** The root's child that contains a client window (itself, or a window manager's frame). */
  private topOf(client: number): number {
    const cached = this.clientCache?.tops.get(client);
    if (cached !== undefined) return cached;
    let w = client;
    for (let tree = this.children(w); tree && tree.parent !== this.root && tree.parent !== 0; tree = this.children(w)) w = tree.parent;
    this.clientCache?.tops.set(client, w);
    return w;
  }

  /** Top-level client windows: the window manager's list when there is one, else the root's children. */
  private queryClientWindows(): number[] {
    const managed = this.property(this.root, '_NET_CLIENT_LIST')?.longs;
    if (managed) return managed;
    const top = this.children(this.root)?.children ?? [];
    const wmState = this.atom('WM_STATE');
    const out: number[] = [];
    for (const w of top) {
      if (this.property(w, 'WM_STATE') || wmState === 0) {
        out.push(w);
        continue;
      }
      // A reparenting window manager without EWMH: the client is the frame's child that has WM_STATE.
      const inner = this.children(w)?.children.find((c) => this.property(c, 'WM_STATE'));
      out.push(inner ?? w);
    }
    return out;
  }

  private attributes(w: number): { width: number; height: number; viewable: boolean; x: number; y: number; border: number } | undefined {
    const attrs: Record<string, number> = {};
    if (!X.XGetWindowAttributes(this.dpy, w, attrs)) return undefined;
    return { x: attrs.x!, y: attrs.y!, width: attrs.width!, height: attrs.height!, border: attrs.border_width!, viewable: attrs.map_state === XC.IsViewable };
  }

  private rootOrigin(w: number): { x: number; y: number } | undefined {
    const x = [0],
      y = [0],
      child = [0];
    if (!X.XTranslateCoordinates(this.dpy, w, this.root, 0, 0, x, y, child)) return undefined;
    return { x: x[0]!, y: y[0]! };
  }

  listWindows(): WindowInfo[] {
    return this.clientWindows()
      .map((w) => this.describe(w))
      .filter((w): w is WindowInfo => w !== undefined);
  }

  windowInfo(handle: string): WindowInfo | undefined {
    return this.describe(Number(handle));
  }

  private describe(w: number): WindowInfo | undefined {
    const attrs = this.attributes(w);
    const origin = attrs && this.rootOrigin(w);
    if (!attrs || !origin) return undefined;
    const clientRect: Rect = { x: origin.x, y: origin.y, width: attrs.width, height: attrs.height };
    // The outer rect is the frame a window manager put around the client (its ancestor below the root).
    let frame = w;
    for (let tree = this.children(w); tree && tree.parent !== this.root && tree.parent !== 0; tree = this.children(frame)) frame = tree.parent;
    let rect: Rect = { x: clientRect.x - attrs.border, y: clientRect.y - attrs.border, width: attrs.width + 2 * attrs.border, height: attrs.height + 2 * attrs.border };
    if (frame !== w) {
      const fa = this.attributes(frame);
      if (fa) rect = { x: fa.x, y: fa.y, width: fa.width + 2 * fa.border, height: fa.height + 2 * fa.border };
    }
    // Class and owning process never change for a window; caching them keeps the 5 Hz window watch cheap. But X
    // reuses a window id once its client has gone (a relaunched app often gets the same id), so an entry counts
    // only while _NET_WM_PID (one cheap round trip) still names the same process.
    let fixed = this.fixedFacts.get(w);
    const wmPid = this.property(w, '_NET_WM_PID')?.longs?.[0] ?? null;
    if (fixed && wmPid !== null && fixed.pid !== wmPid) fixed = undefined;
    if (!fixed) {
      const hint = this.classHint(w);
      fixed = { cls: hint?.cls ?? '', ...this.processOf(w, hint) };
      if (this.fixedFacts.size > 4096) this.fixedFacts.clear();
      this.fixedFacts.set(w, fixed);
    }
    const proc = fixed;
    return {
      handle: String(w),
      title: this.title(w),
      className: fixed.cls,
      pid: proc.pid,
      processImage: proc.image,
      visible: attrs.viewable,
      rect,
      clientRect,
      dpiScale: this.dpiScale,
    };
  }

  private supportsActiveWindow(): boolean {
    const supported = this.property(this.root, '_NET_SUPPORTED')?.longs ?? [];
    return supported.includes(this.atom('_NET_ACTIVE_WINDOW'));
  }

  async foreground(handle: string): Promise<{ ok: boolean; reason?: string }> {
    // The X server, not the target, carries out focus changes: a busy client cannot stall this.
    const w = Number(handle);
    this.takeError();
    if (this.supportsActiveWindow()) {
      // EWMH: ask the window manager (source indication 2 = a pager/tool acting for the user).
      const ev = Buffer.alloc(192);
      ev.writeInt32LE(XC.ClientMessage, 0);
      ev.writeInt32LE(1, 16);
      ev.writeBigUInt64LE(BigInt(w), 32);
      ev.writeBigUInt64LE(BigInt(this.atom('_NET_ACTIVE_WINDOW')), 40);
      ev.writeInt32LE(32, 48);
      ev.writeBigInt64LE(2n, 56);
      X.XSendEvent(this.dpy, this.root, 0, XC.SubstructureRedirectMask | XC.SubstructureNotifyMask, ev);
    } else {
      X.XRaiseWindow(this.dpy, w);
      X.XSetInputFocus(this.dpy, w, XC.RevertToParent, XC.CurrentTime);
    }
    X.XSync(this.dpy, 0);
    const error = this.takeError();
    if (error) return { ok: false, reason: `the X server refused focus (error ${error.code}); is the window mapped?` };
    const deadline = monoMs() + 300;
    while (monoMs() < deadline) {
      if (this.foregroundHandle() === handle) return { ok: true };
      X.XSync(this.dpy, 0);
    }
    return { ok: false, reason: 'the window manager did not give the window the input focus within 300 ms' };
  }

  foregroundHandle(): string | undefined {
    const focus = [0],
      revert = [0];
    X.XGetInputFocus(this.dpy, focus, revert);
    let w = Number(focus[0]);
    if (w <= 1) return undefined; // None or PointerRoot
    const clients = new Set(this.clientWindows());
    while (w && w !== this.root) {
      if (clients.has(w)) return String(w);
      const tree = this.children(w);
      if (!tree) return undefined;
      w = tree.parent;
    }
    return undefined;
  }

  windowAt(x: number, y: number): string | undefined {
    const dx = [0],
      dy = [0],
      child = [0];
    if (!X.XTranslateCoordinates(this.dpy, this.root, this.root, x, y, dx, dy, child)) return undefined;
    const top = Number(child[0]);
    if (!top) return undefined;
    for (const client of this.clientWindows()) if (this.topOf(client) === top) return String(client);
    return String(top);
  }

  async move(handle: string, rect: Rect): Promise<void> {
    this.takeError();
    X.XMoveResizeWindow(this.dpy, Number(handle), rect.x, rect.y, rect.width, rect.height);
    X.XSync(this.dpy, 0);
    const error = this.takeError();
    if (error) throw new DriverError('os_error', `X error ${error.code} moving window ${handle}`);
  }

  belongsTo(window: string, target: string): boolean {
    if (window === target) return true;
    const t = Number(target);
    // A dialog names its main window in WM_TRANSIENT_FOR (possibly through another dialog).
    let w = Number(window);
    for (let i = 0; i < 16 && w; i++) {
      const owner = this.property(w, 'WM_TRANSIENT_FOR')?.longs?.[0] ?? 0;
      if (owner === t) return true;
      w = owner;
    }
    // Menus and pop-ups are often override-redirect windows without WM_TRANSIENT_FOR: the same client process.
    const pid = (x: number) => this.property(x, '_NET_WM_PID')?.longs?.[0] ?? this.pidFromXRes(x);
    const mine = pid(t);
    return mine !== null && mine !== undefined && pid(Number(window)) === mine;
  }

  captureStart(_handle: string, sink: (input: RawInput) => void): void {
    if (this.recording) throw new DriverError('refused', 'capture is already running');
    const data = X.XOpenDisplay(process.env.DISPLAY ?? null) as Ptr;
    if (!data) throw new DriverError('os_error', 'cannot open a second X connection for XRecord');
    const range = X.XRecordAllocRange() as Ptr;
    if (!range) {
      X.XCloseDisplay(data);
      throw new DriverError('os_error', 'XRecordAllocRange failed');
    }
    koffi.encode(range, XC.RANGE_DEVICE_EVENTS_OFFSET, 'uint8', XC.KeyPress);
    koffi.encode(range, XC.RANGE_DEVICE_EVENTS_OFFSET + 1, 'uint8', XC.MotionNotify);
    const ctx = Number(X.XRecordCreateContext(this.dpy, 0, [XC.XRecordAllClients], 1, [range], 1));
    X.XFree(range);
    if (!ctx) {
      X.XCloseDisplay(data);
      throw new DriverError('os_error', 'XRecordCreateContext failed');
    }
    X.XSync(this.dpy, 0);
    const cb = koffi.register((_closure: Ptr, record: Ptr) => this.onRecord(record), koffi.pointer(XRecordInterceptProc));
    if (!X.XRecordEnableContextAsync(data, ctx, cb, null)) {
      koffi.unregister(cb);
      X.XRecordFreeContext(this.dpy, ctx);
      X.XCloseDisplay(data);
      throw new DriverError('os_error', 'XRecordEnableContextAsync failed');
    }
    // The server holds recorded data until something makes it flush; a round trip on the control
    // connection every 2 ms does, and XRecordProcessReplies then runs our callback on this thread.
    const timer = setInterval(() => {
      X.XSync(this.dpy, 0);
      X.XRecordProcessReplies(data);
    }, 2);
    this.recording = { data, ctx, cb, timer, sink };
  }

  private onRecord(record: Ptr): void {
    if (!record) return;
    try {
      const d = koffi.decode(record, XRecordInterceptData) as { category: number; data: Ptr; data_len: number | bigint };
      if (d.category !== XC.XRecordFromServer || !d.data || !this.recording) return;
      const wire = Buffer.from(new Uint8Array(koffi.view(d.data, 32)));
      const type = wire[0]! & 0x7f;
      const detail = wire[1]!;
      const x = wire.readInt16LE(20);
      const y = wire.readInt16LE(22);
      if (this.isOwn(type, detail, x, y)) return;
      const t = monoMs();
      const sink = this.recording.sink;
      if (type === XC.MotionNotify) sink({ kind: 'move', t_mono_ms: t, x, y });
      else if (type === XC.ButtonPress || type === XC.ButtonRelease) {
        const press = type === XC.ButtonPress;
        if (detail >= 4 && detail <= 7) {
          if (press) sink({ kind: 'scroll', t_mono_ms: t, dx: detail === 6 ? -1 : detail === 7 ? 1 : 0, dy: detail === 4 ? -1 : detail === 5 ? 1 : 0, x, y });
        } else if (BUTTON_NAMES[detail]) {
          sink({ kind: press ? 'down' : 'up', t_mono_ms: t, button: BUTTON_NAMES[detail]!, x, y });
        }
      } else if (type === XC.KeyPress || type === XC.KeyRelease) {
        const keysym = X.XkbKeycodeToKeysym(this.dpy, detail, 0, 0);
        const name = keyNameFromKeysym(X.XKeysymToString(keysym) as string | null);
        sink({ kind: type === XC.KeyPress ? 'key_down' : 'key_up', t_mono_ms: t, key: name, scan: detail - 8 });
      }
    } finally {
      X.XRecordFreeData(record);
    }
  }

  /**
   * True when the event is one we injected ourselves. They come back in order, but not all of them come back:
   * a motion to where the pointer already is makes no MotionNotify. So the first matching expectation wins
   * and the older ones before it are dropped, and a motion only matches one that went to the same point —
   * otherwise a stale expectation would swallow the person's own move (the top-left-corner failsafe).
   */
  private isOwn(type: number, detail: number, x: number, y: number): boolean {
    const now = monoMs();
    while (this.expected.length && now - this.expected[0]!.at > OWN_INPUT_WINDOW_MS) this.expected.shift();
    const i = this.expected.findIndex((e) => e.type === type && (type === XC.MotionNotify ? e.x === x && e.y === y : e.detail === detail));
    if (i < 0) return false;
    this.expected.splice(0, i + 1);
    return true;
  }

  captureStop(): void {
    const r = this.recording;
    if (!r) return;
    clearInterval(r.timer);
    X.XRecordDisableContext(this.dpy, r.ctx);
    X.XSync(this.dpy, 0);
    // Deliver what the server still held before we say capture has stopped: the recorder drains on stop.
    X.XRecordProcessReplies(r.data);
    this.recording = undefined;
    X.XRecordFreeContext(this.dpy, r.ctx);
    X.XCloseDisplay(r.data);
    koffi.unregister(r.cb);
    this.expected = [];
  }

  inject(events: Injection[]): void {
    const expect = (type: number, detail: number, at?: { x: number; y: number }) => {
      if (this.recording) this.expected.push({ type, detail, ...at, at: monoMs() });
    };
    // A plain move may be skipped when the pointer is already there; before a button or wheel event the
    // motion is always sent, because the person may have moved the real pointer since our last move and the
    // focus guard checked the intended point, not wherever the pointer happens to be.
    const moveTo = (x: number, y: number, always = false) => {
      if (!Number.isFinite(x) || !Number.isFinite(y) || (!always && x === this.pointer.x && y === this.pointer.y)) return;
      X.XTestFakeMotionEvent(this.dpy, -1, x, y, 0);
      this.pointer = { x, y };
      expect(XC.MotionNotify, 0, { x, y });
    };
    const click = (button: number, press: boolean) => {
      X.XTestFakeButtonEvent(this.dpy, button, press ? 1 : 0, 0);
      expect(press ? XC.ButtonPress : XC.ButtonRelease, button);
    };
    for (const e of events) {
      switch (e.kind) {
        case 'move':
          moveTo(e.x, e.y);
          break;
        case 'down':
        case 'up':
          moveTo(e.x, e.y, true);
          click(BUTTONS[e.button], e.kind === 'down');
          break;
        case 'scroll': {
          moveTo(e.x, e.y, true);
          for (const [delta, neg, pos] of [
            [e.dy, 4, 5],
            [e.dx, 6, 7],
          ] as const) {
            for (let i = 0; i < Math.round(Math.abs(delta)); i++) {
              click(delta < 0 ? neg : pos, true);
              click(delta < 0 ? neg : pos, false);
            }
          }
          break;
        }
        case 'key_down':
        case 'key_up': {
          const keysym = X.XStringToKeysym(keysymNameForKey(e.key));
          const code = keysym ? Number(X.XKeysymToKeycode(this.dpy, keysym)) : 0;
          if (!code) throw new DriverError('unsupported', `key "${e.key}" has no keycode in this X keyboard map`);
          X.XTestFakeKeyEvent(this.dpy, code, e.kind === 'key_down' ? 1 : 0, 0);
          expect(e.kind === 'key_down' ? XC.KeyPress : XC.KeyRelease, code);
          break;
        }
      }
    }
    X.XSync(this.dpy, 0);
  }

  grab(rect: Rect): Uint8Array {
    this.takeError();
    const image = X.XGetImage(this.dpy, this.root, rect.x, rect.y, rect.width, rect.height, 0xffffffff, XC.ZPixmap) as Ptr;
    const error = this.takeError();
    if (!image) throw new DriverError('os_error', `XGetImage failed for ${rect.width}x${rect.height}+${rect.x}+${rect.y}${error ? ` (X error ${error.code})` : ''}`);
    try {
      const head = koffi.decode(image, XImageHead) as {
        data: Ptr;
        bytes_per_line: number;
        bits_per_pixel: number;
        byte_order: number;
        red_mask: number | bigint;
        blue_mask: number | bigint;
      };
      if (head.bits_per_pixel !== 32 || !head.data) throw new DriverError('unsupported', `pixel probe supports 24/32-bit visuals, got ${head.bits_per_pixel} bpp`);
      const raw = new Uint8Array(koffi.view(head.data, head.bytes_per_line * rect.height));
      // ZPixmap 32 bpp, least significant byte first: B G R x when red is the high byte.
      const redHigh = Number(head.red_mask) === 0xff0000;
      const rgb = new Uint8Array(rect.width * rect.height * 3);
      for (let row = 0; row < rect.height; row++) {
        for (let col = 0; col < rect.width; col++) {
          const src = row * head.bytes_per_line + col * 4;
          const dst = (row * rect.width + col) * 3;
          rgb[dst] = raw[redHigh ? src + 2 : src]!;
          rgb[dst + 1] = raw[src + 1]!;
          rgb[dst + 2] = raw[redHigh ? src : src + 2]!;
        }
      }
      X.XFree(head.data);
      return rgb;
    } finally {
      X.XFree(image);
    }
  }

  openRegionReader(handle: string, regions: Rect[]): RegionReader {
    return new X11RegionReader(Number(handle), regions, () => this.takeError());
  }

  close(): void {
    this.captureStop();
    X.XSync(this.dpy, 0);
    X.XCloseDisplay(this.dpy);
    X.XSetErrorHandler(null);
    koffi.unregister(this.errorHandler);
  }
}
