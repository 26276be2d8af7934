import koffi from 'koffi';
import { blitRgb, fillRect } from './bgrxFrame';
import { win32, type Handle, type WinRect } from './win32Api';
import { keyNameOfVk } from './win32Keys';
import type { WindowInput } from './x11Window';

// A plain Win32 window for the stand-in viewer, the twin of x11Window.ts: a 32-bit top-down DIB framebuffer
// painted with StretchDIBits (on WM_PAINT and directly on present()), white TextOutW on the status bar, and a
// WndProc (koffi.register) fed by a PeekMessageW pump on a short interval so Node's event loop keeps running.
// The WndProc only records what happened; input and redraws are delivered after the pump, outside any
// native call, so the app never re-enters the window from inside its own window procedure.

const WS_OVERLAPPEDWINDOW = 0x00cf0000;
const CS_HREDRAW = 0x2;
const CS_VREDRAW = 0x1;
const CS_OWNDC = 0x20;
const WM = {
  DESTROY: 0x0002,
  SIZE: 0x0005,
  PAINT: 0x000f,
  CLOSE: 0x0010,
  ERASEBKGND: 0x0014,
  KEYDOWN: 0x0100,
  LBUTTONDOWN: 0x0201,
  RBUTTONDOWN: 0x0204,
  MBUTTONDOWN: 0x0207,
} as const;
const SIZE_MINIMIZED = 1;
const PM_REMOVE = 1;
const SW_SHOWNORMAL = 1;
const SRCCOPY = 0x00cc0020;
const DIB_RGB_COLORS = 0;
const TRANSPARENT = 1;
const TA_BASELINE = 24;
const DEFAULT_GUI_FONT = 17;
const IDC_ARROW = 32512;
const ERROR_CLASS_ALREADY_EXISTS = 1410;
const SWP_NOMOVE = 0x2;
const SWP_NOZORDER = 0x4;
const SWP_NOACTIVATE = 0x10;
const DPI_AWARENESS_CONTEXT_PER_MONITOR_AWARE_V2 = -4;
const CLASS_NAME = 'FastBenchViewer';
const MSG_SIZE = 48; // sizeof(MSG) on x64
const PAINTSTRUCT_SIZE = 72; // sizeof(PAINTSTRUCT) on x64

/**
 * The key name the app sees for a virtual key: X keysym names for the keys it reads (PageDown is X's "Next",
 * PageUp "Prior"), the driver's canonical names (letters as themselves) for the rest.
 */
export function viewerKeyName(vk: number, extended: boolean): string {
  if (vk === 0x22) return 'Next';
  if (vk === 0x21) return 'Prior';
  return keyNameOfVk(vk, extended);
}

/** Signed client coordinates of a mouse message's lParam (GET_X_LPARAM / GET_Y_LPARAM). */
export function pointOfLParam(lParam: number | bigint): { x: number; y: number } {
  const lp = BigInt(lParam);
  return { x: Number(BigInt.asIntN(16, lp)), y: Number(BigInt.asIntN(16, lp >> 16n)) };
}

