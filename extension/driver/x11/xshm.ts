import { koffi } from './xlib';

// MIT-SHM (libXext) and DAMAGE (libXdamage) through koffi, for render detection's fast region reads. Both are
// optional: without them the reader falls back to plain XGetImage on every sample. Measured on Xvfb (this
// machine, 2 cores): a 900x660 region costs 3.7 ms with XGetImage and 0.22 ms with XShmGetImage; 32x32 costs
// ~0.03 ms either way (one round trip).

const optional = <T>(make: () => T): T | undefined => {
  try {
    return make();
  } catch {
    return undefined;
  }
};

/** XShmSegmentInfo on LP64: shmseg (unsigned long) @0, shmid (int) @8, shmaddr (char *) @16, readOnly (int) @24. */
export const SHM_INFO_SIZE = 32;
/** Offsets in XImage (LP64): data @16, bytes_per_line @44. */
export const XIMAGE_DATA_OFFSET = 16;
export const XIMAGE_BPL_OFFSET = 44;

export const Shm = optional(() => {
  const xext = koffi.load('libXext.so.6');
  const libc = koffi.load('libc.so.6');
  return {
    XShmQueryExtension: xext.func('int XShmQueryExtension(void *dpy)'),
    XShmCreateImage: xext.func('void *XShmCreateImage(void *dpy, void *visual, unsigned int depth, int format, void *data, void *shminfo, unsigned int w, unsigned int h)'),
    XShmAttach: xext.func('int XShmAttach(void *dpy, void *shminfo)'),
    XShmDetach: xext.func('int XShmDetach(void *dpy, void *shminfo)'),
    XShmGetImage: xext.func('int XShmGetImage(void *dpy, unsigned long d, void *image, int x, int y, unsigned long planes)'),
    shmget: libc.func('int shmget(int key, size_t size, int flags)'),
    shmat: libc.func('void *shmat(int id, void *addr, int flags)'),
    shmdt: libc.func('int shmdt(void *addr)'),
    shmctl: libc.func('int shmctl(int id, int cmd, void *buf)'),
  };
});

export const Damage = optional(() => {
  const xd = koffi.load('libXdamage.so.1');
  return {
    XDamageQueryExtension: xd.func('int XDamageQueryExtension(void *dpy, _Out_ int *eventBase, _Out_ int *errorBase)'),
    XDamageCreate: xd.func('unsigned long XDamageCreate(void *dpy, unsigned long drawable, int level)'),
    XDamageDestroy: xd.func('void XDamageDestroy(void *dpy, unsigned long damage)'),
    XDamageSubtract: xd.func('void XDamageSubtract(void *dpy, unsigned long damage, unsigned long repair, unsigned long parts)'),
  };
});

/** poll(2) on the X connection, run off the main thread (koffi .async) so the event loop keeps serving requests. */
export const Poll = optional(() => {
  const libc = koffi.load('libc.so.6');
  const x11 = koffi.load('libX11.so.6');
  return {
    poll: libc.func('int poll(void *fds, unsigned long nfds, int timeout)'),
    XConnectionNumber: x11.func('int XConnectionNumber(void *dpy)'),
  };
});
export const POLLIN = 1;

export const SHM = { IPC_PRIVATE: 0, IPC_CREAT: 0o1000, IPC_RMID: 0 } as const;
/** XDamageReportRawRectangles: one event per drawing operation, with the rectangle it touched. */
export const XDamageReportRawRectangles = 0;
/** Offset of `area` (XRectangle: short x, y; unsigned short width, height) in XDamageNotifyEvent on LP64. */
export const DAMAGE_AREA_OFFSET = 64;
