/*
 * FastBench test target: a tiny Win32 program that is the exact oracle of the Win32 driver tests.
 * Built in the test run:  x86_64-w64-mingw32-gcc -O2 -municode -mwindows target.c -o target.exe -luser32 -lgdi32 -ladvapi32
 *
 * Window mode:  target.exe LOGFILE [--title T] [--x X --y Y --w W --h H] [--dpi-unaware] [--exit-after-ms N]
 *                          [--petrel-splash-ms N] [--petrel-licence] [--petrel-save-prompt]
 *                          [--dialog] [--popup] [--hang-after MS [--hang-for MS]]
 *   Opens one top-level window and appends a line per message to LOGFILE (flushed at once):
 *     <t_ms> ready pid=P hwnd=H client=X,Y,W,H window=X,Y,W,H dpi=D   (client = GetClientRect + ClientToScreen)
 *     <t_ms> down|up button=left|right|middle|x1|x2 x=CX y=CY        (client coordinates from the message)
 *     <t_ms> move x=CX y=CY
 *     <t_ms> wheel|hwheel delta=D x=CX y=CY                            (client coordinates of the pointer)
 *     <t_ms> key_down|key_up vk=V scan=S ext=E
 *     <t_ms> char code=C
 *     <t_ms> moved client=X,Y,W,H window=X,Y,W,H dpi=D
 *     <t_ms> focus | unfocus                                           (WM_SETFOCUS / WM_KILLFOCUS: foreground oracle)
 *     <t_ms> painted shade=N                                           (after WM_PAINT's drawing, GdiFlush'ed)
 *   t_ms = QueryPerformanceCounter in ms: the clock Node's process.hrtime uses on Windows.
 *   The client area is painted (40,120,200) with a (200,60+40*(N%5),40) 40x30 block at client (10,10): pixel oracle.
 *   Keys that repaint (render detection): R changes the block's shade now; T changes it now and again 100 ms later.
 *   Petrel's life cycle (campaign tests of interstitials and the close sequence):
 *     --petrel-splash-ms N   first a borderless "T - Splash" window for N ms   (splash_shown, splash_gone)
 *     --petrel-licence       then a "T - Licence" window until Enter is pressed in it (licence_shown, licence_accepted)
 *     --petrel-save-prompt   WM_CLOSE of the main window shows "Save changes? - T" (owned by it) instead of closing:
 *                            N there closes both (save_prompt_answered no); any other key is logged; WM_CLOSE of
 *                            the prompt is Cancel: the main window stays (save_prompt_shown, save_prompt_cancelled)
 *   --dialog      also opens a modal dialog OWNED by the main window (main disabled, dialog in front) at client
 *                 (100,80) of the main window, 300x200; --popup an UNOWNED WS_POPUP tool window of the same process
 *                 (like a menu or tooltip) at client (420,60), 160x120. They log
 *                   <t_ms> aux name=dialog|popup hwnd=H client=X,Y,W,H
 *                   <t_ms> aux_down|aux_up name=dialog|popup x=CX y=CY                (their own client coordinates)
 *   --hang-after  after MS ms the UI thread stops pumping messages for --hang-for ms (default 20000):
 *                   <t_ms> hang ms=N   then, when it pumps again,   <t_ms> unhang
 * Helper modes (one action, exit code 0 on success):
 *   --gettext CLASS CHILDCLASS OUTFILE   WM_GETTEXT of CHILDCLASS inside the first top-level CLASS window -> UTF-8 file
 *   --foreground OUTFILE                 GetForegroundWindow() as a decimal handle (0 if none): a foreground oracle
 *   --inject OP...                       untagged SendInput, standing in for a person (real Windows only):
 *                                        click X Y | move X Y | key VK | wheel DELTA | sleep MS   (X,Y screen pixels)
 *   --monitors OUTFILE                   one line per monitor: X,Y,W,H dpi=D primary=0|1
 *   --run-low-integrity OUTFILE CMDLINE  starts CMDLINE with a low-integrity token, writes its pid to OUTFILE
 *   --set-dpi-step N                     SPI_SETLOGICALDPIOVERRIDE (N steps from the recommended scale); best effort
 *   --hold READYFILE MS FILE...          opens each FILE for reading and holds it MS ms (an app reading its data), with
 *                                        an anonymous pipe a second thread is blocked reading (a handle whose name
 *                                        lookup would hang); writes "ready pid=P" to READYFILE once all are open
 *   --keystate OUTFILE VK...             one line per VK: VK=down|up (GetAsyncKeyState): is a key still held?
 */