function bind() {
  const w = win32(); // declares FB_HANDLE / FB_RECT and loads user32, kernel32, gdi32 (win32Api.ts)
  const user32 = koffi.load('user32.dll');
  const kernel32 = koffi.load('kernel32.dll');
  const gdi32 = koffi.load('gdi32.dll');
  const WndProc = koffi.proto('intptr_t __stdcall FBV_WndProc(FB_HANDLE hwnd, uint32_t msg, uintptr_t wParam, intptr_t lParam)');
  const WNDCLASSEXW = koffi.struct('FBV_WNDCLASSEXW', {
    cbSize: 'uint32',
    style: 'uint32',
    lpfnWndProc: 'void *',
    cbClsExtra: 'int32',
    cbWndExtra: 'int32',
    hInstance: 'FB_HANDLE',
    hIcon: 'FB_HANDLE',
    hCursor: 'FB_HANDLE',
    hbrBackground: 'FB_HANDLE',
    lpszMenuName: 'str16',
    lpszClassName: 'str16',
    hIconSm: 'FB_HANDLE',
  });
  const BITMAPINFOHEADER = koffi.struct('FBV_BITMAPINFOHEADER', {
    biSize: 'uint32',
    biWidth: 'int32',
    biHeight: 'int32',
    biPlanes: 'uint16',
    biBitCount: 'uint16',
    biCompression: 'uint32',
    biSizeImage: 'uint32',
    biXPelsPerMeter: 'int32',
    biYPelsPerMeter: 'int32',
    biClrUsed: 'uint32',
    biClrImportant: 'uint32',
  });
  return {
    w,
    WndProc,
    WNDCLASSEXW,
    BITMAPINFOHEADER,
    RegisterClassExW: user32.func('uint16_t __stdcall RegisterClassExW(const FBV_WNDCLASSEXW *cls)'),
    UnregisterClassW: user32.func('int __stdcall UnregisterClassW(str16 name, FB_HANDLE instance)'),
    CreateWindowExW: user32.func(
      'FB_HANDLE __stdcall CreateWindowExW(uint32_t exStyle, str16 cls, str16 title, uint32_t style, int x, int y, int w, int h, FB_HANDLE parent, FB_HANDLE menu, FB_HANDLE instance, void *param)',
    ),
    DestroyWindow: user32.func('int __stdcall DestroyWindow(FB_HANDLE hwnd)'),
    DefWindowProcW: user32.func('intptr_t __stdcall DefWindowProcW(FB_HANDLE hwnd, uint32_t msg, uintptr_t wParam, intptr_t lParam)'),
    PeekMessageW: user32.func('int __stdcall PeekMessageW(void *msg, FB_HANDLE hwnd, uint32_t min, uint32_t max, uint32_t remove)'),
    TranslateMessage: user32.func('int __stdcall TranslateMessage(void *msg)'),
    DispatchMessageW: user32.func('intptr_t __stdcall DispatchMessageW(void *msg)'),
    UpdateWindow: user32.func('int __stdcall UpdateWindow(FB_HANDLE hwnd)'),
    BeginPaint: user32.func('FB_HANDLE __stdcall BeginPaint(FB_HANDLE hwnd, void *paint)'),
    EndPaint: user32.func('int __stdcall EndPaint(FB_HANDLE hwnd, void *paint)'),
    AdjustWindowRectEx: user32.func('int __stdcall AdjustWindowRectEx(_Inout_ FB_RECT *rect, uint32_t style, int menu, uint32_t exStyle)'),
    SetWindowTextW: user32.func('int __stdcall SetWindowTextW(FB_HANDLE hwnd, str16 text)'),
    LoadCursorW: user32.func('FB_HANDLE __stdcall LoadCursorW(FB_HANDLE instance, uintptr_t name)'),
    GetModuleHandleW: kernel32.func('FB_HANDLE __stdcall GetModuleHandleW(str16 name)'),
    StretchDIBits: gdi32.func(
      'int __stdcall StretchDIBits(FB_HANDLE hdc, int xDest, int yDest, int wDest, int hDest, int xSrc, int ySrc, int wSrc, int hSrc, void *bits, const FBV_BITMAPINFOHEADER *info, uint32_t usage, uint32_t rop)',
    ),
    TextOutW: gdi32.func('int __stdcall TextOutW(FB_HANDLE hdc, int x, int y, str16 text, int length)'),
    SetBkMode: gdi32.func('int __stdcall SetBkMode(FB_HANDLE hdc, int mode)'),
    SetTextColor: gdi32.func('uint32_t __stdcall SetTextColor(FB_HANDLE hdc, uint32_t colour)'),
    SetTextAlign: gdi32.func('uint32_t __stdcall SetTextAlign(FB_HANDLE hdc, uint32_t align)'),
    GetStockObject: gdi32.func('FB_HANDLE __stdcall GetStockObject(int index)'),
    GdiFlush: gdi32.func('int __stdcall GdiFlush()'),
  };
}

type Bindings = ReturnType<typeof bind>;
let bound: Bindings | undefined;
const api = (): Bindings => (bound ??= bind());

type Frame = { ptr: bigint; bytes: Uint8Array; width: number; height: number };
type TextLine = { x: number; y: number; s: string };

