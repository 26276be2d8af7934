import koffi from 'koffi';

// The few user32/kernel32/gdi32 functions the stand-in viewer's window needs beyond its own window-class
// calls (win32Window.ts). The viewer is a target program like Petrel, so it declares its own bindings instead
// of borrowing the driver's. Handles are koffi pointers (BigInt). x64 only.

export type Handle = bigint | null;
export type WinRect = { left: number; top: number; right: number; bottom: number };

function bind() {
  const user32 = koffi.load('user32.dll');
  const kernel32 = koffi.load('kernel32.dll');
  // The handle types are plain pointers to one opaque type: what matters is that they marshal as BigInt.
  // win32Window.ts declares its functions with these type names.
  koffi.pointer('FB_HANDLE', koffi.opaque('FB_OPAQUE'));
  koffi.struct('FB_RECT', { left: 'int32', top: 'int32', right: 'int32', bottom: 'int32' });
  const gdi32 = koffi.load('gdi32.dll');
  /** A function that may be missing on older Windows or under Wine: undefined instead of a throw. */
  const optional = <T>(make: () => T): T | undefined => {
    try {
      return make();
    } catch {
      return undefined;
    }
  };
  return {
    GetWindowRect: user32.func('int __stdcall GetWindowRect(FB_HANDLE hwnd, _Out_ FB_RECT *rect)'),
    GetClientRect: user32.func('int __stdcall GetClientRect(FB_HANDLE hwnd, _Out_ FB_RECT *rect)'),
    SetWindowPos: user32.func('int __stdcall SetWindowPos(FB_HANDLE hwnd, FB_HANDLE after, int x, int y, int cx, int cy, uint32_t flags)'),
    ShowWindow: user32.func('int __stdcall ShowWindow(FB_HANDLE hwnd, int cmd)'),
    GetDC: user32.func('FB_HANDLE __stdcall GetDC(FB_HANDLE hwnd)'),
    ReleaseDC: user32.func('int __stdcall ReleaseDC(FB_HANDLE hwnd, FB_HANDLE hdc)'),
    SetProcessDpiAwarenessContext: optional(() => user32.func('int __stdcall SetProcessDpiAwarenessContext(intptr_t context)')),
    SetProcessDPIAware: optional(() => user32.func('int __stdcall SetProcessDPIAware()')),
    GetLastError: kernel32.func('uint32_t __stdcall GetLastError()'),
    SelectObject: gdi32.func('FB_HANDLE __stdcall SelectObject(FB_HANDLE hdc, FB_HANDLE obj)'),
  };
}

let bound: ReturnType<typeof bind> | undefined;

/** The bindings, loaded on first use (koffi loads the DLLs then). */
export function win32(): ReturnType<typeof bind> {
  bound ??= bind();
  return bound;
}
