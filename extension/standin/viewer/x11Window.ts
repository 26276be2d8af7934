import koffi from 'koffi';
import { blitRgb, fillRect } from './bgrxFrame';

// A plain Xlib window for the stand-in viewer: an RGB framebuffer pushed with XPutImage, keys and
// clicks read with a non-blocking XPending/XNextEvent poll so Node's event loop keeps running.

type Ptr = bigint | null;
const x11 = koffi.load('libX11.so.6');
const X = {
  XOpenDisplay: x11.func('void *XOpenDisplay(const char *name)'),
  XCloseDisplay: x11.func('int XCloseDisplay(void *dpy)'),
  XDefaultScreen: x11.func('int XDefaultScreen(void *dpy)'),
  XDefaultRootWindow: x11.func('unsigned long XDefaultRootWindow(void *dpy)'),
  XDefaultVisual: x11.func('void *XDefaultVisual(void *dpy, int screen)'),
  XDefaultDepth: x11.func('int XDefaultDepth(void *dpy, int screen)'),
  XDefaultGC: x11.func('void *XDefaultGC(void *dpy, int screen)'),
  XBlackPixel: x11.func('unsigned long XBlackPixel(void *dpy, int screen)'),
  XWhitePixel: x11.func('unsigned long XWhitePixel(void *dpy, int screen)'),
  XCreateSimpleWindow: x11.func(
    'unsigned long XCreateSimpleWindow(void *dpy, unsigned long parent, int x, int y, unsigned int w, unsigned int h, unsigned int border, unsigned long borderPixel, unsigned long background)',
  ),
  XStoreName: x11.func('int XStoreName(void *dpy, unsigned long w, const char *name)'),
  XSetClassHint: x11.func('int XSetClassHint(void *dpy, unsigned long w, void *hint)'),
  XAllocClassHint: x11.func('void *XAllocClassHint()'),
  // Two typed views of XChangeProperty: koffi marshals a string or a JS array itself, which is safer than
  // handing it Node Buffers (pooled, offset) as raw pointers.
  XChangePropertyText: x11.func('XChangeProperty', 'int', ['void *', 'unsigned long', 'unsigned long', 'unsigned long', 'int', 'int', 'const char *', 'int']),
  XChangePropertyLongs: x11.func('XChangeProperty', 'int', ['void *', 'unsigned long', 'unsigned long', 'unsigned long', 'int', 'int', 'unsigned long *', 'int']),
  XInternAtom: x11.func('unsigned long XInternAtom(void *dpy, const char *name, int onlyIfExists)'),
  XSetWMProtocols: x11.func('int XSetWMProtocols(void *dpy, unsigned long w, unsigned long *protocols, int count)'),
  XSelectInput: x11.func('int XSelectInput(void *dpy, unsigned long w, long mask)'),
  XMapWindow: x11.func('int XMapWindow(void *dpy, unsigned long w)'),
  XDestroyWindow: x11.func('int XDestroyWindow(void *dpy, unsigned long w)'),
  XPending: x11.func('int XPending(void *dpy)'),
  XNextEvent: x11.func('int XNextEvent(void *dpy, void *event)'),
  XLookupKeysym: x11.func('unsigned long XLookupKeysym(void *event, int index)'),
  XKeysymToString: x11.func('const char *XKeysymToString(unsigned long keysym)'),
  XCreateImage: x11.func('void *XCreateImage(void *dpy, void *visual, unsigned int depth, int format, int offset, void *data, unsigned int w, unsigned int h, int pad, int bpl)'),
  XPutImage: x11.func('int XPutImage(void *dpy, unsigned long d, void *gc, void *image, int sx, int sy, int dx, int dy, unsigned int w, unsigned int h)'),
  XSetForeground: x11.func('int XSetForeground(void *dpy, void *gc, unsigned long pixel)'),
  XDrawString: x11.func('int XDrawString(void *dpy, unsigned long d, void *gc, int x, int y, const char *text, int length)'),
  XFree: x11.func('int XFree(void *data)'),
  XFlush: x11.func('int XFlush(void *dpy)'),
  XSync: x11.func('int XSync(void *dpy, int discard)'),
};

