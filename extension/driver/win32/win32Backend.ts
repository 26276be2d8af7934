import path from 'node:path';
import type { Rect, WindowInfo } from '../../shared/driverProtocol';
import { DriverError, type DriverBackend, type Injection, type RawInput, type RegionReader } from '../backend';
import { koffiModulePath } from '../koffiPath';
import { rawInputOf } from './hookEvents';
import { HookThread, type HookStats } from './hookThread';
import { Win32RegionReader } from './regionReader';
import { encodeInjections, FASTBENCH_INPUT_TAG, INPUT_SIZE, KEYEVENTF, type VirtualDesktop } from './inputEncoding';
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
const SWP_NOSIZE = 0x0001;
const SWP_NOMOVE = 0x0002;
const SWP_ASYNCWINDOWPOS = 0x4000;
const GW_OWNER = 4;
const WM_NULL = 0x0000;
const SMTO_ABORTIFHUNG = 0x0002;
const SMTO_ERRORONEXIT = 0x0020;
const MONITOR_DEFAULTTONEAREST = 2;
const MDT_EFFECTIVE_DPI = 0;
const TIMERR_NOERROR = 0;
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
/**
 * How long a target's UI thread may take to answer before the driver calls it "not responding". Windows itself
 * waits 5 s before it calls a window hung; a thread that cannot answer a WM_NULL in this time would also stall a
 * synchronous call of ours for at least as long.
 */
const HUNG_PROBE_MS = Number(process.env.FASTBENCH_HUNG_PROBE_MS ?? 250);
/**
 * How long a request that must touch the target waits (probing, never blocking) for a busy target to answer again:
 * Petrel is busy for seconds right after its window appears, which is when a run brings it to the front.
 */