#ifndef UNICODE
#define UNICODE
#endif
#ifndef _UNICODE
#define _UNICODE
#endif
#define WINVER 0x0A00
#define _WIN32_WINNT 0x0A00
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

static FILE *logf;
static LARGE_INTEGER qpf;
static HWND mainWnd;
static int shade; /* the block's shade: R and T change it, so a step has pixels to wait for */
static int petrel_save_prompt; /* --petrel-save-prompt */
static HWND promptWnd;
static wchar_t petrel_title[256];
static HWND petrel_window(const wchar_t *title, DWORD style, HWND owner, int x, int y);
static int hang_for = 20000;

static double now_ms(void) {
  LARGE_INTEGER c;
  QueryPerformanceCounter(&c);
  return (double)c.QuadPart * 1000.0 / (double)qpf.QuadPart;
}

static void logline(const char *fmt, ...) {
  va_list ap;
  if (!logf) return;
  fprintf(logf, "%.3f ", now_ms());
  va_start(ap, fmt);
  vfprintf(logf, fmt, ap);
  va_end(ap);
  fputc('\n', logf);
  fflush(logf);
}

typedef UINT(WINAPI *GetDpiForWindowFn)(HWND);
static UINT dpi_of(HWND hwnd) {
  static GetDpiForWindowFn fn;
  static int looked;
  if (!looked) {
    fn = (GetDpiForWindowFn)(void *)GetProcAddress(GetModuleHandleW(L"user32.dll"), "GetDpiForWindow");
    looked = 1;
  }
  if (fn) {
    UINT d = fn(hwnd);
    if (d) return d;
  }
  HDC dc = GetDC(NULL);
  int d = GetDeviceCaps(dc, LOGPIXELSX);
  ReleaseDC(NULL, dc);
  return (UINT)d;
}

static void log_geometry(const char *what) {
  RECT c, w;
  POINT o = {0, 0};
  GetClientRect(mainWnd, &c);
  ClientToScreen(mainWnd, &o);
  GetWindowRect(mainWnd, &w);
  if (strcmp(what, "ready") == 0)
    logline("ready pid=%lu hwnd=%llu client=%ld,%ld,%ld,%ld window=%ld,%ld,%ld,%ld dpi=%u", GetCurrentProcessId(),
            (unsigned long long)(ULONG_PTR)mainWnd, o.x, o.y, c.right - c.left, c.bottom - c.top, w.left, w.top,
            w.right - w.left, w.bottom - w.top, dpi_of(mainWnd));
  else
    logline("%s client=%ld,%ld,%ld,%ld window=%ld,%ld,%ld,%ld dpi=%u", what, o.x, o.y, c.right - c.left,
            c.bottom - c.top, w.left, w.top, w.right - w.left, w.bottom - w.top, dpi_of(mainWnd));
}

static int under_wine(void) {
  static int known = -1;
  if (known < 0) known = GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "wine_get_version") != NULL;
  return known;
}

static const char *xbutton(WPARAM wp) { return HIWORD(wp) == XBUTTON2 ? "x2" : "x1"; }

