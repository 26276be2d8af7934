import koffi from 'koffi';
import type { SessionFacts } from '../../shared/driverProtocol';
import type { SystemFacts } from '../systemFacts';

// Whether a run can mean anything: input and pixels only work on an unlocked, connected desktop. The lock is seen as
// OpenInputDesktop failing or naming another desktop than "Default" (Winlogon: locked or UAC prompt; Screen-saver),
// a disconnected remote session through WTSQuerySessionInformationW(WTSConnectState). Keeping awake:
// SetThreadExecutionState(ES_CONTINUOUS | ES_SYSTEM_REQUIRED | ES_DISPLAY_REQUIRED) on the driver's main thread,
// which lives for the campaign; Windows drops it when the thread ends, so a killed campaign cannot leave it on.

const WTS_STATES = ['active', 'connected', 'connect query', 'shadow', 'disconnected', 'idle', 'listen', 'reset', 'down', 'init'];
const ES_CONTINUOUS = 0x80000000;
const ES_SYSTEM_REQUIRED = 0x1;
const ES_DISPLAY_REQUIRED = 0x2;

function bind() {
  const user32 = koffi.load('user32.dll');
  const kernel32 = koffi.load('kernel32.dll');
  const optional = <T>(make: () => T): T | undefined => {
    try {
      return make();
    } catch {
      return undefined;
    }
  };
  const wtsapi32 = optional(() => koffi.load('wtsapi32.dll'));
  const shcore = optional(() => koffi.load('shcore.dll'));
  const MonitorEnumProc = koffi.proto('int __stdcall FBS_MonitorEnumProc(void *monitor, void *dc, void *rect, intptr_t data)');
  return {
    OpenInputDesktop: user32.func('void * __stdcall OpenInputDesktop(uint32_t flags, int inherit, uint32_t access)'),
    CloseDesktop: user32.func('int __stdcall CloseDesktop(void *desk)'),
    GetUserObjectInformationW: user32.func('int __stdcall GetUserObjectInformationW(void *obj, int index, _Out_ uint16_t *buf, uint32_t len, _Out_ uint32_t *needed)'),
    GetSystemMetrics: user32.func('int __stdcall GetSystemMetrics(int index)'),
    EnumDisplayMonitors: user32.func('int __stdcall EnumDisplayMonitors(void *dc, void *clip, FBS_MonitorEnumProc *cb, intptr_t data)'),
    GetMonitorInfoW: user32.func('int __stdcall GetMonitorInfoW(void *monitor, _Inout_ uint8_t *info)'),
    GetDpiForMonitor: optional(() => shcore!.func('int32_t __stdcall GetDpiForMonitor(void *monitor, int type, _Out_ uint32_t *x, _Out_ uint32_t *y)')),
    WTSQuerySessionInformationW: optional(() =>
      wtsapi32!.func('int __stdcall WTSQuerySessionInformationW(void *server, uint32_t session, int cls, _Out_ void **buf, _Out_ uint32_t *bytes)'),
    ),
    WTSFreeMemory: optional(() => wtsapi32!.func('void __stdcall WTSFreeMemory(void *mem)')),
    SetThreadExecutionState: kernel32.func('uint32_t __stdcall SetThreadExecutionState(uint32_t flags)'),
    GetLastError: kernel32.func('uint32_t __stdcall GetLastError()'),
    MonitorEnumProc,
  };
}

export class Win32SystemFacts implements SystemFacts {
  private readonly w = bind();

  /** The WTS connect state of our own session, or why it is unknown. */
  private connectState(): string {
    const { WTSQuerySessionInformationW, WTSFreeMemory } = this.w;
    if (!WTSQuerySessionInformationW || !WTSFreeMemory) return 'unknown (no wtsapi32)';
    const buf: unknown[] = [null];
    const bytes = [0];
    // WTS_CURRENT_SERVER_HANDLE = NULL, WTS_CURRENT_SESSION = (DWORD)-1, WTSConnectState = 8.
    if (!WTSQuerySessionInformationW(null, 0xffffffff, 8, buf, bytes) || !buf[0]) return `unknown (WTSQuerySessionInformationW error ${this.w.GetLastError()})`;
    try {
      const v = koffi.decode(buf[0], 'int32_t') as number;
      return WTS_STATES[v] ?? `state ${v}`;
    } finally {
      WTSFreeMemory(buf[0]);
    }
  }

  /** The name of the desktop that receives input ("Default" when unlocked), or why it cannot be opened. */
  private inputDesktop(): { name?: string; error?: number } {
    const DESKTOP_READOBJECTS = 0x1;
    const h = this.w.OpenInputDesktop(0, 0, DESKTOP_READOBJECTS);
    if (!h) return { error: this.w.GetLastError() };
    try {
      const name = new Uint16Array(256);
      if (!this.w.GetUserObjectInformationW(h, 2 /* UOI_NAME */, name, name.byteLength, [0])) return { error: this.w.GetLastError() };
      const end = name.indexOf(0);
      return { name: String.fromCharCode(...name.subarray(0, end < 0 ? name.length : end)) };
    } finally {
      this.w.CloseDesktop(h);
    }
  }

  private monitors(): SessionFacts['monitors'] {
    const out: SessionFacts['monitors'] = [];
    const info = Buffer.alloc(104); // MONITORINFOEXW: cbSize, rcMonitor, rcWork, dwFlags, szDevice[32]
    this.w.EnumDisplayMonitors(
      null,
      null,
      (monitor: unknown) => {
        info.fill(0);
        info.writeUInt32LE(info.length, 0);
        if (this.w.GetMonitorInfoW(monitor, info)) {
          const [l, t, r, b] = [0, 1, 2, 3].map((i) => info.readInt32LE(4 + 4 * i)) as [number, number, number, number];
          const x = [0];
          const y = [0];
          const dpi = this.w.GetDpiForMonitor && this.w.GetDpiForMonitor(monitor, 0 /* MDT_EFFECTIVE_DPI */, x, y) === 0 ? x[0]! : null;
          out.push({ x: l, y: t, width: r - l, height: b - t, dpi, primary: (info.readUInt32LE(36) & 1) === 1 });
        }
        return 1;
      },
      0,
    );
    return out;
  }

  session(): SessionFacts {
    const wts = this.connectState();
    const desk = this.inputDesktop();
    const remote = this.w.GetSystemMetrics(0x1000 /* SM_REMOTESESSION */) !== 0;
    const detail = `WTS connect state ${wts}; input desktop ${desk.name ?? `not opened (error ${desk.error})`}`;
    let state: SessionFacts['state'];
    if (wts === 'disconnected') state = 'disconnected';
    else if (desk.name !== undefined && desk.name.toLowerCase() !== 'default') state = 'locked';
    else if (desk.name === undefined)
      state = 'locked'; // access denied to the input desktop: the secure desktop has it
    else if (wts === 'active' || wts.startsWith('unknown')) state = 'active';
    else state = 'unknown';
    return { state, detail, remote, monitors: this.monitors() };
  }

  keepAwake(on: boolean): { ok: boolean; detail: string } {
    const flags = on ? ES_CONTINUOUS | ES_SYSTEM_REQUIRED | ES_DISPLAY_REQUIRED : ES_CONTINUOUS;
    const previous = this.w.SetThreadExecutionState(flags >>> 0);
    if (previous === 0) return { ok: false, detail: `SetThreadExecutionState failed (error ${this.w.GetLastError()})` };
    return { ok: true, detail: on ? 'system and display kept awake (SetThreadExecutionState) until the campaign ends' : 'keep-awake released' };
  }
}
