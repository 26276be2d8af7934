import path from 'node:path';
import type { Rect, WindowInfo } from '../../shared/driverProtocol';
import { DriverError, type DriverBackend, type Injection, type RawInput, type RegionReader } from '../backend';
import { koffiModulePath } from '../koffiPath';
import { rawInputOf } from './hookEvents';
import { HookThread, type HookStats } from './hookThread';
import { Win32RegionReader } from './regionReader';
import { encodeInjections, FASTBENCH_INPUT_TAG, INPUT_SIZE, KEYEVENTF, MOUSEEVENTF, type VirtualDesktop } from './inputEncoding';
import { decodeUint32, decodeUint8, win32, type Handle, type WinPoint, type WinRect, type Win32 } from './user32';

// The Win32 backend: user32 through koffi. Coordinates are physical screen pixels (the process is
// per-monitor DPI aware before any coordinate call); the virtual desktop may start at negative coordinates.

const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
const TOKEN_QUERY = 0x0008;
const TOKEN_INTEGRITY_LEVEL = 25;
const ERROR_ACCESS_DENIED = 5;
const SECURITY_MANDATORY_HIGH_RID = 0x3000;
const SM_XVIRTUALSCREEN = 76;
const SM_YVIRTUALSCREEN = 77;
const SM_CXVIRTUALSCREEN = 78;
const SM_CYVIRTUALSCREEN = 79;
const SW_RESTORE = 9;
const SWP_NOZORDER = 0x0004;
const SWP_NOACTIVATE = 0x0010;
const SWP_NOOWNERZORDER = 0x0200;
const GA_ROOT = 2;
const WM_QUIT = 0x0012;
const LOGPIXELSX = 88;
const SRCCOPY = 0x00cc0020;
const CAPTUREBLT = 0x40000000;
const MAPVK_VK_TO_VSC = 0;
const MAPVK_VSC_TO_VK_EX = 3;
const DPI_AWARENESS_CONTEXT_PER_MONITOR_AWARE_V2 = -4;
const DPI_AWARENESS_CONTEXT_PER_MONITOR_AWARE = -3;
const VK_MENU = 0x12;
const VK_UNASSIGNED = 0xe8; // masks the lone Alt tap of the foreground trick so no menu opens

/** How long the hooks may be silent before a tagged probe checks they are still installed. */
const WATCHDOG_MS = Number(process.env.FASTBENCH_HOOK_WATCHDOG_MS ?? 5000);

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const toRect = (r: WinRect): Rect => ({ x: r.left, y: r.top, width: r.right - r.left, height: r.bottom - r.top });

export class Win32Backend implements DriverBackend {
  readonly name = 'win32' as const;
  /** Which DPI awareness the process got: per-monitor v2 unless Windows (or Wine) is too old. */
  readonly dpiAwareness: 'per-monitor-v2' | 'per-monitor' | 'system' | 'unaware';
  /** Wine's version when running under Wine (some checks mean less there), else undefined. */
  readonly wineVersion: string | undefined;
  private readonly w: Win32;
  private hooks: HookThread | undefined;
  private sink: ((input: RawInput) => void) | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private lastHookActivity = 0;
  /** How often the watchdog had to install the hooks again (diagnostics: driver-stats). */
  private hookRestarts = 0;
  private readonly images = new Map<number, { image: string | null; at: number }>();
  private readonly integrity = new Map<number, { level: number | 'denied' | undefined; at: number }>();
  private ownIntegrity: number | undefined;
  private closed = false;

  constructor() {
    if (process.platform !== 'win32') throw new DriverError('unsupported', `the Win32 backend runs on Windows, not ${process.platform}`);
    if (process.arch !== 'x64') throw new DriverError('unsupported', `the Win32 backend supports x64 only, not ${process.arch}`);
    this.w = win32();
    this.dpiAwareness = this.becomeDpiAware();
    this.wineVersion = this.w.wine_get_version?.() ?? undefined;
    if (process.env.FASTBENCH_DRIVER_DEBUG) {
      process.stderr.write(`driver: win32 backend, DPI awareness ${this.dpiAwareness}${this.wineVersion ? `, Wine ${this.wineVersion}` : ''}\n`);
    }
  }