static LRESULT CALLBACK wndproc(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp) {
  short x = (short)LOWORD(lp), y = (short)HIWORD(lp);
  switch (msg) {
  case WM_LBUTTONDOWN: logline("down button=left x=%d y=%d", x, y); return 0;
  case WM_LBUTTONUP: logline("up button=left x=%d y=%d", x, y); return 0;
  case WM_RBUTTONDOWN: logline("down button=right x=%d y=%d", x, y); return 0;
  case WM_RBUTTONUP: logline("up button=right x=%d y=%d", x, y); return 0;
  case WM_MBUTTONDOWN: logline("down button=middle x=%d y=%d", x, y); return 0;
  case WM_MBUTTONUP: logline("up button=middle x=%d y=%d", x, y); return 0;
  case WM_XBUTTONDOWN: logline("down button=%s x=%d y=%d", xbutton(wp), x, y); return TRUE;
  case WM_XBUTTONUP: logline("up button=%s x=%d y=%d", xbutton(wp), x, y); return TRUE;
  case WM_MOUSEMOVE: logline("move x=%d y=%d", x, y); return 0;
  case WM_MOUSEWHEEL:
  case WM_MOUSEHWHEEL: {
    /* lParam holds screen coordinates for wheel messages. Wine 8 alone maps WM_MOUSEHWHEEL's lParam to client
       coordinates already (a Wine quirk); GetMessagePos is no oracle either (Wine may give the position of an
       earlier event of the same SendInput batch). */
    POINT p = {x, y};
    if (!(msg == WM_MOUSEHWHEEL && under_wine())) ScreenToClient(hwnd, &p);
    logline("%s delta=%d x=%ld y=%ld", msg == WM_MOUSEWHEEL ? "wheel" : "hwheel", (short)HIWORD(wp), p.x, p.y);
    return 0;
  }
  case WM_KEYDOWN:
  case WM_SYSKEYDOWN:
    logline("key_down vk=%u scan=%u ext=%u", (unsigned)wp, (unsigned)((lp >> 16) & 0xff), (unsigned)((lp >> 24) & 1));
    if (msg == WM_KEYDOWN && (wp == 'R' || wp == 'T') && !(lp & (1 << 30))) {
      shade++;
      InvalidateRect(hwnd, NULL, FALSE);
      UpdateWindow(hwnd);
      if (wp == 'T') SetTimer(hwnd, 2, 100, NULL); /* the second change of a two-step repaint */
    }
    return msg == WM_SYSKEYDOWN ? DefWindowProcW(hwnd, msg, wp, lp) : 0;
  case WM_KEYUP:
  case WM_SYSKEYUP:
    logline("key_up vk=%u scan=%u ext=%u", (unsigned)wp, (unsigned)((lp >> 16) & 0xff), (unsigned)((lp >> 24) & 1));
    return msg == WM_SYSKEYUP ? DefWindowProcW(hwnd, msg, wp, lp) : 0;
  case WM_CHAR: logline("char code=%u", (unsigned)wp); return 0;
  case WM_WINDOWPOSCHANGED:
    if (mainWnd) log_geometry("moved");
    break;
  case WM_DPICHANGED: {
    RECT *r = (RECT *)lp;
    SetWindowPos(hwnd, NULL, r->left, r->top, r->right - r->left, r->bottom - r->top, SWP_NOZORDER | SWP_NOACTIVATE);
    return 0;
  }
  case WM_PAINT: {
    PAINTSTRUCT ps;
    HDC dc = BeginPaint(hwnd, &ps);
    RECT c, block = {10, 10, 50, 40};
    GetClientRect(hwnd, &c);
    HBRUSH bg = CreateSolidBrush(RGB(40, 120, 200)), fg = CreateSolidBrush(RGB(200, 60 + 40 * (shade % 5), 40));
    FillRect(dc, &c, bg);
    FillRect(dc, &block, fg);
    DeleteObject(bg);
    DeleteObject(fg);
    EndPaint(hwnd, &ps);
    GdiFlush();
    logline("painted shade=%d", shade);
    return 0;
  }
  case WM_SETFOCUS: logline("focus"); break;
  case WM_KILLFOCUS: logline("unfocus"); break;
  case WM_TIMER:
    if (wp == 3) {
      KillTimer(hwnd, 3);
      logline("hang ms=%d", hang_for);
      Sleep((DWORD)hang_for); /* the UI thread is busy: no message is pumped meanwhile */
      logline("unhang");
      return 0;
    }
    if (wp == 2) {
      KillTimer(hwnd, 2);
      shade++;
      InvalidateRect(hwnd, NULL, FALSE);
      UpdateWindow(hwnd);
      return 0;
    }
    DestroyWindow(hwnd);
    return 0;
  case WM_CLOSE:
    if (petrel_save_prompt) {
      if (!promptWnd) {
        wchar_t t[300];
        RECT r;
        GetWindowRect(hwnd, &r);
        swprintf(t, 300, L"Save changes? - %ls", petrel_title);
        promptWnd = petrel_window(t, WS_OVERLAPPED | WS_CAPTION, hwnd, r.left + 40, r.top + 60);
        logline("save_prompt_shown hwnd=%llu", (unsigned long long)(ULONG_PTR)promptWnd);
      }
      return 0;
    }
    break;
  case WM_DESTROY: logline("exit"); PostQuitMessage(0); return 0;
  }
  return DefWindowProcW(hwnd, msg, wp, lp);
}

