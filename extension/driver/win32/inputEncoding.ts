import { DriverError, type Injection } from '../backend';
import { vkOfKeyName, type VirtualKey } from './virtualKeys';

// Builds the INPUT array for SendInput from driver injections. Pure (no koffi), so the layout and the
// coordinate maths are tested anywhere; the backend only hands the buffer to user32.

/**
 * dwExtraInfo of every event this driver injects ("FBnc" + 0x1). The hooks of every FastBench driver ignore
 * events carrying it, so a recorder never records a replayer's input, in this process or another.
 */
export const FASTBENCH_INPUT_TAG = 0x46426e63_01n;

/** sizeof(INPUT) on x64: type (4) + padding (4) + the union (32, 8-aligned because of ULONG_PTR). */
export const INPUT_SIZE = 40;

export const INPUT_MOUSE = 0;
export const INPUT_KEYBOARD = 1;

export const MOUSEEVENTF = {
  MOVE: 0x0001,
  LEFTDOWN: 0x0002,
  LEFTUP: 0x0004,
  RIGHTDOWN: 0x0008,
  RIGHTUP: 0x0010,
  MIDDLEDOWN: 0x0020,
  MIDDLEUP: 0x0040,
  XDOWN: 0x0080,
  XUP: 0x0100,
  WHEEL: 0x0800,
  HWHEEL: 0x1000,
  VIRTUALDESK: 0x4000,
  ABSOLUTE: 0x8000,
} as const;

export const KEYEVENTF = { EXTENDEDKEY: 0x0001, KEYUP: 0x0002, SCANCODE: 0x0008 } as const;

export const WHEEL_DELTA = 120;

/** The virtual desktop (bounding box of all monitors) in physical pixels; x/y may be negative. */
export type VirtualDesktop = { x: number; y: number; width: number; height: number };

/**
 * Maps a screen pixel to SendInput's normalised absolute coordinate (0..65535 over the virtual desktop).
 * Windows maps back with floor(n * size / 65536); floor(65536 * offset / size) + 1 lands on the same pixel for
 * every size below 65536, where the naive offset * 65535 / size can land one pixel short.
 */
export function toAbsolute(coord: number, origin: number, size: number): number {
  if (size <= 0) return 0;
  const offset = Math.min(Math.max(Math.round(coord) - origin, 0), size - 1);
  return Math.min(65535, Math.floor((offset * 65536) / size) + 1);
}

/** The pixel Windows derives from a normalised coordinate (for tests of toAbsolute). */
export function fromAbsolute(n: number, origin: number, size: number): number {
  return origin + Math.floor((n * size) / 65536);
}

const BUTTON_FLAGS = {
  left: [MOUSEEVENTF.LEFTDOWN, MOUSEEVENTF.LEFTUP, 0],
  right: [MOUSEEVENTF.RIGHTDOWN, MOUSEEVENTF.RIGHTUP, 0],
  middle: [MOUSEEVENTF.MIDDLEDOWN, MOUSEEVENTF.MIDDLEUP, 0],
  x1: [MOUSEEVENTF.XDOWN, MOUSEEVENTF.XUP, 1],
  x2: [MOUSEEVENTF.XDOWN, MOUSEEVENTF.XUP, 2],
} as const;

export type KeyResolver = {
  /** Hardware scan code (no 0xE0 prefix) for a virtual key, as MapVirtualKeyW(vk, MAPVK_VK_TO_VSC) gives it. */
  scanOf(vk: number): number;
  /** Virtual key a scan code stands for on this keyboard (MAPVK_VSC_TO_VK_EX), or 0. */
  vkOfScan(scan: number): number;
};

type Mouse = { dx: number; dy: number; data: number; flags: number };
type Key = { vk: number; scan: number; flags: number };

/**
 * One INPUT record per Windows event: a button or wheel event with coordinates first moves the pointer (in the
 * same record for buttons), NaN coordinates leave the pointer where it is.
 */