  /**
   * Must run before any coordinate call, or Windows virtualises coordinates for a DPI-unaware process. Asks for
   * per-monitor v2 for the process; if the process setting is taken (a manifest, or Wine, which is per-monitor
   * already and does not know v2), at least for this thread. Returns what the thread really has.
   */
  private becomeDpiAware(): Win32Backend['dpiAwareness'] {
    const w = this.w;
    const ok = w.SetProcessDpiAwarenessContext?.(DPI_AWARENESS_CONTEXT_PER_MONITOR_AWARE_V2) || w.SetProcessDpiAwarenessContext?.(DPI_AWARENESS_CONTEXT_PER_MONITOR_AWARE);
    if (!ok && w.SetThreadDpiAwarenessContext && this.currentDpiAwareness() !== 'per-monitor') {
      if (!w.SetThreadDpiAwarenessContext(DPI_AWARENESS_CONTEXT_PER_MONITOR_AWARE_V2)) w.SetThreadDpiAwarenessContext(DPI_AWARENESS_CONTEXT_PER_MONITOR_AWARE);
    }
    const now = this.currentDpiAwareness();
    if (now !== undefined) return now;
    // Before Windows 10 1607 nothing tells; the best older Windows offers is system awareness.
    return w.SetProcessDPIAware?.() ? 'system' : 'unaware';
  }

  private currentDpiAwareness(): Win32Backend['dpiAwareness'] | undefined {
    const { GetThreadDpiAwarenessContext, GetAwarenessFromDpiAwarenessContext, AreDpiAwarenessContextsEqual } = this.w;
    if (!GetThreadDpiAwarenessContext || !GetAwarenessFromDpiAwarenessContext) return undefined;
    const context = GetThreadDpiAwarenessContext();
    switch (GetAwarenessFromDpiAwarenessContext(context)) {
      case 2:
        return AreDpiAwarenessContextsEqual?.(context, DPI_AWARENESS_CONTEXT_PER_MONITOR_AWARE_V2) ? 'per-monitor-v2' : 'per-monitor';
      case 1:
        return 'system';
      case 0:
        return 'unaware';
      default:
        return undefined;
    }
  }

  // ---------------------------------------------------------------- windows

  listWindows(): WindowInfo[] {
    const handles: bigint[] = [];
    this.w.EnumWindows((hwnd: bigint) => {
      handles.push(hwnd);
      return 1;
    }, 0);
    const now = performance.now();
    const list: WindowInfo[] = [];
    for (const hwnd of handles) {
      const info = this.describe(hwnd, now);
      if (info) list.push(info);
    }
    return list;
  }

  windowInfo(handle: string): WindowInfo | undefined {
    const hwnd = BigInt(handle);
    return this.w.IsWindow(hwnd) ? this.describe(hwnd, performance.now()) : undefined;
  }

  private describe(hwnd: bigint, now: number): WindowInfo | undefined {
    const w = this.w;
    const rect: WinRect = { left: 0, top: 0, right: 0, bottom: 0 };
    const client: WinRect = { left: 0, top: 0, right: 0, bottom: 0 };
    const origin: WinPoint = { x: 0, y: 0 };
    // A window can vanish between EnumWindows and here: then it is simply not listed.
    if (!w.GetWindowRect(hwnd, rect) || !w.GetClientRect(hwnd, client) || !w.ClientToScreen(hwnd, origin)) return undefined;
    const pidOut = [0];
    const thread = w.GetWindowThreadProcessId(hwnd, pidOut);
    const pid = thread ? pidOut[0]! : null;
    return {
      handle: hwnd.toString(),
      title: this.text(w.GetWindowTextW, hwnd, Math.min(32_768, w.GetWindowTextLengthW(hwnd) + 1)),
      className: this.text(w.GetClassNameW, hwnd, 256),
      pid,
      processImage: pid === null ? null : this.processImage(pid, now),
      visible: w.IsWindowVisible(hwnd) !== 0,
      rect: toRect(rect),
      clientRect: { x: origin.x, y: origin.y, width: client.right - client.left, height: client.bottom - client.top },
      dpiScale: this.dpiScaleOf(hwnd),
    };
  }