/* The splash, licence and save-prompt windows of --petrel-*: what Petrel shows around its main window. */
static LRESULT CALLBACK petrel_dialog_proc(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp) {
  switch (msg) {
  case WM_KEYDOWN:
    if (hwnd == promptWnd) {
      if (wp == 'N') {
        logline("save_prompt_answered no");
        promptWnd = NULL;
        DestroyWindow(hwnd);
        DestroyWindow(mainWnd);
      } else
        logline("save_prompt_key vk=%u", (unsigned)wp);
      return 0;
    }
    if (wp == VK_RETURN) {
      logline("licence_accepted");
      DestroyWindow(hwnd);
    } else
      logline("licence_key vk=%u", (unsigned)wp);
    return 0;
  case WM_CLOSE:
    if (hwnd == promptWnd) {
      logline("save_prompt_cancelled");
      promptWnd = NULL;
      DestroyWindow(hwnd);
    }
    return 0; /* the licence window does not close on request either: it wants Enter */
  }
  return DefWindowProcW(hwnd, msg, wp, lp);
}

static LRESULT CALLBACK aux_wndproc(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp) {
  const char *name = (const char *)GetPropW(hwnd, L"FastBenchAuxName");
  switch (msg) {
  case WM_LBUTTONDOWN: logline("aux_down name=%s x=%d y=%d", name, (short)LOWORD(lp), (short)HIWORD(lp)); return 0;
  case WM_LBUTTONUP: logline("aux_up name=%s x=%d y=%d", name, (short)LOWORD(lp), (short)HIWORD(lp)); return 0;
  case WM_CLOSE: return 0; /* stays until the program ends */
  }
  return DefWindowProcW(hwnd, msg, wp, lp);
}

static HWND petrel_window(const wchar_t *title, DWORD style, HWND owner, int x, int y) {
  HWND h = CreateWindowExW(0, L"FastBenchPetrelDialog", title, style | WS_VISIBLE, x, y, 360, 200, owner, NULL, GetModuleHandleW(NULL), NULL);
  ShowWindow(h, SW_SHOW);
  UpdateWindow(h);
  SetForegroundWindow(h);
  return h;
}

/* Pumps messages until the window is gone (licence) or the time is up (splash, ms > 0). */
static void petrel_pump(HWND h, DWORD ms) {
  DWORD end = GetTickCount() + ms;
  MSG m;
  while (IsWindow(h) && (!ms || GetTickCount() < end)) {
    while (PeekMessageW(&m, NULL, 0, 0, PM_REMOVE)) {
      TranslateMessage(&m);
      DispatchMessageW(&m);
    }
    MsgWaitForMultipleObjects(0, NULL, FALSE, 10, QS_ALLINPUT);
  }
}

/* A window of the target's own (owned dialog, or unowned pop-up), placed at client (cx,cy) of the main window. */
static HWND open_aux(const char *name, HWND owner, DWORD style, DWORD ex, int cx, int cy, int w, int h) {
  static int registered;
  if (!registered) {
    WNDCLASSW wc = {0};
    wc.lpfnWndProc = aux_wndproc;
    wc.hInstance = GetModuleHandleW(NULL);
    wc.hCursor = LoadCursor(NULL, IDC_ARROW);
    wc.hbrBackground = CreateSolidBrush(RGB(230, 230, 120));
    wc.lpszClassName = L"FastBenchAux";
    RegisterClassW(&wc);
    registered = 1;
  }
  POINT o = {cx, cy};
  ClientToScreen(mainWnd, &o);
  wchar_t title[64];
  swprintf(title, 64, L"FastBench %hs", name);
  HWND aux = CreateWindowExW(ex, L"FastBenchAux", title, style, o.x, o.y, w, h, owner, NULL, GetModuleHandleW(NULL), NULL);
  if (!aux) return NULL;
  SetPropW(aux, L"FastBenchAuxName", (HANDLE)name);
  ShowWindow(aux, SW_SHOWNOACTIVATE);
  UpdateWindow(aux);
  RECT c;
  POINT co = {0, 0};
  GetClientRect(aux, &c);
  ClientToScreen(aux, &co);
  logline("aux name=%s hwnd=%llu client=%ld,%ld,%ld,%ld", name, (unsigned long long)(ULONG_PTR)aux, co.x, co.y, c.right - c.left,
          c.bottom - c.top);
  return aux;
}