/** Ground truth (FASTBENCH_STANDIN_TRUTH_LOG): system-wide monotonic ms, the clock the driver stamps grabs with. */
const monoMs = () => Number(process.hrtime.bigint()) / 1e6;

const EV = { KeyPress: 2, ButtonPress: 4, Expose: 12, ConfigureNotify: 22, ClientMessage: 33 };
const MASK = { KeyPress: 1, ButtonPress: 1 << 2, Exposure: 1 << 15, StructureNotify: 1 << 17 };

/** When a frame went to the X server: before XPutImage, and after the server drew it (XSync) or XFlush. */
export type PresentStamp = { put_mono_ms: number; presented_mono_ms: number };

export type WindowInput = { kind: 'key'; key: string } | { kind: 'click'; x: number; y: number; button: number } | { kind: 'close' };

export class X11Window {
  private readonly dpy: bigint;
  private readonly win: number;
  private readonly gc: Ptr;
  private readonly visual: Ptr;
  private readonly depth: number;
  private readonly deleteAtom: number;
  private readonly event = Buffer.alloc(192);
  private frame: { ptr: bigint; image: bigint; bytes: Uint8Array } | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** With a ground-truth log, present() waits for the server to have drawn (XSync) so its stamp is exact. */
  private readonly syncPresent = !!process.env.FASTBENCH_STANDIN_TRUTH_LOG;
  width: number;
  height: number;

  constructor(
    title: string,
    width: number,
    height: number,
    private readonly onInput: (i: WindowInput) => void,
    onRedraw: () => void,
  ) {
    const dpy = X.XOpenDisplay(process.env.DISPLAY ?? null) as Ptr;
    if (!dpy) throw new Error(`cannot open X display ${process.env.DISPLAY ?? '(DISPLAY not set)'}`);
    this.dpy = dpy;
    const screen = X.XDefaultScreen(dpy) as number;
    this.visual = X.XDefaultVisual(dpy, screen) as Ptr;
    this.depth = X.XDefaultDepth(dpy, screen) as number;
    if (this.depth !== 24) throw new Error(`the viewer needs a 24-bit TrueColor screen, found depth ${this.depth}`);
    this.gc = X.XDefaultGC(dpy, screen) as Ptr;
    this.width = width;
    this.height = height;
    this.win = Number(X.XCreateSimpleWindow(dpy, X.XDefaultRootWindow(dpy), 40, 40, width, height, 0, X.XBlackPixel(dpy, screen), X.XBlackPixel(dpy, screen)));
    this.setTitle(title);
    // _NET_WM_PID lets window-finders map the window to this process.
    X.XChangePropertyLongs(dpy, this.win, X.XInternAtom(dpy, '_NET_WM_PID', 0), X.XInternAtom(dpy, 'CARDINAL', 0), 32, 0, [process.pid], 1);
    // WM_CLASS is two NUL-terminated strings; the explicit length carries the embedded NUL through.
    const cls = 'fastbench-viewer\0FastBenchViewer\0';
    X.XChangePropertyText(dpy, this.win, X.XInternAtom(dpy, 'WM_CLASS', 0), X.XInternAtom(dpy, 'STRING', 0), 8, 0, cls, cls.length);
    this.deleteAtom = Number(X.XInternAtom(dpy, 'WM_DELETE_WINDOW', 0));
    X.XSetWMProtocols(dpy, this.win, [this.deleteAtom], 1);
    X.XSelectInput(dpy, this.win, MASK.KeyPress | MASK.ButtonPress | MASK.Exposure | MASK.StructureNotify);
    X.XMapWindow(dpy, this.win);
    X.XFlush(dpy);
    this.allocFrame();
    this.timer = setInterval(() => this.pump(onRedraw), 4);
  }

  get handle(): string {
    return String(this.win);
  }