  private text(fn: (hwnd: bigint, buf: Uint16Array, max: number) => number, hwnd: bigint, max: number): string {
    const buf = new Uint16Array(Math.max(2, max));
    const n = fn(hwnd, buf, buf.length);
    return n > 0 ? Buffer.from(buf.buffer, 0, n * 2).toString('utf16le') : '';
  }

  /** Base name of the process image ("Petrel.exe"), cached for a few seconds per pid; null when hidden from us. */
  private processImage(pid: number, now: number): string | null {
    const cached = this.images.get(pid);
    if (cached && now - cached.at < 3000) return cached.image;
    let image: string | null = null;
    const proc = this.w.OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid);
    if (proc) {
      try {
        const buf = new Uint16Array(1024);
        const size = [buf.length];
        if (this.w.QueryFullProcessImageNameW(proc, 0, buf, size)) {
          image = path.win32.basename(Buffer.from(buf.buffer, 0, size[0]! * 2).toString('utf16le'));
        }
      } finally {
        this.w.CloseHandle(proc);
      }
    }
    this.images.set(pid, { image, at: now });
    return image;
  }

  private dpiScaleOf(hwnd: bigint): number {
    const dpi = this.w.GetDpiForWindow?.(hwnd) ?? 0;
    if (dpi > 0) return dpi / 96;
    const dc = this.w.GetDC(null);
    try {
      return (this.w.GetDeviceCaps(dc, LOGPIXELSX) || 96) / 96;
    } finally {
      this.w.ReleaseDC(null, dc);
    }
  }

  foregroundHandle(): string | undefined {
    const hwnd = this.w.GetForegroundWindow() as Handle;
    return hwnd ? hwnd.toString() : undefined;
  }

  /**
   * SetForegroundWindow, then the documented ways around the foreground lock, in order of least side effect:
   * attach to the foreground thread's input; then a tagged Alt tap (the system lets a process that is
   * "sending input" take the foreground) masked by an unassigned key so no menu opens. Never claims success
   * unless GetForegroundWindow agrees.
   */
  foreground(handle: string): { ok: boolean; reason?: string } {
    const w = this.w;
    const hwnd = BigInt(handle);
    if (!w.IsWindow(hwnd)) return { ok: false, reason: `window ${handle} no longer exists` };
    const isForeground = () => (w.GetForegroundWindow() as Handle) === hwnd;
    if (w.IsIconic(hwnd)) w.ShowWindow(hwnd, SW_RESTORE);
    if (isForeground()) return { ok: true };
    const pid = [0];
    const targetThread = w.GetWindowThreadProcessId(hwnd, pid);
    w.AllowSetForegroundWindow(pid[0]!);
    if (w.SetForegroundWindow(hwnd) && isForeground()) return { ok: true };

    const before = w.GetForegroundWindow() as Handle;
    const me = w.GetCurrentThreadId();
    const fgThread = before ? w.GetWindowThreadProcessId(before, [0]) : 0;
    const attached: number[] = [];
    for (const t of new Set([fgThread, targetThread])) {
      if (t && t !== me && w.AttachThreadInput(me, t, 1)) attached.push(t);
    }
    try {
      w.BringWindowToTop(hwnd);
      w.SetForegroundWindow(hwnd);
      w.SetFocus(hwnd);
    } finally {
      for (const t of attached) w.AttachThreadInput(me, t, 0);
    }
    if (isForeground()) return { ok: true };

    let inputRefused: string | undefined;
    try {
      this.sendRaw([
        { kind: 'key', vk: VK_MENU, up: false },
        { kind: 'key', vk: VK_UNASSIGNED, up: false },
        { kind: 'key', vk: VK_UNASSIGNED, up: true },
      ]);
      try {
        w.SetForegroundWindow(hwnd);
      } finally {
        this.sendRaw([{ kind: 'key', vk: VK_MENU, up: true }]);
      }
    } catch (e) {
      inputRefused = (e as Error).message; // e.g. the foreground window is elevated: our input is blocked too
    }
    for (let i = 0; i < 5 && !isForeground(); i++) sleepSync(10);
    if (isForeground()) return { ok: true };

    const now = w.GetForegroundWindow() as Handle;
    const holder = now ? this.describe(now, performance.now()) : undefined;
    const who = holder ? `"${holder.title}" (${holder.processImage ?? 'unknown process'}, pid ${holder.pid})` : 'no window';
    return {
      ok: false,
      reason:
        `Windows refused to bring window ${handle} to the foreground; ${who} keeps it. The foreground lock lets only ` +
        'the foreground process, or one that received the last user input, change the foreground window. Click the ' +
        'target window once, or start FastBench from the window that has the foreground.' +
        (inputRefused ? ` (The input workaround failed too: ${inputRefused})` : ''),
    };
  }

  windowAt(x: number, y: number): string | undefined {
    const under = this.w.WindowFromPoint({ x: Math.round(x), y: Math.round(y) }) as Handle;
    const root = under ? (this.w.GetAncestor(under, GA_ROOT) as Handle) : null;
    return root ? root.toString() : undefined;
  }

  move(handle: string, rect: Rect): void {
    const hwnd = BigInt(handle);
    if (this.w.IsZoomed(hwnd) || this.w.IsIconic(hwnd)) this.w.ShowWindow(hwnd, SW_RESTORE);
    if (!this.w.SetWindowPos(hwnd, null, rect.x, rect.y, rect.width, rect.height, SWP_NOZORDER | SWP_NOACTIVATE | SWP_NOOWNERZORDER)) {
      throw new DriverError('os_error', `SetWindowPos failed for window ${handle} (error ${this.w.GetLastError()})`);
    }
  }

  // ---------------------------------------------------------------- capture

  captureStart(sink: (input: RawInput) => void): void {
    if (this.hooks) throw new DriverError('refused', 'capture is already running');
    this.sink = sink;
    const t0 = performance.now();
    this.hooks = this.startHooks(Number(process.env.FASTBENCH_HOOK_TEST_STALL_MS ?? 0), Number(process.env.FASTBENCH_HOOK_TEST_DROP_AFTER ?? 0));
    if (process.env.FASTBENCH_DRIVER_DEBUG) process.stderr.write(`driver: hooks installed in ${(performance.now() - t0).toFixed(1)} ms\n`);
    this.lastHookActivity = performance.now();
    if (WATCHDOG_MS > 0) this.watchdog = setInterval(() => this.checkHooks(), WATCHDOG_MS);
  }

  /** stallMs and dropAfter are test-only switches (FASTBENCH_HOOK_TEST_*): they imitate a slow or removed hook. */
  private startHooks(stallMs = 0, dropAfter = 0): HookThread {
    return new HookThread(
      { koffiPath: koffiModulePath(), tag: FASTBENCH_INPUT_TAG, stallMs, stallCount: stallMs > 0 ? 8 : 0, dropAfter },
      (e) => {
        this.lastHookActivity = performance.now();
        const input = rawInputOf(e);
        if (input) this.sink?.(input);
      },
      (tid) => this.w.PostThreadMessageW(tid, WM_QUIT, 0, 0) !== 0,
    );
  }

  /**
   * Windows removes a low-level hook without telling anyone when it overruns LowLevelHooksTimeout. When the
   * hooks have been quiet for a while, a tagged zero-distance mouse move (ignored by every FastBench hook)
   * checks they are still called; if not, they are installed again and the loss is reported on stderr.
   */
  private checkHooks(): void {
    const hooks = this.hooks;
    if (!hooks || performance.now() - this.lastHookActivity < WATCHDOG_MS) return;
    const before = hooks.tagged + hooks.calls;
    try {
      this.sendRaw([{ kind: 'nudge' }]);
    } catch {
      return; // input blocked right now (e.g. secure desktop): nothing to conclude
    }
    setTimeout(() => {
      if (this.hooks !== hooks) return;
      if (hooks.tagged + hooks.calls > before) {
        this.lastHookActivity = performance.now();
        return;
      }
      this.report('warn', 'the input hooks stopped being called (Windows removes a hook that overruns LowLevelHooksTimeout); installing them again');
      hooks.stop(500);
      try {
        this.hooks = this.startHooks();
        this.lastHookActivity = performance.now();
        this.hookRestarts++;
        this.report('warn', `input hooks installed again (restart ${this.hookRestarts}); input in between was not captured`);
      } catch (e) {
        this.hooks = undefined;
        this.report('error', `could not reinstall the input hooks: ${(e as Error).message}`);
      }
    }, 500).unref();
  }

  captureStop(): void {
    clearInterval(this.watchdog);
    this.watchdog = undefined;
    const hooks = this.hooks;
    this.hooks = undefined;
    this.sink = undefined;
    if (!hooks) return;
    const stats = hooks.stop();
    this.reportStats(stats);
  }

  private reportStats(s: HookStats): void {
    if (!process.env.FASTBENCH_DRIVER_DEBUG) return;
    const line = { hookCallbacks: s.calls, hookP50Ms: s.p50Ms, hookP99Ms: s.p99Ms, hookMaxMs: s.maxMs, taggedIgnored: s.tagged, hookRestarts: this.hookRestarts };
    process.stderr.write(`driver-stats ${JSON.stringify(line)}\n`);
  }

  // ---------------------------------------------------------------- inject

  inject(events: Injection[]): void {
    if (!events.length) return;
    this.checkNotElevatedTarget(events);
    const buf = encodeInjections(events, this.virtualDesktop(), {
      scanOf: (vk) => this.w.MapVirtualKeyW(vk, MAPVK_VK_TO_VSC),
      vkOfScan: (scan) => this.w.MapVirtualKeyW(scan, MAPVK_VSC_TO_VK_EX),
    });
    this.send(buf);
  }

  private virtualDesktop(): VirtualDesktop {
    const m = this.w.GetSystemMetrics;
    return { x: m(SM_XVIRTUALSCREEN), y: m(SM_YVIRTUALSCREEN), width: m(SM_CXVIRTUALSCREEN), height: m(SM_CYVIRTUALSCREEN) };
  }

  private send(buf: Buffer): void {
    const count = buf.length / INPUT_SIZE;
    const sent = this.w.SendInput(count, buf, INPUT_SIZE);
    if (sent === count) return;
    const error = this.w.GetLastError();
    if (error === ERROR_ACCESS_DENIED || sent === 0) {
      throw new DriverError(
        'blocked',
        `Windows blocked the injected input (SendInput sent ${sent} of ${count}, error ${error}): the window receiving it ` +
          'probably belongs to a program running elevated ("as administrator"), which a non-elevated process may not ' +
          'send input to (UIPI). Run FastBench elevated too, or start the target without elevation.',
      );
    }
    throw new DriverError('os_error', `SendInput sent ${sent} of ${count} events (error ${error})`);
  }

  /** Tagged input that is not a driver injection: foreground keys and the watchdog's zero move. */
  private sendRaw(records: ({ kind: 'key'; vk: number; up: boolean } | { kind: 'nudge' })[]): void {
    const buf = Buffer.alloc(records.length * INPUT_SIZE);
    records.forEach((r, i) => {
      const o = i * INPUT_SIZE;
      if (r.kind === 'key') {
        buf.writeUInt32LE(1, o);
        buf.writeUInt16LE(r.vk, o + 8);
        buf.writeUInt16LE(this.w.MapVirtualKeyW(r.vk, MAPVK_VK_TO_VSC) & 0xff, o + 10);
        buf.writeUInt32LE(r.up ? KEYEVENTF.KEYUP : 0, o + 12);
        buf.writeBigUInt64LE(FASTBENCH_INPUT_TAG, o + 24);
      } else {
        buf.writeUInt32LE(0, o);
        buf.writeUInt32LE(MOUSEEVENTF.MOVE, o + 20); // relative 0,0: the pointer stays put
        buf.writeBigUInt64LE(FASTBENCH_INPUT_TAG, o + 32);
      }
    });
    this.send(buf);
  }

  /**
   * UIPI drops input to a window of a higher integrity level, and SendInput does not always say so. So before
   * sending, look at the windows that would receive it (under each pointer position, and the foreground window
   * for keys) and refuse with 'blocked' when one runs above our integrity level.
   */
  private checkNotElevatedTarget(events: Injection[]): void {
    const own = this.ownIntegrityLevel();
    if (own === undefined || own >= SECURITY_MANDATORY_HIGH_RID) return;
    const receivers = new Set<bigint>();
    for (const e of events) {
      if ('x' in e && Number.isFinite(e.x) && Number.isFinite(e.y)) {
        const root = this.windowAt(e.x, e.y);
        if (root) receivers.add(BigInt(root));
      } else {
        const fg = this.w.GetForegroundWindow() as Handle;
        if (fg) receivers.add(fg);
      }
    }
    for (const hwnd of receivers) {
      const pid = [0];
      if (!this.w.GetWindowThreadProcessId(hwnd, pid) || !pid[0]) continue;
      const level = this.integrityOf(pid[0]);
      if (level === 'denied' || (level !== undefined && level > own)) {
        const info = this.describe(hwnd, performance.now());
        throw new DriverError(
          'blocked',
          `input to "${info?.title ?? hwnd}" (${info?.processImage ?? 'unknown process'}, pid ${pid[0]}) would be blocked: that program ` +
            `runs at a higher integrity level than FastBench (${level === 'denied' ? 'its token is closed to us' : `0x${level.toString(16)} > 0x${own.toString(16)}`}), ` +
            'probably elevated ("as administrator"). Windows (UIPI) drops such input silently. Run FastBench elevated too, or the target without elevation.',
        );
      }
    }
  }

  private ownIntegrityLevel(): number | undefined {
    if (this.ownIntegrity === undefined) {
      const level = this.tokenIntegrity(this.w.GetCurrentProcess() as bigint);
      this.ownIntegrity = typeof level === 'number' ? level : undefined;
    }
    return this.ownIntegrity;
  }

  private integrityOf(pid: number): number | 'denied' | undefined {
    const now = performance.now();
    const cached = this.integrity.get(pid);
    if (cached && now - cached.at < 5000) return cached.level;
    let level: number | 'denied' | undefined;
    const proc = this.w.OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) as Handle;
    if (!proc) level = this.w.GetLastError() === ERROR_ACCESS_DENIED ? 'denied' : undefined;
    else {
      try {
        level = this.tokenIntegrity(proc);
      } finally {
        this.w.CloseHandle(proc);
      }
    }
    this.integrity.set(pid, { level, at: now });
    return level;
  }

  /** The mandatory integrity RID of a process token (0x2000 medium, 0x3000 high), 'denied', or undefined. */
  private tokenIntegrity(proc: bigint): number | 'denied' | undefined {
    const w = this.w;
    const token: Handle[] = [null];
    if (!w.OpenProcessToken(proc, TOKEN_QUERY, token) || !token[0]) {
      return w.GetLastError() === ERROR_ACCESS_DENIED ? 'denied' : undefined;
    }
    try {
      const buf = new Uint8Array(128);
      const needed = [0];
      if (!w.GetTokenInformation(token[0], TOKEN_INTEGRITY_LEVEL, buf, buf.length, needed)) return undefined;
      // TOKEN_MANDATORY_LABEL { SID_AND_ATTRIBUTES { PSID Sid; DWORD Attributes } }: Sid points into buf.
      const sid = new DataView(buf.buffer).getBigUint64(0, true);
      if (!sid) return undefined;
      const count = decodeUint8(w.GetSidSubAuthorityCount(sid));
      return count ? decodeUint32(w.GetSidSubAuthority(sid, count - 1)) : undefined;
    } catch {
      return undefined;
    } finally {
      w.CloseHandle(token[0]);
    }
  }

  // ---------------------------------------------------------------- pixels

  grab(rect: Rect): Uint8Array {
    const w = this.w;
    const { x, y, width, height } = rect;
    if (width <= 0 || height <= 0) return new Uint8Array(0);
    const screen = w.GetDC(null) as Handle;
    if (!screen) throw new DriverError('os_error', `GetDC(NULL) failed (error ${w.GetLastError()})`);
    const mem = w.CreateCompatibleDC(screen) as Handle;
    const bitmap = w.CreateCompatibleBitmap(screen, width, height) as Handle;
    try {
      if (!mem || !bitmap) throw new DriverError('os_error', `cannot allocate a ${width}x${height} bitmap (error ${w.GetLastError()})`);
      const old = w.SelectObject(mem, bitmap);
      const copied = w.BitBlt(mem, 0, 0, width, height, screen, x, y, SRCCOPY | CAPTUREBLT);
      w.SelectObject(mem, old); // GetDIBits wants the bitmap out of any DC
      if (!copied) throw new DriverError('os_error', `BitBlt of ${width}x${height}+${x}+${y} failed (error ${w.GetLastError()})`);
      const info = new Uint8Array(44); // BITMAPINFOHEADER + one (unused) colour
      const h = new DataView(info.buffer);
      h.setUint32(0, 40, true);
      h.setInt32(4, width, true);
      h.setInt32(8, -height, true); // negative: top-down rows
      h.setUint16(12, 1, true);
      h.setUint16(14, 32, true); // BGRA
      const bgra = new Uint8Array(width * height * 4);
      const lines = w.GetDIBits(mem, bitmap, 0, height, bgra, info, 0);
      if (lines !== height) throw new DriverError('os_error', `GetDIBits returned ${lines} of ${height} lines (error ${w.GetLastError()})`);
      const rgb = new Uint8Array(width * height * 3);
      for (let i = 0, j = 0; i < bgra.length; i += 4, j += 3) {
        rgb[j] = bgra[i + 2]!;
        rgb[j + 1] = bgra[i + 1]!;
        rgb[j + 2] = bgra[i]!;
      }
      return rgb;
    } finally {
      if (bitmap) w.DeleteObject(bitmap);
      if (mem) w.DeleteDC(mem);
      w.ReleaseDC(null, screen);
    }
  }

  openRegionReader(handle: string, regions: Rect[]): RegionReader {
    return new Win32RegionReader(this.w, BigInt(handle), regions);
  }

  private logSink: ((level: 'debug' | 'info' | 'warn' | 'error', message: string) => void) | undefined;

  setLog(log: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void): void {
    this.logSink = log;
  }

  /** To the client as a protocol log event when connected, else to stderr. */
  private report(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
    if (this.logSink) this.logSink(level, message);
    else process.stderr.write(`driver: ${message}\n`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.captureStop();
  }
}
