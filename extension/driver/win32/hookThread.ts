import { Worker } from 'node:worker_threads';
import { DriverError } from '../backend';

// The low-level hooks live on a dedicated thread: a Node worker that installs WH_MOUSE_LL and
// WH_KEYBOARD_LL and then pumps GetMessageW, because Windows calls a low-level hook through the message loop of
// the thread that installed it. GetMessageW blocks, so it must never run on the driver's main JS thread.
// The hook procedures only decode, timestamp and post the event, then call CallNextHookEx: Windows silently
// removes a hook that overruns LowLevelHooksTimeout. Stop = PostThreadMessageW(WM_QUIT) -> unhook, unregister.
// The thread runs at THREAD_PRIORITY_TIME_CRITICAL: after a cache purge Petrel pages in on every core, and a
// normal-priority hook thread (even at HIGHEST, +2) can then wait behind threads the scheduler boosts (foreground,
// I/O completion) for longer than LowLevelHooksTimeout; Windows would then remove the hooks silently. Time-critical
// (15) is at the top of the dynamic range, so only real-time threads come first; the thread sleeps in GetMessageW
// except for a few microseconds per input event, so it cannot starve anyone.

/** Slots of the shared Int32Array both threads see (the worker, sent as source text, uses the numbers). */
const Slot = {
  Status: 0, // Status.*
  ThreadId: 1,
  Error: 2, // GetLastError of a failed SetWindowsHookExW
  Tagged: 3, // events carrying the FastBench tag seen (ignored, but they prove the hook is alive)
  Calls: 4, // hook procedure calls
  FailedHook: 5, // 13 = WH_KEYBOARD_LL, 14 = WH_MOUSE_LL
  Stalls: 6, // test-only stalls performed
  LastCallTick: 7, // GetTickCount() at the latest hook call (or at install): compared with GetLastInputInfo
  Priority: 8, // GetThreadPriority of the hook thread after raising it
} as const;
/** Int32 slots before the worker's error text (which starts at byte SLOTS * 4 = 48; the worker hard-codes it). */
const SLOTS = 12;
const Status = { Starting: 0, Running: 1, Failed: 2, Stopped: 3 } as const;
/** Float64 statistics slots, written by the worker when it stops. */
const Stat = { Count: 0, P50: 1, P99: 2, Max: 3 } as const;

/** What the worker posts for each event (not tagged by FastBench), in the order of the hook calls. */
export type HookEvent =
  { k: 'mouse'; msg: number; t: number; x: number; y: number; data: number; flags: number } | { k: 'key'; msg: number; t: number; vk: number; scan: number; flags: number };

export type HookThreadOptions = {
  koffiPath: string;
  tag: bigint;
  /** Test only: busy-wait this long in the first `stallCount` hook calls (to provoke silent removal). */
  stallMs?: number;
  stallCount?: number;
  /** Test only: unhook silently (thread still pumping) after this many reported events, as Windows does. */
  dropAfter?: number;
};

type WorkerData = Required<HookThreadOptions> & { state: SharedArrayBuffer; stats: SharedArrayBuffer };

/**
 * The worker's whole program. It is sent as source text (`eval`), so it must not refer to anything outside
 * itself: the driver is one bundle, and a worker started from that file would run the driver's main().
 */