export function encodeInjections(events: readonly Injection[], desk: VirtualDesktop, keys: KeyResolver): Buffer {
  const records: (Mouse | Key)[] = [];
  const absolute = MOUSEEVENTF.MOVE | MOUSEEVENTF.ABSOLUTE | MOUSEEVENTF.VIRTUALDESK;
  const at = (x: number, y: number): Mouse | undefined =>
    Number.isFinite(x) && Number.isFinite(y) ? { dx: toAbsolute(x, desk.x, desk.width), dy: toAbsolute(y, desk.y, desk.height), data: 0, flags: absolute } : undefined;
  for (const e of events) {
    switch (e.kind) {
      case 'move': {
        const move = at(e.x, e.y);
        if (!move) throw new DriverError('bad_request', `move needs finite coordinates, got ${e.x},${e.y}`);
        records.push(move);
        break;
      }
      case 'down':
      case 'up': {
        const [down, up, xbutton] = BUTTON_FLAGS[e.button];
        const flag = e.kind === 'down' ? down : up;
        const move = at(e.x, e.y);
        records.push(move ? { ...move, data: xbutton, flags: move.flags | flag } : { dx: 0, dy: 0, data: xbutton, flags: flag });
        break;
      }
      case 'scroll': {
        const move = at(e.x, e.y);
        if (move) records.push(move);
        // Positive dy scrolls down, which Windows calls a negative (towards the user) wheel delta.
        if (e.dy) records.push({ dx: 0, dy: 0, data: Math.round(-e.dy * WHEEL_DELTA), flags: MOUSEEVENTF.WHEEL });
        if (e.dx) records.push({ dx: 0, dy: 0, data: Math.round(e.dx * WHEEL_DELTA), flags: MOUSEEVENTF.HWHEEL });
        break;
      }
      case 'key_down':
      case 'key_up': {
        const key = vkOfKeyName(e.key);
        if (!key) throw new DriverError('bad_request', `unknown key "${e.key}" (see shared/keys.ts for the names)`);
        records.push(keyRecord(key, e.scan, e.kind === 'key_up', keys));
        break;
      }
    }
  }
  const buf = Buffer.alloc(records.length * INPUT_SIZE);
  records.forEach((r, i) => {
    const o = i * INPUT_SIZE;
    if ('vk' in r) {
      buf.writeUInt32LE(INPUT_KEYBOARD, o);
      buf.writeUInt16LE(r.vk, o + 8);
      buf.writeUInt16LE(r.scan, o + 10);
      buf.writeUInt32LE(r.flags, o + 12);
      buf.writeUInt32LE(0, o + 16); // time: let the system stamp it
      buf.writeBigUInt64LE(FASTBENCH_INPUT_TAG, o + 24);
    } else {
      buf.writeUInt32LE(INPUT_MOUSE, o);
      buf.writeInt32LE(r.dx, o + 8);
      buf.writeInt32LE(r.dy, o + 12);
      buf.writeInt32LE(r.data, o + 16); // mouseData is a DWORD holding a signed wheel delta
      buf.writeUInt32LE(r.flags, o + 20);
      buf.writeUInt32LE(0, o + 24);
      buf.writeBigUInt64LE(FASTBENCH_INPUT_TAG, o + 32);
    }
  });
  return buf;
}

/**
 * A key record: the virtual key from the canonical name (layout-proof), and the recorded scan code when it
 * stands for that same key on this keyboard (so left/right variants and OEM keys replay exactly), else the
 * keyboard's own scan code for the virtual key. A scan code recorded on X11 (a keycode) is ignored this way.
 */
export function keyRecord(key: VirtualKey, recordedScan: number | undefined, up: boolean, keys: KeyResolver): Key {
  let vk = key.vk;
  let scan = keys.scanOf(vk) & 0xff;
  let extended = key.extended;
  if (recordedScan !== undefined && recordedScan > 0) {
    const s = recordedScan & 0xff;
    const ext = (recordedScan & 0xff00) === 0xe000;
    const scanVk = keys.vkOfScan(ext ? 0xe000 | s : s);
    if (scanVk === key.vk || (scanVk !== 0 && genericModifier(scanVk) === genericModifier(key.vk))) {
      vk = scanVk;
      scan = s;
      extended = ext || key.extended;
    }
  }
  return { vk, scan, flags: (extended ? KEYEVENTF.EXTENDEDKEY : 0) | (up ? KEYEVENTF.KEYUP : 0) };
}

/** VK_L/RSHIFT -> VK_SHIFT etc., so a recorded right-hand modifier keeps its scan code. */
function genericModifier(vk: number): number {
  if (vk === 0xa0 || vk === 0xa1) return 0x10;
  if (vk === 0xa2 || vk === 0xa3) return 0x11;
  if (vk === 0xa4 || vk === 0xa5) return 0x12;
  if (vk === 0x5c) return 0x5b;
  return vk;
}