static int window_mode(int argc, wchar_t **argv) {
  const wchar_t *title = L"FastBench Target";
  int x = 100, y = 100, w = 640, h = 480, aware = 1, exit_after = 0, splash_ms = 0, licence = 0, dialog = 0, popup = 0, hang_after = 0;
  for (int i = 2; i < argc; i++) {
    if (!wcscmp(argv[i], L"--title") && i + 1 < argc) title = argv[++i];
    else if (!wcscmp(argv[i], L"--x") && i + 1 < argc) x = _wtoi(argv[++i]);
    else if (!wcscmp(argv[i], L"--y") && i + 1 < argc) y = _wtoi(argv[++i]);
    else if (!wcscmp(argv[i], L"--w") && i + 1 < argc) w = _wtoi(argv[++i]);
    else if (!wcscmp(argv[i], L"--h") && i + 1 < argc) h = _wtoi(argv[++i]);
    else if (!wcscmp(argv[i], L"--dpi-unaware")) aware = 0;
    else if (!wcscmp(argv[i], L"--exit-after-ms") && i + 1 < argc) exit_after = _wtoi(argv[++i]);
    else if (!wcscmp(argv[i], L"--petrel-splash-ms") && i + 1 < argc) splash_ms = _wtoi(argv[++i]);
    else if (!wcscmp(argv[i], L"--petrel-licence")) licence = 1;
    else if (!wcscmp(argv[i], L"--petrel-save-prompt")) petrel_save_prompt = 1;
    else if (!wcscmp(argv[i], L"--dialog")) dialog = 1;
    else if (!wcscmp(argv[i], L"--popup")) popup = 1;
    else if (!wcscmp(argv[i], L"--hang-after") && i + 1 < argc) hang_after = _wtoi(argv[++i]);
    else if (!wcscmp(argv[i], L"--hang-for") && i + 1 < argc) hang_for = _wtoi(argv[++i]);
  }
  if (aware) {
    typedef BOOL(WINAPI * SetCtx)(HANDLE);
    SetCtx set = (SetCtx)(void *)GetProcAddress(GetModuleHandleW(L"user32.dll"), "SetProcessDpiAwarenessContext");
    if (!set || !set((HANDLE)(LONG_PTR)-4)) SetProcessDPIAware();
  }
  logf = _wfopen(argv[1], L"a");
  if (!logf) return 2;
  WNDCLASSW wc = {0};
  wc.lpfnWndProc = wndproc;
  wc.hInstance = GetModuleHandleW(NULL);
  wc.hCursor = LoadCursor(NULL, IDC_ARROW);
  wc.lpszClassName = L"FastBenchTarget";
  RegisterClassW(&wc);
  if (splash_ms > 0 || licence || petrel_save_prompt) {
    WNDCLASSW dc = {0};
    dc.lpfnWndProc = petrel_dialog_proc;
    dc.hInstance = wc.hInstance;
    dc.hCursor = wc.hCursor;
    dc.hbrBackground = (HBRUSH)(COLOR_WINDOW + 1);
    dc.lpszClassName = L"FastBenchPetrelDialog";
    RegisterClassW(&dc);
  }
  swprintf(petrel_title, 256, L"%ls", title);
  if (splash_ms > 0) {
    wchar_t t[300];
    swprintf(t, 300, L"%ls - Splash", title);
    HWND s = petrel_window(t, WS_POPUP | WS_BORDER, NULL, x + 20, y + 20);
    logline("splash_shown hwnd=%llu", (unsigned long long)(ULONG_PTR)s);
    petrel_pump(s, (DWORD)splash_ms);
    DestroyWindow(s);
    logline("splash_gone");
  }
  if (licence) {
    wchar_t t[300];
    swprintf(t, 300, L"%ls - Licence", title);
    HWND l = petrel_window(t, WS_OVERLAPPED | WS_CAPTION, NULL, x + 40, y + 40);
    logline("licence_shown hwnd=%llu", (unsigned long long)(ULONG_PTR)l);
    petrel_pump(l, 0);
  }
  mainWnd = CreateWindowExW(0, wc.lpszClassName, title, WS_OVERLAPPEDWINDOW | WS_VISIBLE, x, y, w, h, NULL, NULL,
                            wc.hInstance, NULL);
  if (!mainWnd) return 3;
  ShowWindow(mainWnd, SW_SHOW);
  UpdateWindow(mainWnd);
  SetForegroundWindow(mainWnd);
  log_geometry("ready");
  if (exit_after > 0) SetTimer(mainWnd, 1, (UINT)exit_after, NULL);
  if (hang_after > 0) SetTimer(mainWnd, 3, (UINT)hang_after, NULL);
  if (popup) open_aux("popup", NULL, WS_POPUP | WS_BORDER, WS_EX_TOOLWINDOW | WS_EX_TOPMOST, 420, 60, 160, 120);
  if (dialog) {
    /* As a modal dialog does: owned by the main window, which is disabled while the dialog is up. */
    HWND d = open_aux("dialog", mainWnd, WS_POPUP | WS_CAPTION | WS_SYSMENU, WS_EX_DLGMODALFRAME, 100, 80, 300, 200);
    EnableWindow(mainWnd, FALSE);
    SetForegroundWindow(d);
  }
  MSG m;
  while (GetMessageW(&m, NULL, 0, 0) > 0) {
    TranslateMessage(&m);
    DispatchMessageW(&m);
  }
  fclose(logf);
  return 0;
}

