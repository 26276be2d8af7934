import koffi from 'koffi';

// Xlib, XTest and XRecord through koffi. libX11.so.6 and libXtst.so.6 are part of any X desktop (no -dev
// packages needed). Display pointers are opaque BigInts; XIDs (windows, atoms) are unsigned long.

export type Ptr = bigint | null;

const x11 = koffi.load('libX11.so.6');
const xtst = koffi.load('libXtst.so.6');

export const XWindowAttributes = koffi.struct('XWindowAttributes', {
  x: 'int',
  y: 'int',
  width: 'int',
  height: 'int',
  border_width: 'int',
  depth: 'int',
  visual: 'void *',
  root: 'unsigned long',
  class: 'int',
  bit_gravity: 'int',
  win_gravity: 'int',
  backing_store: 'int',
  backing_planes: 'unsigned long',
  backing_pixel: 'unsigned long',
  save_under: 'int',
  colormap: 'unsigned long',
  map_installed: 'int',
  map_state: 'int',
  all_event_masks: 'long',
  your_event_mask: 'long',
  do_not_propagate_mask: 'long',
  override_redirect: 'int',
  screen: 'void *',
});

export const XClassHint = koffi.struct('XClassHint', { res_name: 'void *', res_class: 'void *' });

// XRecordInterceptData: the callback's view of one recorded protocol element.
export const XRecordInterceptData = koffi.struct('XRecordInterceptData', {
  id_base: 'unsigned long',
  server_time: 'unsigned long',
  client_seq: 'unsigned long',
  category: 'int',
  client_swapped: 'int',
  data: 'void *',
  data_len: 'unsigned long',
});

export const XImageHead = koffi.struct('XImageHead', {
  width: 'int',
  height: 'int',
  xoffset: 'int',
  format: 'int',
  data: 'void *',
  byte_order: 'int',
  bitmap_unit: 'int',
  bitmap_bit_order: 'int',
  bitmap_pad: 'int',
  depth: 'int',
  bytes_per_line: 'int',
  bits_per_pixel: 'int',
  red_mask: 'unsigned long',
  green_mask: 'unsigned long',
  blue_mask: 'unsigned long',
});

export const XErrorHandler = koffi.proto('int XErrorHandler(void *display, void *event)');
export const XRecordInterceptProc = koffi.proto('void XRecordInterceptProc(void *closure, XRecordInterceptData *data)');