function hookThreadMain(data: WorkerData, port: { postMessage(value: unknown): void }): void {
  const state = new Int32Array(data.state, 0, 12);
  try {
    run();
  } catch (e) {
    // Tell the waiting main thread why (it cannot read messages while it waits): text after the 8 slots.
    const text = new TextEncoder().encode(String((e as Error)?.stack ?? e)).subarray(0, data.state.byteLength - 49);
    new Uint8Array(data.state, 48).set(text);
    Atomics.store(state, 0, 2);
    Atomics.store(state, 5, -1);
    Atomics.notify(state, 0);
  }

  function run(): void {
    const koffi = require(data.koffiPath) as typeof import('koffi');
    const stats = new Float64Array(data.stats);
    const user32 = koffi.load('user32.dll');
    const kernel32 = koffi.load('kernel32.dll');
    const HookProc = koffi.proto('intptr_t __stdcall FBH_HookProc(int code, uintptr_t wParam, void *lParam)');
    const MSLL = koffi.struct('FBH_MSLLHOOKSTRUCT', {
      x: 'int32',
      y: 'int32',
      mouseData: 'uint32',
      flags: 'uint32',
      time: 'uint32',
      extra: 'uint64',
    });
    const KBDLL = koffi.struct('FBH_KBDLLHOOKSTRUCT', { vk: 'uint32', scan: 'uint32', flags: 'uint32', time: 'uint32', extra: 'uint64' });
    const SetWindowsHookExW = user32.func('void * __stdcall SetWindowsHookExW(int id, FBH_HookProc *proc, void *mod, uint32_t tid)');
    const UnhookWindowsHookEx = user32.func('int __stdcall UnhookWindowsHookEx(void *hook)');
    const CallNextHookEx = user32.func('intptr_t __stdcall CallNextHookEx(void *hook, int code, uintptr_t wParam, void *lParam)');
    const GetMessageW = user32.func('int __stdcall GetMessageW(_Out_ uint8_t *msg, void *hwnd, uint32_t min, uint32_t max)');
    const PeekMessageW = user32.func('int __stdcall PeekMessageW(_Out_ uint8_t *msg, void *hwnd, uint32_t min, uint32_t max, uint32_t remove)');
    const GetCurrentThreadId = kernel32.func('uint32_t __stdcall GetCurrentThreadId()');
    const GetModuleHandleW = kernel32.func('void * __stdcall GetModuleHandleW(const char16_t *name)');
    const GetLastError = kernel32.func('uint32_t __stdcall GetLastError()');
    const GetTickCount = kernel32.func('uint32_t __stdcall GetTickCount()');
    const GetCurrentThread = kernel32.func('void * __stdcall GetCurrentThread()');
    const SetThreadPriority = kernel32.func('int __stdcall SetThreadPriority(void *thread, int priority)');
    const GetThreadPriority = kernel32.func('int __stdcall GetThreadPriority(void *thread)');
    SetThreadPriority(GetCurrentThread(), 15); // THREAD_PRIORITY_TIME_CRITICAL: why in the header comment
    Atomics.store(state, 8, GetThreadPriority(GetCurrentThread()));

    const tag = data.tag;
    const isTagged = (extra: unknown) => (typeof extra === 'bigint' ? extra : BigInt(extra as number)) === tag;
    const durations = new Float64Array(1 << 16);
    let calls = 0;
    let stalls = 0;
    let reported = 0;
    const WM_APP_DROP = 0x8000 + 0x642;
    const PostThreadMessageW = user32.func('int __stdcall PostThreadMessageW(uint32_t tid, uint32_t msg, uintptr_t wParam, intptr_t lParam)');
    const dropLater = () => {
      if (data.dropAfter > 0 && ++reported === data.dropAfter) PostThreadMessageW(GetCurrentThreadId(), WM_APP_DROP, 0, 0);
    };
    const stall = () => {
      if (stalls >= data.stallCount || data.stallMs <= 0) return;
      stalls++;
      Atomics.store(state, 6, stalls);
      const until = performance.now() + data.stallMs;
      while (performance.now() < until) {
        // busy: the point is to overrun LowLevelHooksTimeout
      }
    };
    const finish = (t0: bigint) => {
      durations[calls & 0xffff] = Number(process.hrtime.bigint() - t0) / 1e6;
      calls++;
      Atomics.store(state, 4, calls);
      Atomics.store(state, 7, GetTickCount() | 0);
    };

    const onMouse = (code: number, wParam: number, lParam: unknown): unknown => {
      const t0 = process.hrtime.bigint();
      if (code >= 0) {
        const s = koffi.decode(lParam as bigint, MSLL) as { x: number; y: number; mouseData: number; flags: number; extra: unknown };
        if (isTagged(s.extra)) Atomics.add(state, 3, 1);
        else {
          port.postMessage({ k: 'mouse', msg: wParam, t: Number(t0) / 1e6, x: s.x, y: s.y, data: s.mouseData, flags: s.flags });
          stall();
          dropLater();
        }
        finish(t0);
      }
      return CallNextHookEx(null, code, wParam, lParam);
    };
    const onKey = (code: number, wParam: number, lParam: unknown): unknown => {
      const t0 = process.hrtime.bigint();
      if (code >= 0) {
        const s = koffi.decode(lParam as bigint, KBDLL) as { vk: number; scan: number; flags: number; extra: unknown };
        if (isTagged(s.extra)) Atomics.add(state, 3, 1);
        else {
          port.postMessage({ k: 'key', msg: wParam, t: Number(t0) / 1e6, vk: s.vk, scan: s.scan, flags: s.flags });
          stall();
          dropLater();
        }
        finish(t0);
      }
      return CallNextHookEx(null, code, wParam, lParam);
    };

    const msg = Buffer.alloc(48); // sizeof(MSG) on x64
    PeekMessageW(msg, null, 0, 0, 0); // creates this thread's message queue before anyone posts to it
    Atomics.store(state, 1, GetCurrentThreadId());
    const mouseCb = koffi.register(onMouse, koffi.pointer(HookProc));
    const keyCb = koffi.register(onKey, koffi.pointer(HookProc));
    const module = GetModuleHandleW(null);
    const mouseHook = SetWindowsHookExW(14, mouseCb, module, 0);
    const mouseError = mouseHook ? 0 : GetLastError();
    const keyHook = mouseHook ? SetWindowsHookExW(13, keyCb, module, 0) : null;
    const keyError = keyHook ? 0 : GetLastError();
    if (!mouseHook || !keyHook) {
      if (mouseHook) UnhookWindowsHookEx(mouseHook);
      koffi.unregister(mouseCb);
      koffi.unregister(keyCb);
      Atomics.store(state, 5, mouseHook ? 13 : 14);
      Atomics.store(state, 2, mouseHook ? keyError : mouseError);
      Atomics.store(state, 0, 2);
      Atomics.notify(state, 0);
      return;
    }
    Atomics.store(state, 7, GetTickCount() | 0);
    Atomics.store(state, 0, 1);
    Atomics.notify(state, 0);
    // Nothing to dispatch: this thread owns no window. GetMessageW returns 0 on WM_QUIT, -1 on error.
    let hooked = true;
    while (GetMessageW(msg, null, 0, 0) > 0) {
      // Keep pumping: the hook procedures run inside GetMessageW. The only message handled is the test-only drop.
      if (msg.readUInt32LE(8) === WM_APP_DROP && hooked) {
        UnhookWindowsHookEx(keyHook);
        UnhookWindowsHookEx(mouseHook);
        hooked = false;
      }
    }
    if (hooked) {
      UnhookWindowsHookEx(keyHook);
      UnhookWindowsHookEx(mouseHook);
    }
    koffi.unregister(mouseCb);
    koffi.unregister(keyCb);
    const n = Math.min(calls, durations.length);
    const sorted = Array.from(durations.subarray(0, n)).sort((a, b) => a - b);
    const pick = (q: number) => (n ? sorted[Math.min(n - 1, Math.floor(q * n))]! : 0);
    stats[0] = calls;
    stats[1] = pick(0.5);
    stats[2] = pick(0.99);
    stats[3] = n ? sorted[n - 1]! : 0;
    Atomics.store(state, 0, 3);
    Atomics.notify(state, 0);
  }
}