static int foreground_mode(int argc, wchar_t **argv) {
  if (argc < 3) return 2;
  FILE *f = _wfopen(argv[2], L"wb");
  if (!f) return 5;
  fprintf(f, "%llu", (unsigned long long)(ULONG_PTR)GetForegroundWindow());
  fclose(f);
  return 0;
}

static int gettext_mode(int argc, wchar_t **argv) {
  if (argc < 5) return 2;
  HWND top = FindWindowW(argv[2], NULL);
  if (!top) return 3;
  HWND child = FindWindowExW(top, NULL, argv[3], NULL);
  if (!child) return 4;
  LRESULT n = SendMessageW(child, WM_GETTEXTLENGTH, 0, 0);
  wchar_t *text = calloc((size_t)n + 1, sizeof(wchar_t));
  SendMessageW(child, WM_GETTEXT, (WPARAM)n + 1, (LPARAM)text);
  int bytes = WideCharToMultiByte(CP_UTF8, 0, text, -1, NULL, 0, NULL, NULL);
  char *utf8 = malloc((size_t)bytes);
  WideCharToMultiByte(CP_UTF8, 0, text, -1, utf8, bytes, NULL, NULL);
  FILE *f = _wfopen(argv[4], L"wb");
  if (!f) return 5;
  fputs(utf8, f);
  fclose(f);
  return 0;
}

static void send_mouse(DWORD flags, LONG x, LONG y, DWORD data) {
  INPUT in = {0};
  in.type = INPUT_MOUSE;
  if (flags & MOUSEEVENTF_ABSOLUTE) {
    int vx = GetSystemMetrics(SM_XVIRTUALSCREEN), vy = GetSystemMetrics(SM_YVIRTUALSCREEN);
    int vw = GetSystemMetrics(SM_CXVIRTUALSCREEN), vh = GetSystemMetrics(SM_CYVIRTUALSCREEN);
    in.mi.dx = (LONG)(((LONGLONG)(x - vx) * 65536) / vw + 1);
    in.mi.dy = (LONG)(((LONGLONG)(y - vy) * 65536) / vh + 1);
    flags |= MOUSEEVENTF_VIRTUALDESK;
  }
  in.mi.dwFlags = flags;
  in.mi.mouseData = data;
  SendInput(1, &in, sizeof in);
}