export const X = {
  XOpenDisplay: x11.func('void *XOpenDisplay(const char *name)'),
  XCloseDisplay: x11.func('int XCloseDisplay(void *dpy)'),
  XDefaultRootWindow: x11.func('unsigned long XDefaultRootWindow(void *dpy)'),
  XDefaultScreen: x11.func('int XDefaultScreen(void *dpy)'),
  XDisplayWidth: x11.func('int XDisplayWidth(void *dpy, int screen)'),
  XDisplayHeight: x11.func('int XDisplayHeight(void *dpy, int screen)'),
  XQueryTree: x11.func('int XQueryTree(void *dpy, unsigned long w, _Out_ unsigned long *root, _Out_ unsigned long *parent, _Out_ void **children, _Out_ unsigned int *n)'),
  XGetWindowAttributes: x11.func('int XGetWindowAttributes(void *dpy, unsigned long w, _Out_ XWindowAttributes *attrs)'),
  XTranslateCoordinates: x11.func(
    'int XTranslateCoordinates(void *dpy, unsigned long src, unsigned long dst, int x, int y, _Out_ int *dx, _Out_ int *dy, _Out_ unsigned long *child)',
  ),
  XInternAtom: x11.func('unsigned long XInternAtom(void *dpy, const char *name, int onlyIfExists)'),
  XGetWindowProperty: x11.func(
    'int XGetWindowProperty(void *dpy, unsigned long w, unsigned long prop, long offset, long length, int del, unsigned long reqType, _Out_ unsigned long *actualType, _Out_ int *actualFormat, _Out_ unsigned long *nitems, _Out_ unsigned long *bytesAfter, _Out_ void **data)',
  ),
  XFetchName: x11.func('int XFetchName(void *dpy, unsigned long w, _Out_ void **name)'),
  XGetClassHint: x11.func('int XGetClassHint(void *dpy, unsigned long w, _Out_ XClassHint *hint)'),
  XRaiseWindow: x11.func('int XRaiseWindow(void *dpy, unsigned long w)'),
  XSetInputFocus: x11.func('int XSetInputFocus(void *dpy, unsigned long w, int revertTo, unsigned long time)'),
  XGetInputFocus: x11.func('int XGetInputFocus(void *dpy, _Out_ unsigned long *w, _Out_ int *revertTo)'),
  XMoveResizeWindow: x11.func('int XMoveResizeWindow(void *dpy, unsigned long w, int x, int y, unsigned int width, unsigned int height)'),
  XSendEvent: x11.func('int XSendEvent(void *dpy, unsigned long w, int propagate, long mask, void *event)'),
  XSync: x11.func('int XSync(void *dpy, int discard)'),
  XFlush: x11.func('int XFlush(void *dpy)'),
  XPending: x11.func('int XPending(void *dpy)'),
  XNextEvent: x11.func('int XNextEvent(void *dpy, void *event)'),
  XFree: x11.func('int XFree(void *data)'),
  XGetImage: x11.func('void *XGetImage(void *dpy, unsigned long d, int x, int y, unsigned int width, unsigned int height, unsigned long planes, int format)'),
  XSetErrorHandler: x11.func('void *XSetErrorHandler(XErrorHandler *handler)'),
  XStringToKeysym: x11.func('unsigned long XStringToKeysym(const char *name)'),
  XKeysymToString: x11.func('const char *XKeysymToString(unsigned long keysym)'),
  XKeysymToKeycode: x11.func('uint8_t XKeysymToKeycode(void *dpy, unsigned long keysym)'),
  XkbKeycodeToKeysym: x11.func('unsigned long XkbKeycodeToKeysym(void *dpy, uint8_t keycode, int group, int level)'),
  XResourceManagerString: x11.func('const char *XResourceManagerString(void *dpy)'),

  XTestQueryExtension: xtst.func('int XTestQueryExtension(void *dpy, _Out_ int *ev, _Out_ int *err, _Out_ int *major, _Out_ int *minor)'),
  XTestFakeMotionEvent: xtst.func('int XTestFakeMotionEvent(void *dpy, int screen, int x, int y, unsigned long delay)'),
  XTestFakeButtonEvent: xtst.func('int XTestFakeButtonEvent(void *dpy, unsigned int button, int press, unsigned long delay)'),
  XTestFakeKeyEvent: xtst.func('int XTestFakeKeyEvent(void *dpy, unsigned int keycode, int press, unsigned long delay)'),

  XRecordQueryVersion: xtst.func('int XRecordQueryVersion(void *dpy, _Out_ int *major, _Out_ int *minor)'),
  XRecordAllocRange: xtst.func('void *XRecordAllocRange()'),
  XRecordCreateContext: xtst.func('unsigned long XRecordCreateContext(void *dpy, int flags, unsigned long *clients, int nclients, void **ranges, int nranges)'),
  XRecordEnableContextAsync: xtst.func('int XRecordEnableContextAsync(void *dpy, unsigned long ctx, XRecordInterceptProc *cb, void *closure)'),
  XRecordProcessReplies: xtst.func('void XRecordProcessReplies(void *dpy)'),
  XRecordDisableContext: xtst.func('int XRecordDisableContext(void *dpy, unsigned long ctx)'),
  XRecordFreeContext: xtst.func('int XRecordFreeContext(void *dpy, unsigned long ctx)'),
  XRecordFreeData: xtst.func('void XRecordFreeData(XRecordInterceptData *data)'),
};

// X-Resource tells which process owns a window even when the program never set _NET_WM_PID (xev, many
// toolkits' helper windows). Optional: without libXRes the backend falls back to WM_CLASS.
export const XResClientIdSpec = koffi.struct('XResClientIdSpec', { client: 'unsigned long', mask: 'unsigned int' });
export const XRes = (() => {
  try {
    const xres = koffi.load('libXRes.so.1');
    return {
      XResQueryClientIds: xres.func('int XResQueryClientIds(void *dpy, long nspecs, XResClientIdSpec *specs, _Out_ long *nids, _Out_ void **ids)'),
      XResClientIdsDestroy: xres.func('void XResClientIdsDestroy(long nids, void *ids)'),
    };
  } catch {
    return undefined;
  }
})();

export { koffi };

export const XC = {
  KeyPress: 2,
  KeyRelease: 3,
  ButtonPress: 4,
  ButtonRelease: 5,
  MotionNotify: 6,
  IsViewable: 2,
  ZPixmap: 2,
  AnyPropertyType: 0,
  RevertToParent: 2,
  CurrentTime: 0,
  ClientMessage: 33,
  SubstructureRedirectMask: 1 << 20,
  SubstructureNotifyMask: 1 << 19,
  XRecordAllClients: 3,
  XRecordFromServer: 0,
  XRES_CLIENT_ID_PID_MASK: 2,
  /** sizeof(XResClientIdValue) and the offsets of its mask and value fields on LP64. */
  XRES_VALUE_SIZE: 32,
  XRES_VALUE_MASK_OFFSET: 8,
  XRES_VALUE_PTR_OFFSET: 24,
  /** Offset of device_events.first in XRecordRange (x86_64 and every common ABI). */
  RANGE_DEVICE_EVENTS_OFFSET: 18,
} as const;
