import type { MouseButton, RawInput } from '../backend';
import type { HookEvent } from './hookThread';
import { WHEEL_DELTA } from './inputEncoding';
import { keyNameOfVk, recordedScan } from './virtualKeys';

// Turns what the hook thread posts (raw hook structs) into the backend's RawInput. Pure, tested anywhere.

const WM = {
  MOUSEMOVE: 0x0200,
  LBUTTONDOWN: 0x0201,
  LBUTTONUP: 0x0202,
  RBUTTONDOWN: 0x0204,
  RBUTTONUP: 0x0205,
  MBUTTONDOWN: 0x0207,
  MBUTTONUP: 0x0208,
  MOUSEWHEEL: 0x020a,
  XBUTTONDOWN: 0x020b,
  XBUTTONUP: 0x020c,
  MOUSEHWHEEL: 0x020e,
  KEYDOWN: 0x0100,
  KEYUP: 0x0101,
  SYSKEYDOWN: 0x0104,
  SYSKEYUP: 0x0105,
} as const;
const LLKHF_EXTENDED = 0x01;

/** Converts one hook event into the backend's RawInput; undefined for messages we do not report. */
export function rawInputOf(e: HookEvent): RawInput | undefined {
  if (e.k === 'key') {
    const kind = e.msg === WM.KEYDOWN || e.msg === WM.SYSKEYDOWN ? 'key_down' : e.msg === WM.KEYUP || e.msg === WM.SYSKEYUP ? 'key_up' : undefined;
    if (!kind) return undefined;
    const extended = (e.flags & LLKHF_EXTENDED) !== 0;
    return { kind, t_mono_ms: e.t, key: keyNameOfVk(e.vk, extended), scan: recordedScan(e.scan, extended) };
  }
  const { t, x, y } = e;
  const high = (e.data >>> 16) & 0xffff;
  const xbutton: MouseButton = high === 2 ? 'x2' : 'x1';
  const signed = high >= 0x8000 ? high - 0x10000 : high;
  switch (e.msg) {
    case WM.MOUSEMOVE:
      return { kind: 'move', t_mono_ms: t, x, y };
    case WM.LBUTTONDOWN:
      return { kind: 'down', t_mono_ms: t, button: 'left', x, y };
    case WM.LBUTTONUP:
      return { kind: 'up', t_mono_ms: t, button: 'left', x, y };
    case WM.RBUTTONDOWN:
      return { kind: 'down', t_mono_ms: t, button: 'right', x, y };
    case WM.RBUTTONUP:
      return { kind: 'up', t_mono_ms: t, button: 'right', x, y };
    case WM.MBUTTONDOWN:
      return { kind: 'down', t_mono_ms: t, button: 'middle', x, y };
    case WM.MBUTTONUP:
      return { kind: 'up', t_mono_ms: t, button: 'middle', x, y };
    case WM.XBUTTONDOWN:
      return { kind: 'down', t_mono_ms: t, button: xbutton, x, y };
    case WM.XBUTTONUP:
      return { kind: 'up', t_mono_ms: t, button: xbutton, x, y };
    case WM.MOUSEWHEEL:
      // Windows: positive delta = away from the user = up; ours: positive dy = down.
      return { kind: 'scroll', t_mono_ms: t, dx: 0, dy: -signed / WHEEL_DELTA, x, y };
    case WM.MOUSEHWHEEL:
      return { kind: 'scroll', t_mono_ms: t, dx: signed / WHEEL_DELTA, dy: 0, x, y };
    default:
      return undefined;
  }
}