static void send_key(WORD vk, int up) {
  INPUT in = {0};
  in.type = INPUT_KEYBOARD;
  in.ki.wVk = vk;
  in.ki.wScan = (WORD)MapVirtualKeyW(vk, MAPVK_VK_TO_VSC);
  in.ki.dwFlags = up ? KEYEVENTF_KEYUP : 0;
  SendInput(1, &in, sizeof in);
}

static int inject_mode(int argc, wchar_t **argv) {
  SetProcessDPIAware();
  typedef BOOL(WINAPI * SetCtx)(HANDLE);
  SetCtx set = (SetCtx)(void *)GetProcAddress(GetModuleHandleW(L"user32.dll"), "SetProcessDpiAwarenessContext");
  if (set) set((HANDLE)(LONG_PTR)-4);
  for (int i = 2; i < argc; i++) {
    if (!wcscmp(argv[i], L"click") && i + 2 < argc) {
      LONG x = _wtol(argv[i + 1]), y = _wtol(argv[i + 2]);
      send_mouse(MOUSEEVENTF_MOVE | MOUSEEVENTF_ABSOLUTE, x, y, 0);
      send_mouse(MOUSEEVENTF_LEFTDOWN, 0, 0, 0);
      send_mouse(MOUSEEVENTF_LEFTUP, 0, 0, 0);
      i += 2;
    } else if (!wcscmp(argv[i], L"move") && i + 2 < argc) {
      send_mouse(MOUSEEVENTF_MOVE | MOUSEEVENTF_ABSOLUTE, _wtol(argv[i + 1]), _wtol(argv[i + 2]), 0);
      i += 2;
    } else if (!wcscmp(argv[i], L"key") && i + 1 < argc) {
      WORD vk = (WORD)wcstoul(argv[++i], NULL, 0);
      send_key(vk, 0);
      send_key(vk, 1);
    } else if (!wcscmp(argv[i], L"wheel") && i + 1 < argc) {
      send_mouse(MOUSEEVENTF_WHEEL, 0, 0, (DWORD)_wtoi(argv[++i]));
    } else if (!wcscmp(argv[i], L"sleep") && i + 1 < argc) {
      Sleep((DWORD)_wtoi(argv[++i]));
    } else {
      return 2;
    }
  }
  return 0;
}

typedef struct {
  FILE *f;
} MonitorCtx;
static BOOL CALLBACK monitor_cb(HMONITOR m, HDC dc, LPRECT r, LPARAM lp) {
  MONITORINFO mi = {sizeof mi};
  (void)dc;
  GetMonitorInfoW(m, &mi);
  typedef HRESULT(WINAPI * GetDpiForMonitorFn)(HMONITOR, int, UINT *, UINT *);
  HMODULE shcore = LoadLibraryW(L"shcore.dll");
  UINT dx = 96, dy = 96;
  if (shcore) {
    GetDpiForMonitorFn fn = (GetDpiForMonitorFn)(void *)GetProcAddress(shcore, "GetDpiForMonitor");
    if (fn) fn(m, 0, &dx, &dy);
  }
  fprintf(((MonitorCtx *)lp)->f, "%ld,%ld,%ld,%ld dpi=%u primary=%d\n", r->left, r->top, r->right - r->left,
          r->bottom - r->top, dx, (mi.dwFlags & MONITORINFOF_PRIMARY) ? 1 : 0);
  return TRUE;
}

static int monitors_mode(int argc, wchar_t **argv) {
  if (argc < 3) return 2;
  typedef BOOL(WINAPI * SetCtx)(HANDLE);
  SetCtx set = (SetCtx)(void *)GetProcAddress(GetModuleHandleW(L"user32.dll"), "SetProcessDpiAwarenessContext");
  if (!set || !set((HANDLE)(LONG_PTR)-4)) SetProcessDPIAware();
  MonitorCtx ctx = {_wfopen(argv[2], L"w")};
  if (!ctx.f) return 3;
  EnumDisplayMonitors(NULL, NULL, monitor_cb, (LPARAM)&ctx);
  fclose(ctx.f);
  return 0;
}

