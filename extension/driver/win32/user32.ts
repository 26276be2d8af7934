import koffi from 'koffi';

// koffi bindings for the part of user32/kernel32/gdi32/advapi32 the Win32 backend uses (x64 only). Loaded
// once, on first use, on the driver's main thread; the hook worker declares its own few functions.
// Nothing here may wait for another program's UI thread on the driver's thread (a busy Petrel would stall the
// driver): no synchronous ShowWindow/SetWindowPos/SetFocus/SendMessage on a target; the async variants, or
// SendMessageTimeoutW through koffi's .async, instead.
// Handles are koffi pointers (BigInt); the protocol carries them as decimal strings.

export type Handle = bigint | null;

export const RECT = koffi.struct('FB_RECT', { left: 'int32', top: 'int32', right: 'int32', bottom: 'int32' });
export const POINT = koffi.struct('FB_POINT', { x: 'int32', y: 'int32' });
export type WinRect = { left: number; top: number; right: number; bottom: number };
export type WinPoint = { x: number; y: number };
export const LASTINPUTINFO = koffi.struct('FB_LASTINPUTINFO', { cbSize: 'uint32', dwTime: 'uint32' });

function bind() {
  const user32 = koffi.load('user32.dll');
  const kernel32 = koffi.load('kernel32.dll');
  const gdi32 = koffi.load('gdi32.dll');
  const advapi32 = koffi.load('advapi32.dll');
  const winmm = koffi.load('winmm.dll');
  // The handle types are plain pointers to one opaque type: what matters is that they marshal as BigInt.
  koffi.pointer('FB_HANDLE', koffi.opaque('FB_OPAQUE'));
  // Registered by name: EnumWindows below refers to FB_EnumWindowsProc in its declaration.
  koffi.proto('int __stdcall FB_EnumWindowsProc(FB_HANDLE hwnd, intptr_t lParam)');
  /** A function that may be missing on older Windows or under Wine: undefined instead of a throw. */
  const optional = <T>(make: () => T): T | undefined => {
    try {
      return make();
    } catch {
      return undefined;
    }
  };
  return {
    EnumWindows: user32.func('int __stdcall EnumWindows(FB_EnumWindowsProc *cb, intptr_t lParam)'),
    GetWindowTextW: user32.func('int __stdcall GetWindowTextW(FB_HANDLE hwnd, _Out_ uint16_t *buf, int max)'),
    GetWindowTextLengthW: user32.func('int __stdcall GetWindowTextLengthW(FB_HANDLE hwnd)'),
    GetClassNameW: user32.func('int __stdcall GetClassNameW(FB_HANDLE hwnd, _Out_ uint16_t *buf, int max)'),
    GetWindowThreadProcessId: user32.func('uint32_t __stdcall GetWindowThreadProcessId(FB_HANDLE hwnd, _Out_ uint32_t *pid)'),
    IsWindow: user32.func('int __stdcall IsWindow(FB_HANDLE hwnd)'),
    IsWindowVisible: user32.func('int __stdcall IsWindowVisible(FB_HANDLE hwnd)'),
    IsIconic: user32.func('int __stdcall IsIconic(FB_HANDLE hwnd)'),
    IsZoomed: user32.func('int __stdcall IsZoomed(FB_HANDLE hwnd)'),
    PostThreadMessageW: user32.func('int __stdcall PostThreadMessageW(uint32_t tid, uint32_t msg, uintptr_t wParam, intptr_t lParam)'),
    GetWindowRect: user32.func('int __stdcall GetWindowRect(FB_HANDLE hwnd, _Out_ FB_RECT *rect)'),
    GetClientRect: user32.func('int __stdcall GetClientRect(FB_HANDLE hwnd, _Out_ FB_RECT *rect)'),
    ClientToScreen: user32.func('int __stdcall ClientToScreen(FB_HANDLE hwnd, _Inout_ FB_POINT *pt)'),
    GetForegroundWindow: user32.func('FB_HANDLE __stdcall GetForegroundWindow()'),
    SetForegroundWindow: user32.func('int __stdcall SetForegroundWindow(FB_HANDLE hwnd)'),
    ShowWindowAsync: user32.func('int __stdcall ShowWindowAsync(FB_HANDLE hwnd, int cmd)'),
    GetWindow: user32.func('FB_HANDLE __stdcall GetWindow(FB_HANDLE hwnd, uint32_t cmd)'),
    IsHungAppWindow: user32.func('int __stdcall IsHungAppWindow(FB_HANDLE hwnd)'),
    /** Called with .async only: it waits for the window's thread (up to the timeout), never on the driver's thread. */
    SendMessageTimeoutW: user32.func(
      'intptr_t __stdcall SendMessageTimeoutW(FB_HANDLE hwnd, uint32_t msg, uintptr_t wParam, intptr_t lParam, uint32_t flags, uint32_t timeoutMs, void *result)',
    ),
    GetLastInputInfo: user32.func('int __stdcall GetLastInputInfo(_Inout_ FB_LASTINPUTINFO *info)'),
    MonitorFromWindow: user32.func('FB_HANDLE __stdcall MonitorFromWindow(FB_HANDLE hwnd, uint32_t flags)'),
    GetWindowDpiAwarenessContext: optional(() => user32.func('intptr_t __stdcall GetWindowDpiAwarenessContext(FB_HANDLE hwnd)')),
    GetDpiForMonitor: optional(() => koffi.load('shcore.dll').func('int32_t __stdcall GetDpiForMonitor(FB_HANDLE monitor, int type, _Out_ uint32_t *dpiX, _Out_ uint32_t *dpiY)')),
    timeBeginPeriod: winmm.func('uint32_t __stdcall timeBeginPeriod(uint32_t ms)'),
    timeEndPeriod: winmm.func('uint32_t __stdcall timeEndPeriod(uint32_t ms)'),
    GetTickCount: kernel32.func('uint32_t __stdcall GetTickCount()'),
    AllowSetForegroundWindow: user32.func('int __stdcall AllowSetForegroundWindow(uint32_t pid)'),
    AttachThreadInput: user32.func('int __stdcall AttachThreadInput(uint32_t attach, uint32_t to, int on)'),
    SetWindowPos: user32.func('int __stdcall SetWindowPos(FB_HANDLE hwnd, FB_HANDLE after, int x, int y, int cx, int cy, uint32_t flags)'),
    GetSystemMetrics: user32.func('int __stdcall GetSystemMetrics(int index)'),
    SendInput: user32.func('uint32_t __stdcall SendInput(uint32_t count, void *inputs, int size)'),
    MapVirtualKeyW: user32.func('uint32_t __stdcall MapVirtualKeyW(uint32_t code, uint32_t mapType)'),
    GetCursorPos: user32.func('int __stdcall GetCursorPos(_Out_ FB_POINT *pt)'),
    WindowFromPoint: user32.func('FB_HANDLE __stdcall WindowFromPoint(FB_POINT pt)'),
    GetAncestor: user32.func('FB_HANDLE __stdcall GetAncestor(FB_HANDLE hwnd, uint32_t flags)'),
    GetDC: user32.func('FB_HANDLE __stdcall GetDC(FB_HANDLE hwnd)'),
    ReleaseDC: user32.func('int __stdcall ReleaseDC(FB_HANDLE hwnd, FB_HANDLE hdc)'),
    SetProcessDpiAwarenessContext: optional(() => user32.func('int __stdcall SetProcessDpiAwarenessContext(intptr_t context)')),
    SetProcessDPIAware: optional(() => user32.func('int __stdcall SetProcessDPIAware()')),
    SetThreadDpiAwarenessContext: optional(() => user32.func('intptr_t __stdcall SetThreadDpiAwarenessContext(intptr_t context)')),
    GetThreadDpiAwarenessContext: optional(() => user32.func('intptr_t __stdcall GetThreadDpiAwarenessContext()')),
    GetAwarenessFromDpiAwarenessContext: optional(() => user32.func('int __stdcall GetAwarenessFromDpiAwarenessContext(intptr_t context)')),
    AreDpiAwarenessContextsEqual: optional(() => user32.func('int __stdcall AreDpiAwarenessContextsEqual(intptr_t a, intptr_t b)')),
    GetDpiForWindow: optional(() => user32.func('uint32_t __stdcall GetDpiForWindow(FB_HANDLE hwnd)')),
    GetCurrentThreadId: kernel32.func('uint32_t __stdcall GetCurrentThreadId()'),
    GetCurrentProcessId: kernel32.func('uint32_t __stdcall GetCurrentProcessId()'),
    GetLastError: kernel32.func('uint32_t __stdcall GetLastError()'),
    OpenProcess: kernel32.func('FB_HANDLE __stdcall OpenProcess(uint32_t access, int inherit, uint32_t pid)'),
    CloseHandle: kernel32.func('int __stdcall CloseHandle(FB_HANDLE h)'),
    QueryFullProcessImageNameW: kernel32.func('int __stdcall QueryFullProcessImageNameW(FB_HANDLE process, uint32_t flags, _Out_ uint16_t *buf, _Inout_ uint32_t *size)'),
    GetCurrentProcess: kernel32.func('FB_HANDLE __stdcall GetCurrentProcess()'),
    OpenProcessToken: advapi32.func('int __stdcall OpenProcessToken(FB_HANDLE process, uint32_t access, _Out_ FB_HANDLE *token)'),
    GetTokenInformation: advapi32.func('int __stdcall GetTokenInformation(FB_HANDLE token, int cls, _Out_ uint8_t *buf, uint32_t len, _Out_ uint32_t *needed)'),
    GetSidSubAuthorityCount: advapi32.func('void * __stdcall GetSidSubAuthorityCount(void *sid)'),
    GetSidSubAuthority: advapi32.func('void * __stdcall GetSidSubAuthority(void *sid, uint32_t index)'),
    CreateCompatibleDC: gdi32.func('FB_HANDLE __stdcall CreateCompatibleDC(FB_HANDLE hdc)'),
    CreateCompatibleBitmap: gdi32.func('FB_HANDLE __stdcall CreateCompatibleBitmap(FB_HANDLE hdc, int cx, int cy)'),
    SelectObject: gdi32.func('FB_HANDLE __stdcall SelectObject(FB_HANDLE hdc, FB_HANDLE obj)'),
    BitBlt: gdi32.func('int __stdcall BitBlt(FB_HANDLE dst, int x, int y, int cx, int cy, FB_HANDLE src, int x1, int y1, uint32_t rop)'),
    GetDIBits: gdi32.func('int __stdcall GetDIBits(FB_HANDLE hdc, FB_HANDLE bitmap, uint32_t start, uint32_t lines, _Out_ uint8_t *bits, _Inout_ uint8_t *info, uint32_t usage)'),
    CreateDIBSection: gdi32.func('FB_HANDLE __stdcall CreateDIBSection(FB_HANDLE hdc, uint8_t *info, uint32_t usage, _Out_ void **bits, FB_HANDLE section, uint32_t offset)'),
    GdiFlush: gdi32.func('int __stdcall GdiFlush()'),
    DeleteObject: gdi32.func('int __stdcall DeleteObject(FB_HANDLE obj)'),
    DeleteDC: gdi32.func('int __stdcall DeleteDC(FB_HANDLE hdc)'),
    GetDeviceCaps: gdi32.func('int __stdcall GetDeviceCaps(FB_HANDLE hdc, int index)'),
    /** Present only under Wine (ntdll export): how the backend knows what Wine cannot show. */
    wine_get_version: optional(() => koffi.load('ntdll.dll').func('const char * wine_get_version()')),
  };
}

export type Win32 = ReturnType<typeof bind>;
let bound: Win32 | undefined;

/** The bindings, loaded on first use (koffi loads the DLLs then). */
export function win32(): Win32 {
  bound ??= bind();
  return bound;
}

export function decodeUint8(ptr: unknown): number {
  return koffi.decode(ptr as bigint, 'uint8_t') as number;
}

export function decodeUint32(ptr: unknown): number {
  return koffi.decode(ptr as bigint, 'uint32_t') as number;
}

/** Bytes at a native address, aliased (no copy): valid as long as the memory is. */
export function viewBytes(ptr: unknown, length: number): Uint8Array {
  return new Uint8Array(koffi.view(ptr as bigint, length));
}