export class Win32Window {
  private readonly g: Bindings;
  private readonly instance: Handle;
  private readonly hwnd: bigint;
  private readonly proc: bigint;
  private readonly msg: bigint;
  private readonly paint: bigint;
  private frame: Frame | undefined;
  private text: TextLine[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** What the WndProc saw, delivered by the pump once no native call is on the stack. */
  private pending: WindowInput[] = [];
  private resized = false;
  private closed = false;
  width: number;
  height: number;

  constructor(
    title: string,
    width: number,
    height: number,
    private readonly onInput: (i: WindowInput) => void,
    private readonly onRedraw: () => void,
  ) {
    const g = (this.g = api());
    const w = g.w;
    // 1:1 pixels: the harness probes physical pixels, and a DPI-virtualized window would be stretched.
    if (w.SetProcessDpiAwarenessContext) w.SetProcessDpiAwarenessContext(DPI_AWARENESS_CONTEXT_PER_MONITOR_AWARE_V2);
    else w.SetProcessDPIAware?.();
    this.width = width;
    this.height = height;
    this.allocFrame();
    this.msg = koffi.alloc('uint8', MSG_SIZE) as bigint;
    this.paint = koffi.alloc('uint8', PAINTSTRUCT_SIZE) as bigint;
    this.instance = g.GetModuleHandleW(null) as Handle;
    this.proc = koffi.register(this.windowProc.bind(this), koffi.pointer(g.WndProc));
    const atom = g.RegisterClassExW({
      cbSize: koffi.sizeof(g.WNDCLASSEXW),
      style: CS_HREDRAW | CS_VREDRAW | CS_OWNDC,
      lpfnWndProc: this.proc,
      cbClsExtra: 0,
      cbWndExtra: 0,
      hInstance: this.instance,
      hIcon: null,
      hCursor: g.LoadCursorW(null, IDC_ARROW),
      hbrBackground: null, // every pixel is ours: no erase, no flicker
      lpszMenuName: null,
      lpszClassName: CLASS_NAME,
      hIconSm: null,
    }) as number;
    if (!atom && w.GetLastError() !== ERROR_CLASS_ALREADY_EXISTS) {
      const error = w.GetLastError();
      this.release();
      throw new Error(`RegisterClassExW failed (error ${error})`);
    }
    const outer: WinRect = { left: 0, top: 0, right: width, bottom: height };
    g.AdjustWindowRectEx(outer, WS_OVERLAPPEDWINDOW, 0, 0);
    const hwnd = g.CreateWindowExW(
      0,
      CLASS_NAME,
      title,
      WS_OVERLAPPEDWINDOW,
      40,
      40,
      outer.right - outer.left,
      outer.bottom - outer.top,
      null,
      null,
      this.instance,
      null,
    ) as Handle;
    if (!hwnd) {
      const error = w.GetLastError();
      this.release();
      throw new Error(`CreateWindowExW failed (error ${error})`);
    }
    this.hwnd = hwnd;
    w.ShowWindow(hwnd, SW_SHOWNORMAL);
    this.fitClient(width, height);
    g.UpdateWindow(hwnd);
    this.timer = setInterval(() => this.pump(), 4);
  }

  get handle(): string {
    return this.hwnd.toString();
  }

  setTitle(title: string): void {
    this.g.SetWindowTextW(this.hwnd, title);
  }

  /** AdjustWindowRectEx is exact on Windows; if a frame differs (Wine without a window manager), fix it up once. */
  private fitClient(width: number, height: number): void {
    const w = this.g.w;
    const client: WinRect = { left: 0, top: 0, right: 0, bottom: 0 };
    const outer: WinRect = { left: 0, top: 0, right: 0, bottom: 0 };
    if (!w.GetClientRect(this.hwnd, client) || !w.GetWindowRect(this.hwnd, outer)) return;
    const dw = width - (client.right - client.left);
    const dh = height - (client.bottom - client.top);
    if (dw === 0 && dh === 0) return;
    w.SetWindowPos(this.hwnd, null, 0, 0, outer.right - outer.left + dw, outer.bottom - outer.top + dh, SWP_NOMOVE | SWP_NOZORDER | SWP_NOACTIVATE);
  }

  private allocFrame(): void {
    const size = this.width * this.height * 4;
    const ptr = koffi.alloc('uint8', size) as bigint;
    const bytes = new Uint8Array(koffi.view(ptr, size));
    bytes.fill(0);
    const old = this.frame;
    this.frame = { ptr, bytes, width: this.width, height: this.height };
    if (old) koffi.free(old.ptr);
  }

  /** Copies an RGB block into the framebuffer at (x, y); call present() to show it. */
  blit(rgb: Uint8Array, x: number, y: number, w: number, h: number): void {
    blitRgb(this.frame!, rgb, x, y, w, h);
  }

  fill(x: number, y: number, w: number, h: number, rgb: [number, number, number]): void {
    fillRect(this.frame!, x, y, w, h, rgb);
  }

  /** Paints the framebuffer (or the rows of one region of it) on the window now, then the text lines on top. */
  present(text: TextLine[] = [], region?: { x: number; y: number; w: number; h: number }): void {
    if (this.closed) return;
    this.text = text;
    const dc = this.g.w.GetDC(this.hwnd) as Handle;
    if (!dc) return;
    try {
      this.paintTo(dc, region);
    } finally {
      this.g.w.ReleaseDC(this.hwnd, dc);
    }
  }

  private paintTo(dc: bigint, region?: { x: number; y: number; w: number; h: number }): void {
    const g = this.g;
    const f = this.frame!;
    // Whole rows [y0, y1) as a DIB of their own: a top-down sub-DIB drawn entirely leaves no doubt about
    // which way ySrc counts.
    const y0 = Math.max(0, Math.min(f.height, region?.y ?? 0));
    const y1 = Math.max(y0, Math.min(f.height, region ? region.y + region.h : f.height));
    if (y1 > y0) {
      const info = {
        biSize: 40,
        biWidth: f.width,
        biHeight: -(y1 - y0),
        biPlanes: 1,
        biBitCount: 32,
        biCompression: 0,
        biSizeImage: 0,
        biXPelsPerMeter: 0,
        biYPelsPerMeter: 0,
        biClrUsed: 0,
        biClrImportant: 0,
      };
      g.StretchDIBits(dc, 0, y0, f.width, y1 - y0, 0, 0, f.width, y1 - y0, f.ptr + BigInt(y0 * f.width * 4), info, DIB_RGB_COLORS, SRCCOPY);
    }
    if (this.text.length) {
      g.w.SelectObject(dc, g.GetStockObject(DEFAULT_GUI_FONT));
      g.SetBkMode(dc, TRANSPARENT);
      g.SetTextColor(dc, 0x00ffffff);
      g.SetTextAlign(dc, TA_BASELINE); // y is the baseline, as XDrawString's
      for (const t of this.text) g.TextOutW(dc, t.x, t.y, t.s, t.s.length);
    }
    g.GdiFlush();
  }

  private windowProc(hwnd: Handle, msg: number, wParam: number | bigint, lParam: number | bigint): number | bigint {
    try {
      switch (msg) {
        case WM.PAINT: {
          const dc = this.g.BeginPaint(hwnd, this.paint) as Handle;
          if (dc && this.frame) this.paintTo(dc);
          this.g.EndPaint(hwnd, this.paint);
          return 0;
        }
        case WM.ERASEBKGND:
          return 1;
        case WM.SIZE: {
          const lp = Number(BigInt(lParam) & 0xffffffffn);
          const width = lp & 0xffff;
          const height = lp >>> 16;
          if (Number(wParam) !== SIZE_MINIMIZED && width > 0 && height > 0 && (width !== this.width || height !== this.height)) {
            this.width = width;
            this.height = height;
            this.allocFrame();
            this.resized = true;
          }
          return 0;
        }
        case WM.KEYDOWN: {
          const extended = ((BigInt(lParam) >> 24n) & 1n) === 1n;
          this.pending.push({ kind: 'key', key: viewerKeyName(Number(wParam), extended) });
          return 0;
        }
        case WM.LBUTTONDOWN:
        case WM.MBUTTONDOWN:
        case WM.RBUTTONDOWN: {
          const { x, y } = pointOfLParam(lParam);
          this.pending.push({ kind: 'click', x, y, button: msg === WM.LBUTTONDOWN ? 1 : msg === WM.MBUTTONDOWN ? 2 : 3 });
          return 0;
        }
        case WM.CLOSE:
          this.pending.push({ kind: 'close' }); // the app decides; close() destroys the window
          return 0;
      }
    } catch (e) {
      process.stderr.write(`standin-viewer: window procedure: ${(e as Error).stack ?? String(e)}\n`);
    }
    return this.g.DefWindowProcW(hwnd, msg, wParam, lParam) as number | bigint;
  }

  private pump(): void {
    const g = this.g;
    for (let n = 0; n < 256 && !this.closed && g.PeekMessageW(this.msg, null, 0, 0, PM_REMOVE); n++) {
      g.TranslateMessage(this.msg);
      g.DispatchMessageW(this.msg);
    }
    if (this.closed) return;
    const inputs = this.pending;
    this.pending = [];
    if (this.resized) {
      this.resized = false;
      this.onRedraw();
    }
    for (const input of inputs) {
      if (this.closed) break;
      this.onInput(input);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.g.DestroyWindow(this.hwnd);
    this.release();
  }

  /** Frees what the constructor acquired; the window is already gone (or never was). */
  private release(): void {
    this.g.UnregisterClassW(CLASS_NAME, this.instance);
    koffi.unregister(this.proc);
    koffi.free(this.msg);
    koffi.free(this.paint);
    if (this.frame) koffi.free(this.frame.ptr);
    this.frame = undefined;
  }
}