static int low_integrity_mode(int argc, wchar_t **argv) {
  if (argc < 4) return 2;
  HANDLE token, low;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_DUPLICATE | TOKEN_QUERY | TOKEN_ADJUST_DEFAULT | TOKEN_ASSIGN_PRIMARY, &token)) return 3;
  if (!DuplicateTokenEx(token, 0, NULL, SecurityImpersonation, TokenPrimary, &low)) return 4;
  SID_IDENTIFIER_AUTHORITY mandatory = SECURITY_MANDATORY_LABEL_AUTHORITY;
  PSID sid;
  if (!AllocateAndInitializeSid(&mandatory, 1, SECURITY_MANDATORY_LOW_RID, 0, 0, 0, 0, 0, 0, 0, &sid)) return 5;
  TOKEN_MANDATORY_LABEL label = {{sid, SE_GROUP_INTEGRITY}};
  if (!SetTokenInformation(low, TokenIntegrityLevel, &label, sizeof label + GetLengthSid(sid))) return 6;
  STARTUPINFOW si = {sizeof si};
  PROCESS_INFORMATION pi;
  wchar_t *cmd = _wcsdup(argv[3]);
  if (!CreateProcessAsUserW(low, NULL, cmd, NULL, NULL, FALSE, CREATE_NO_WINDOW, NULL, NULL, &si, &pi)) return 7;
  FILE *f = _wfopen(argv[2], L"w");
  if (f) {
    fprintf(f, "%lu\n", pi.dwProcessId);
    fclose(f);
  }
  return 0;
}

static int dpi_step_mode(int argc, wchar_t **argv) {
  if (argc < 3) return 2;
  return SystemParametersInfoW(0x009F /* SPI_SETLOGICALDPIOVERRIDE */, (UINT)_wtoi(argv[2]), NULL, SPIF_UPDATEINIFILE) ? 0 : 3;
}

static DWORD WINAPI pipe_reader(LPVOID h) {
  char c;
  DWORD n;
  ReadFile((HANDLE)h, &c, 1, &n, NULL); /* never satisfied: nobody writes */
  return 0;
}

static int hold_mode(int argc, wchar_t **argv) {
  if (argc < 5) return 2;
  HANDLE rd, wr;
  if (!CreatePipe(&rd, &wr, NULL, 0)) return 3;
  CreateThread(NULL, 0, pipe_reader, rd, 0, NULL);
  for (int i = 4; i < argc; i++) {
    HANDLE f = CreateFileW(argv[i], GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING, 0, NULL);
    if (f == INVALID_HANDLE_VALUE) return 4;
  }
  FILE *f = _wfopen(argv[2], L"w");
  if (!f) return 5;
  fprintf(f, "ready pid=%lu\n", GetCurrentProcessId());
  fclose(f);
  Sleep((DWORD)_wtoi(argv[3]));
  return 0;
}

static int keystate_mode(int argc, wchar_t **argv) {
  if (argc < 4) return 2;
  FILE *f = _wfopen(argv[2], L"w");
  if (!f) return 3;
  for (int i = 3; i < argc; i++) {
    int vk = (int)wcstoul(argv[i], NULL, 0);
    fprintf(f, "%d=%s\n", vk, (GetAsyncKeyState(vk) & 0x8000) ? "down" : "up");
  }
  fclose(f);
  return 0;
}

int wmain(int argc, wchar_t **argv) {
  QueryPerformanceFrequency(&qpf);
  if (argc < 2) return 2;
  if (!wcscmp(argv[1], L"--gettext")) return gettext_mode(argc, argv);
  if (!wcscmp(argv[1], L"--foreground")) return foreground_mode(argc, argv);
  if (!wcscmp(argv[1], L"--inject")) return inject_mode(argc, argv);
  if (!wcscmp(argv[1], L"--monitors")) return monitors_mode(argc, argv);
  if (!wcscmp(argv[1], L"--run-low-integrity")) return low_integrity_mode(argc, argv);
  if (!wcscmp(argv[1], L"--set-dpi-step")) return dpi_step_mode(argc, argv);
  if (!wcscmp(argv[1], L"--hold")) return hold_mode(argc, argv);
  if (!wcscmp(argv[1], L"--keystate")) return keystate_mode(argc, argv);
  return window_mode(argc, argv);
}