const WORKER_SOURCE = `(${hookThreadMain.toString()})(require('node:worker_threads').workerData, require('node:worker_threads').parentPort);`;

export type HookStats = { calls: number; p50Ms: number; p99Ms: number; maxMs: number; tagged: number; priority: number };

/** The running hook thread. Construction blocks (briefly) until both hooks are installed, or throws. */
export class HookThread {
  private readonly worker: Worker;
  /** SLOTS Int32 slots, then room for the worker's error text. */
  private readonly state = new Int32Array(new SharedArrayBuffer(SLOTS * 4 + 1024), 0, SLOTS);
  private readonly stats = new Float64Array(new SharedArrayBuffer(4 * 8));
  private stopped = false;

  constructor(
    options: HookThreadOptions,
    onEvent: (e: HookEvent) => void,
    private readonly postQuit: (threadId: number) => boolean,
    startTimeoutMs = 10_000,
  ) {
    const data: WorkerData = {
      stallMs: 0,
      stallCount: 0,
      dropAfter: 0,
      ...options,
      state: this.state.buffer as SharedArrayBuffer,
      stats: this.stats.buffer as SharedArrayBuffer,
    };
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: data, stdout: false, stderr: false });
    this.worker.on('message', (e: HookEvent) => {
      if (!this.stopped) onEvent(e);
    });
    this.worker.on('error', (e) => process.stderr.write(`driver: hook thread failed: ${e.stack ?? e.message}\n`));
    // Waiting here keeps captureStart honest: when it returns, input is being captured.
    Atomics.wait(this.state, Slot.Status, Status.Starting, startTimeoutMs);
    const status = Atomics.load(this.state, Slot.Status);
    if (status === Status.Running) return;
    this.stopped = true;
    void this.worker.terminate();
    if (status === Status.Failed && Atomics.load(this.state, Slot.FailedHook) === -1) {
      const bytes = new Uint8Array(this.state.buffer, SLOTS * 4);
      const end = bytes.indexOf(0);
      throw new DriverError('os_error', `the input hook thread failed: ${Buffer.from(bytes.subarray(0, end < 0 ? bytes.length : end)).toString('utf8')}`);
    }
    if (status === Status.Failed) {
      const which = Atomics.load(this.state, Slot.FailedHook) === 14 ? 'WH_MOUSE_LL' : 'WH_KEYBOARD_LL';
      throw new DriverError('os_error', `SetWindowsHookExW(${which}) failed (error ${Atomics.load(this.state, Slot.Error)})`);
    }
    throw new DriverError('os_error', `the input hook thread did not start within ${startTimeoutMs / 1000} s`);
  }

  /** FastBench-tagged events the hooks saw: grows when a tagged probe reaches a live hook. */
  get tagged(): number {
    return Atomics.load(this.state, Slot.Tagged);
  }

  get calls(): number {
    return Atomics.load(this.state, Slot.Calls);
  }

  get stalls(): number {
    return Atomics.load(this.state, Slot.Stalls);
  }

  /** GetTickCount() (as int32) of the latest hook call, or of the install when there was none yet. */
  get lastCallTick(): number {
    return Atomics.load(this.state, Slot.LastCallTick);
  }

  /** The hook thread's priority as Windows reports it (15 = time-critical). */
  get priority(): number {
    return Atomics.load(this.state, Slot.Priority);
  }

  /** Unhooks and ends the thread; waits up to `timeoutMs` for the unhook, then terminates the worker anyway. */
  stop(timeoutMs = 2000): HookStats {
    if (!this.stopped) {
      this.stopped = true;
      const tid = Atomics.load(this.state, Slot.ThreadId);
      if (tid && this.postQuit(tid)) Atomics.wait(this.state, Slot.Status, Status.Running, timeoutMs);
      if (Atomics.load(this.state, Slot.Status) !== Status.Stopped) {
        process.stderr.write('driver: hook thread did not stop in time; terminating it (the OS removes its hooks)\n');
      }
      this.worker.removeAllListeners('message');
      void this.worker.terminate();
    }
    return {
      calls: this.stats[Stat.Count]!,
      p50Ms: this.stats[Stat.P50]!,
      p99Ms: this.stats[Stat.P99]!,
      maxMs: this.stats[Stat.Max]!,
      tagged: this.tagged,
      priority: this.priority,
    };
  }
}