  setTitle(title: string): void {
    X.XStoreName(this.dpy, this.win, title);
    X.XChangePropertyText(this.dpy, this.win, X.XInternAtom(this.dpy, '_NET_WM_NAME', 0), X.XInternAtom(this.dpy, 'UTF8_STRING', 0), 8, 0, title, Buffer.byteLength(title));
    X.XFlush(this.dpy);
  }

  private allocFrame(): void {
    this.freeFrame();
    const size = this.width * this.height * 4;
    const ptr = koffi.alloc('uint8', size) as bigint;
    const image = X.XCreateImage(this.dpy, this.visual, 24, 2, 0, ptr, this.width, this.height, 32, 0) as Ptr;
    if (!image) throw new Error('XCreateImage failed');
    this.frame = { ptr, image, bytes: new Uint8Array(koffi.view(ptr, size)) };
  }

  private freeFrame(): void {
    if (!this.frame) return;
    X.XFree(this.frame.image);
    koffi.free(this.frame.ptr);
    this.frame = undefined;
  }

  /** Copies an RGB block into the framebuffer at (x, y); call present() to show it. */
  blit(rgb: Uint8Array, x: number, y: number, w: number, h: number): void {
    blitRgb({ bytes: this.frame!.bytes, width: this.width, height: this.height }, rgb, x, y, w, h);
  }

  fill(x: number, y: number, w: number, h: number, rgb: [number, number, number]): void {
    fillRect({ bytes: this.frame!.bytes, width: this.width, height: this.height }, x, y, w, h, rgb);
  }

  /** Pushes the framebuffer (or one region of it) to the screen, then draws text lines on top. */
  present(text: { x: number; y: number; s: string }[] = [], region?: { x: number; y: number; w: number; h: number }): PresentStamp {
    const r = region ?? { x: 0, y: 0, w: this.width, h: this.height };
    const put = monoMs();
    X.XPutImage(this.dpy, this.win, this.gc, this.frame!.image, r.x, r.y, r.x, r.y, r.w, r.h);
    X.XSetForeground(this.dpy, this.gc, 0xffffff);
    for (const t of text) X.XDrawString(this.dpy, this.win, this.gc, t.x, t.y, t.s, Buffer.byteLength(t.s));
    // XSync returns once the server has executed the drawing: the frame is on screen from then on.
    if (this.syncPresent) X.XSync(this.dpy, 0);
    else X.XFlush(this.dpy);
    return { put_mono_ms: put, presented_mono_ms: monoMs() };
  }

  private pump(onRedraw: () => void): void {
    let exposed = false;
    while ((X.XPending(this.dpy) as number) > 0) {
      X.XNextEvent(this.dpy, this.event);
      const type = this.event.readInt32LE(0);
      if (type === EV.KeyPress) {
        const name = X.XKeysymToString(X.XLookupKeysym(this.event, 0)) as string | null;
        if (name) this.onInput({ kind: 'key', key: name });
      } else if (type === EV.ButtonPress) {
        this.onInput({ kind: 'click', x: this.event.readInt32LE(64), y: this.event.readInt32LE(68), button: this.event.readUInt32LE(84) });
      } else if (type === EV.Expose) {
        exposed = true;
      } else if (type === EV.ConfigureNotify) {
        const w = this.event.readInt32LE(56);
        const h = this.event.readInt32LE(60);
        if (w !== this.width || h !== this.height) {
          this.width = w;
          this.height = h;
          this.allocFrame();
          exposed = true;
        }
      } else if (type === EV.ClientMessage && Number(this.event.readBigUInt64LE(56)) === this.deleteAtom) {
        this.onInput({ kind: 'close' });
      }
    }
    if (exposed) onRedraw();
  }

  close(): void {
    clearInterval(this.timer);
    X.XDestroyWindow(this.dpy, this.win);
    X.XFlush(this.dpy);
    this.freeFrame();
    X.XCloseDisplay(this.dpy);
  }
}