const RESPOND_WAIT_MS = Number(process.env.FASTBENCH_RESPOND_WAIT_MS ?? 3000);
/** How long a posted move or restore may take to show before the target is asked whether it still answers. */
const MOVE_WAIT_MS = 1000;
/** Input the hooks should have seen, older than this without a hook call, means the hooks are gone. */
const HOOK_MISSED_INPUT_MS = 250;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
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
  /** How often the watchdog had to install the hooks again (diagnostics: driver-stats). */
  private hookRestarts = 0;
  private readonly images = new Map<number, { image: string | null; at: number }>();
  private readonly integrity = new Map<number, { level: number | 'denied' | undefined; at: number }>();
  private ownIntegrity: number | undefined;
  private timerRaised = false;
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
      dpiAwareness: this.dpiAwarenessOf(hwnd),
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

  /**
   * The scale of the monitor the window is on (GetDpiForMonitor, effective DPI), not the app's own idea of it:
   * GetDpiForWindow says 96 for a DPI-unaware app and the login-time system DPI for a system-aware one. This is what
   * decides how big a per-monitor-aware app draws its controls, so a replay compares it with the recording's.
   */
  private dpiScaleOf(hwnd: bigint): number {
    const monitor = this.w.MonitorFromWindow(hwnd, MONITOR_DEFAULTTONEAREST) as Handle;
    if (monitor && this.w.GetDpiForMonitor) {
      const x = [0];
      if (this.w.GetDpiForMonitor(monitor, MDT_EFFECTIVE_DPI, x, [0]) === 0 && x[0]! > 0) return x[0]! / 96;
    }
    const dpi = this.w.GetDpiForWindow?.(hwnd) ?? 0;
    if (dpi > 0) return dpi / 96;
    const dc = this.w.GetDC(null);
    try {
      return (this.w.GetDeviceCaps(dc, LOGPIXELSX) || 96) / 96;
    } finally {
      this.w.ReleaseDC(null, dc);
    }
  }

  /** How the window's app handles DPI: per-monitor apps lay out again on another scale; the others are stretched. */
  private dpiAwarenessOf(hwnd: bigint): WindowInfo['dpiAwareness'] {
    const { GetWindowDpiAwarenessContext, GetAwarenessFromDpiAwarenessContext, AreDpiAwarenessContextsEqual } = this.w;
    if (!GetWindowDpiAwarenessContext || !GetAwarenessFromDpiAwarenessContext) return 'unknown';
    const context = GetWindowDpiAwarenessContext(hwnd);
    switch (GetAwarenessFromDpiAwarenessContext(context)) {
      case 0:
        return 'unaware';
      case 1:
        return 'system';
      case 2:
        return AreDpiAwarenessContextsEqual?.(context, DPI_AWARENESS_CONTEXT_PER_MONITOR_AWARE_V2) ? 'per-monitor-v2' : 'per-monitor';
      default:
        return 'unknown';
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
   * unless GetForegroundWindow agrees. One of the target's own windows in front (its dialog) counts as the target.
   * Nothing here waits on the target's UI thread: it must answer a WM_NULL (probed every HUNG_PROBE_MS, for up to
   * RESPOND_WAIT_MS, the driver serving other requests meanwhile), or the request fails with 'not_responding'; restoring and raising are posted (ShowWindowAsync, SWP_ASYNCWINDOWPOS).
   */
  async foreground(handle: string): Promise<{ ok: boolean; reason?: string }> {
    const w = this.w;
    const hwnd = BigInt(handle);
    if (!w.IsWindow(hwnd)) return { ok: false, reason: `window ${handle} no longer exists` };
    const isForeground = () => {
      const fg = w.GetForegroundWindow() as Handle;
      return fg !== null && this.belongsTo(fg.toString(), handle);
    };
    if (isForeground() && !w.IsIconic(hwnd)) return { ok: true };
    await this.ensureResponds(hwnd, 'bringing it to the front');
    if (w.IsIconic(hwnd)) w.ShowWindowAsync(hwnd, SW_RESTORE);
    const targetThread = w.GetWindowThreadProcessId(hwnd, [0]);
    // Raised as well as activated: activation raises on Windows, but not always under Wine without a window
    // manager. Posted (SWP_ASYNCWINDOWPOS) before attaching anything, so it cannot wait on the target.
    const raise = () => w.SetWindowPos(hwnd, null, 0, 0, 0, 0, SWP_NOMOVE | SWP_NOSIZE | SWP_NOACTIVATE | SWP_ASYNCWINDOWPOS);
    raise();
    if (w.SetForegroundWindow(hwnd) && (await this.becomes(isForeground, 200))) return { ok: true };

    const before = w.GetForegroundWindow() as Handle;
    const me = w.GetCurrentThreadId();
    // Attached, our thread shares an input queue with theirs, and calls that touch it wait for them: attach only to
    // threads that answered just now.
    const fgThread = before && (await this.responds(before)) ? w.GetWindowThreadProcessId(before, [0]) : 0;
    // Raised again before attaching: with a shared queue, SWP_ASYNCWINDOWPOS would no longer be asynchronous.
    raise();
    const attached: number[] = [];
    for (const t of new Set([fgThread, targetThread])) {
      if (t && t !== me && w.AttachThreadInput(me, t, 1)) attached.push(t);
    }
    try {
      w.SetForegroundWindow(hwnd);
    } finally {
      for (const t of attached) w.AttachThreadInput(me, t, 0);
    }
    if (await this.becomes(isForeground, 200)) return { ok: true };

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
    // A busy target may take a while to process its activation.
    if (await this.becomes(isForeground, 500)) return { ok: true };

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

  /** Polls (without blocking the driver) until check() holds; false after ms. */
  private async becomes(check: () => boolean, ms: number): Promise<boolean> {
    const deadline = performance.now() + ms;
    for (;;) {
      if (check()) return true;
      if (performance.now() >= deadline) return false;
      await sleep(5);
    }
  }

  /**
   * Whether the window's UI thread answers a WM_NULL within HUNG_PROBE_MS. The wait happens on one of koffi's
   * worker threads, so the driver keeps serving requests meanwhile; a window Windows already calls hung (no
   * messages for 5 s) is not even asked.
   */
  private responds(hwnd: bigint): Promise<boolean> {
    if (this.w.IsHungAppWindow(hwnd)) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.w.SendMessageTimeoutW.async(hwnd, WM_NULL, 0, 0, SMTO_ABORTIFHUNG | SMTO_ERRORONEXIT, HUNG_PROBE_MS, null, (err: unknown, r: unknown) =>
        resolve(!err && Number(r) !== 0),
      );
    });
  }

  private async ensureResponds(hwnd: bigint, what: string): Promise<void> {
    const deadline = performance.now() + RESPOND_WAIT_MS;
    while (!(await this.responds(hwnd))) {
      if (performance.now() >= deadline || !this.w.IsWindow(hwnd)) return this.notResponding(hwnd, what);
      await sleep(HUNG_PROBE_MS); // an IsHungAppWindow "no" comes back at once: do not spin on it
    }
  }

  private notResponding(hwnd: bigint, what: string): never {
    const info = this.describe(hwnd, performance.now());
    const hung = this.w.IsHungAppWindow(hwnd) !== 0;
    throw new DriverError(
      'not_responding',
      `target not responding: window ${hwnd} ("${info?.title ?? '?'}", ${info?.processImage ?? 'unknown process'}, pid ${info?.pid ?? '?'}) ` +
        `did not answer for ${(RESPOND_WAIT_MS / 1000).toFixed(1)} s${hung ? ' (Windows shows it as "Not Responding")' : ''}: its UI thread is busy or hung. ` +
        `${what[0]!.toUpperCase()}${what.slice(1)} was not attempted, so the driver stays responsive; try again once it answers.`,
      { waitedMs: RESPOND_WAIT_MS, probeMs: HUNG_PROBE_MS, hung: hung ? 1 : 0 },
    );
  }

  windowAt(x: number, y: number): string | undefined {
    const under = this.w.WindowFromPoint({ x: Math.round(x), y: Math.round(y) }) as Handle;
    const root = under ? (this.w.GetAncestor(under, GA_ROOT) as Handle) : null;
    return root ? root.toString() : undefined;
  }

  /**
   * Owned (dialogs, owned pop-ups: the GW_OWNER chain) or created by the target's process (menus #32768,
   * tooltips, unowned pop-ups). Only asks the window manager's tables, never the windows themselves.
   */
  belongsTo(window: string, target: string): boolean {
    if (window === target) return true;
    const w = this.w;
    const t = BigInt(target);
    let h = BigInt(window) as Handle;
    for (let i = 0; i < 32 && h; i++) {
      h = w.GetWindow(h, GW_OWNER) as Handle;
      if (h === t) return true;
    }
    const a = [0];
    const b = [0];
    return w.GetWindowThreadProcessId(BigInt(window), a) !== 0 && w.GetWindowThreadProcessId(t, b) !== 0 && a[0] !== 0 && a[0] === b[0];
  }

  /**
   * Posted, not sent (SWP_ASYNCWINDOWPOS, ShowWindowAsync), then watched until the window is where it was asked
   * to be. A window that then still has not moved and does not answer fails with 'not_responding'; one that
   * answers but chose another size (minimum sizes) is left as it is (the caller sees its real rect).
   */
  async move(handle: string, rect: Rect): Promise<void> {
    const w = this.w;
    const hwnd = BigInt(handle);
    await this.ensureResponds(hwnd, 'moving it');
    if (w.IsZoomed(hwnd) || w.IsIconic(hwnd)) {
      w.ShowWindowAsync(hwnd, SW_RESTORE);
      await this.becomes(() => !w.IsZoomed(hwnd) && !w.IsIconic(hwnd), MOVE_WAIT_MS);
    }
    if (!w.SetWindowPos(hwnd, null, rect.x, rect.y, rect.width, rect.height, SWP_NOZORDER | SWP_NOACTIVATE | SWP_NOOWNERZORDER | SWP_ASYNCWINDOWPOS)) {
      throw new DriverError('os_error', `SetWindowPos failed for window ${handle} (error ${w.GetLastError()})`);
    }
    const now: WinRect = { left: 0, top: 0, right: 0, bottom: 0 };
    const there = () =>
      w.GetWindowRect(hwnd, now) !== 0 && now.left === rect.x && now.top === rect.y && now.right - now.left === rect.width && now.bottom - now.top === rect.height;
    if (!(await this.becomes(there, MOVE_WAIT_MS))) await this.ensureResponds(hwnd, 'waiting for the move (it stays posted)');
  }

  // ---------------------------------------------------------------- capture

  captureStart(handle: string, sink: (input: RawInput) => void): void {
    if (this.hooks) throw new DriverError('refused', 'capture is already running');
    // UIPI keeps input meant for a higher-integrity window away from our hooks: a recording would come out empty.
    const pid = [0];
    if (this.w.GetWindowThreadProcessId(BigInt(handle), pid) && pid[0]) {
      const refusal = this.elevationRefusal(BigInt(handle), pid[0], 'capture');
      if (refusal) throw refusal;
    }
    this.sink = sink;
    const t0 = performance.now();
    this.hooks = this.startHooks(Number(process.env.FASTBENCH_HOOK_TEST_STALL_MS ?? 0), Number(process.env.FASTBENCH_HOOK_TEST_DROP_AFTER ?? 0));
    if (process.env.FASTBENCH_DRIVER_DEBUG) {
      process.stderr.write(`driver: hooks installed in ${(performance.now() - t0).toFixed(1)} ms, hook thread priority ${this.hooks.priority}\n`);
    }
    if (WATCHDOG_MS > 0) this.watchdog = setInterval(() => this.checkHooks(), WATCHDOG_MS);
  }

  /** stallMs and dropAfter are test-only switches (FASTBENCH_HOOK_TEST_*): they imitate a slow or removed hook. */
  private startHooks(stallMs = 0, dropAfter = 0): HookThread {
    return new HookThread(
      { koffiPath: koffiModulePath(), tag: FASTBENCH_INPUT_TAG, stallMs, stallCount: stallMs > 0 ? 8 : 0, dropAfter },
      (e) => {
        const input = rawInputOf(e);
        if (input) this.sink?.(input);
      },
      (tid) => this.w.PostThreadMessageW(tid, WM_QUIT, 0, 0) !== 0,
    );
  }

  /**
   * Windows removes a low-level hook without telling anyone when it overruns LowLevelHooksTimeout. The watchdog
   * injects nothing (an input of ours could raise hover effects or tooltips over a probe region): it compares the
   * session's last input (GetLastInputInfo, which counts every real and injected event) with the hooks' last call.
   * Input the hooks should have seen and did not means they are gone: they are installed again and the gap is
   * reported. (Input to a higher-integrity window never reaches our hooks either; it too is reported as a gap.)
   */
  private checkHooks(): void {
    const hooks = this.hooks;
    if (!hooks) return;
    const info = { cbSize: 8, dwTime: 0 };
    if (!this.w.GetLastInputInfo(info)) return;
    const now = this.w.GetTickCount();
    // Tick arithmetic modulo 2^32: GetTickCount wraps every 49.7 days.
    const inputAgeMs = (now - info.dwTime) | 0;
    const unseenMs = (info.dwTime - hooks.lastCallTick) | 0;
    if (unseenMs <= HOOK_MISSED_INPUT_MS || inputAgeMs <= HOOK_MISSED_INPUT_MS) return;
    this.report(
      'warn',
      `the input hooks were not called for input ${unseenMs} ms after their last call (Windows removes a hook that overruns LowLevelHooksTimeout); installing them again`,
    );
    hooks.stop(500);
    try {
      this.hooks = this.startHooks();
      this.hookRestarts++;
      this.report('warn', `input hooks installed again (restart ${this.hookRestarts}); input in between was not captured`);
    } catch (e) {
      this.hooks = undefined;
      this.report('error', `could not reinstall the input hooks: ${(e as Error).message}`);
    }
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
    const line = {
      hookCallbacks: s.calls,
      hookP50Ms: s.p50Ms,
      hookP99Ms: s.p99Ms,
      hookMaxMs: s.maxMs,
      taggedIgnored: s.tagged,
      hookRestarts: this.hookRestarts,
      hookPriority: s.priority,
    };
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

  /** Tagged input that is not a driver injection: the keys of the foreground workaround. */
  private sendRaw(records: { kind: 'key'; vk: number; up: boolean }[]): void {
    const buf = Buffer.alloc(records.length * INPUT_SIZE);
    records.forEach((r, i) => {
      const o = i * INPUT_SIZE;
      buf.writeUInt32LE(1, o);
      buf.writeUInt16LE(r.vk, o + 8);
      buf.writeUInt16LE(this.w.MapVirtualKeyW(r.vk, MAPVK_VK_TO_VSC) & 0xff, o + 10);
      buf.writeUInt32LE(r.up ? KEYEVENTF.KEYUP : 0, o + 12);
      buf.writeBigUInt64LE(FASTBENCH_INPUT_TAG, o + 24);
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
      const refusal = this.elevationRefusal(hwnd, pid[0], 'input');
      if (refusal) throw refusal;
    }
  }

  /**
   * The one message for both directions UIPI cuts: our input to a higher-integrity window is dropped, and its
   * input never reaches our hooks. Undefined when the window's process is not above us.
   */
  private elevationRefusal(hwnd: bigint, pid: number, what: 'input' | 'capture'): DriverError | undefined {
    const own = this.ownIntegrityLevel();
    if (own === undefined || own >= SECURITY_MANDATORY_HIGH_RID) return undefined;
    const level = this.integrityOf(pid);
    if (level !== 'denied' && (level === undefined || level <= own)) return undefined;
    const info = this.describe(hwnd, performance.now());
    const who = `"${info?.title ?? hwnd}" (${info?.processImage ?? 'unknown process'}, pid ${pid})`;
    const head = what === 'input' ? `input to ${who} would be blocked` : `capture of input to ${who} would record nothing`;
    const effect = what === 'input' ? 'Windows (UIPI) drops such input silently' : 'Windows (UIPI) keeps input to it from our hooks, silently';
    return new DriverError(
      'blocked',
      `${head}: that program runs at a higher integrity level than FastBench ` +
        `(${level === 'denied' ? 'its token is closed to us' : `0x${level.toString(16)} > 0x${own.toString(16)}`}), probably elevated ("as administrator"). ` +
        `${effect}. Run FastBench elevated too, or the target without elevation.`,
    );
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

  /**
   * timeBeginPeriod(1) while the driver's timers time a measurement: Windows' default tick is 15.6 ms, and since
   * Windows 10 2004 another process's raised resolution no longer shortens our waits. Windows also drops a
   * process's request when it exits, so a killed driver cannot leave the machine at 1 ms.
   */
  fineTimers(on: boolean): void {
    if (on === this.timerRaised) return;
    const r = on ? this.w.timeBeginPeriod(1) : this.w.timeEndPeriod(1);
    if (r !== TIMERR_NOERROR) throw new DriverError('os_error', `${on ? 'timeBeginPeriod' : 'timeEndPeriod'}(1) failed (${r})`);
    this.timerRaised = on;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.captureStop();
    if (this.timerRaised) this.fineTimers(false);
  }
}
