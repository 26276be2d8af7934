import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NAMED_KEYS, PRINTABLE_KEYS } from '../../extension/shared/keys';
import { rawInputOf } from '../../extension/driver/win32/hookEvents';
import {
  encodeInjections,
  FASTBENCH_INPUT_TAG,
  fromAbsolute,
  INPUT_SIZE,
  keyRecord,
  KEYEVENTF,
  MOUSEEVENTF,
  toAbsolute,
  type KeyResolver,
} from '../../extension/driver/win32/inputEncoding';
import { keyNameOfVk, recordedScan, vkOfKeyName } from '../../extension/driver/win32/virtualKeys';

// The Win32 backend's pure parts (no koffi): they run anywhere, and inside Wine with the rest of the lane.

// A US keyboard as MapVirtualKeyW describes it, enough for these tests.
const US_SCAN: Record<number, number> = { 0x41: 0x1e, 0xa0: 0x2a, 0xa1: 0x36, 0xa2: 0x1d, 0xa3: 0x1d, 0x25: 0x4b, 0x0d: 0x1c };
const keys: KeyResolver = {
  scanOf: (vk) => US_SCAN[vk] ?? 0,
  vkOfScan: (scan) => ({ 0x1e: 0x41, 0x2a: 0xa0, 0x36: 0xa1, 0x1d: 0xa2, 0xe01d: 0xa3, 0xe04b: 0x25, 0x4b: 0x64 })[scan] ?? 0,
};

describe('SendInput absolute coordinates', () => {
  test('every pixel of common and odd desktop sizes round-trips exactly', () => {
    for (const size of [640, 1024, 1280, 1366, 1920, 2560, 3840, 5120, 7680, 1001, 3]) {
      for (let px = 0; px < size; px++) {
        assert.equal(fromAbsolute(toAbsolute(px, 0, size), 0, size), px, `pixel ${px} of ${size}`);
      }
    }
  });

  test('a virtual desktop with a negative origin (monitor left of / above the primary)', () => {
    const desk = { x: -1920, y: -300, width: 1920 + 2560, height: 1440 + 300 };
    for (const [x, y] of [
      [-1920, -300],
      [-1, -1],
      [0, 0],
      [2559, 1439],
      [-960, 500],
      [1280, 720],
    ] as const) {
      assert.equal(fromAbsolute(toAbsolute(x, desk.x, desk.width), desk.x, desk.width), x);
      assert.equal(fromAbsolute(toAbsolute(y, desk.y, desk.height), desk.y, desk.height), y);
    }
  });

  test('points off the desktop are clamped to its edge, never wrapped', () => {
    assert.equal(fromAbsolute(toAbsolute(-50, 0, 1280), 0, 1280), 0);
    assert.equal(fromAbsolute(toAbsolute(99999, 0, 1280), 0, 1280), 1279);
    assert.ok(toAbsolute(99999, 0, 1280) <= 65535);
  });
});

describe('INPUT records', () => {
  const desk = { x: 0, y: 0, width: 1280, height: 1024 };
  const mouse = (buf: Buffer, i: number) => ({
    type: buf.readUInt32LE(i * INPUT_SIZE),
    dx: buf.readInt32LE(i * INPUT_SIZE + 8),
    dy: buf.readInt32LE(i * INPUT_SIZE + 12),
    data: buf.readInt32LE(i * INPUT_SIZE + 16),
    flags: buf.readUInt32LE(i * INPUT_SIZE + 20),
    extra: buf.readBigUInt64LE(i * INPUT_SIZE + 32),
  });
  const key = (buf: Buffer, i: number) => ({
    type: buf.readUInt32LE(i * INPUT_SIZE),
    vk: buf.readUInt16LE(i * INPUT_SIZE + 8),
    scan: buf.readUInt16LE(i * INPUT_SIZE + 10),
    flags: buf.readUInt32LE(i * INPUT_SIZE + 12),
    extra: buf.readBigUInt64LE(i * INPUT_SIZE + 24),
  });
  const ABS = MOUSEEVENTF.MOVE | MOUSEEVENTF.ABSOLUTE | MOUSEEVENTF.VIRTUALDESK;

  test('40 bytes each, every one tagged with the FastBench magic', () => {
    const buf = encodeInjections(
      [
        { kind: 'move', x: 10, y: 20 },
        { kind: 'key_down', key: 'a' },
      ],
      desk,
      keys,
    );
    assert.equal(buf.length, 2 * 40);
    assert.equal(mouse(buf, 0).extra, FASTBENCH_INPUT_TAG);
    assert.equal(key(buf, 1).extra, FASTBENCH_INPUT_TAG);
  });

  test('a button with coordinates moves in the same record; NaN coordinates click where the pointer is', () => {
    const buf = encodeInjections(
      [
        { kind: 'down', button: 'left', x: 100, y: 200 },
        { kind: 'up', button: 'left', x: NaN, y: NaN },
        { kind: 'down', button: 'x2', x: NaN, y: NaN },
      ],
      desk,
      keys,
    );
    const [a, b, c] = [mouse(buf, 0), mouse(buf, 1), mouse(buf, 2)];
    assert.equal(a.flags, ABS | MOUSEEVENTF.LEFTDOWN);
    assert.equal(fromAbsolute(a.dx, 0, 1280), 100);
    assert.equal(fromAbsolute(a.dy, 0, 1024), 200);
    assert.equal(b.flags, MOUSEEVENTF.LEFTUP);
    assert.deepEqual([c.flags, c.data], [MOUSEEVENTF.XDOWN, 2]);
  });

  test('wheel notches: positive dy scrolls down (negative delta), positive dx scrolls right', () => {
    const buf = encodeInjections([{ kind: 'scroll', dx: 1, dy: 2, x: NaN, y: NaN }], desk, keys);
    assert.deepEqual([mouse(buf, 0).flags, mouse(buf, 0).data], [MOUSEEVENTF.WHEEL, -240]);
    assert.deepEqual([mouse(buf, 1).flags, mouse(buf, 1).data], [MOUSEEVENTF.HWHEEL, 120]);
    const at = encodeInjections([{ kind: 'scroll', dx: 0, dy: -1, x: 5, y: 5 }], desk, keys);
    assert.equal(at.length, 2 * 40, 'moves, then scrolls');
    assert.equal(mouse(at, 1).data, 120);
  });

  test('extended keys carry KEYEVENTF_EXTENDEDKEY; key up carries KEYUP', () => {
    const buf = encodeInjections(
      [
        { kind: 'key_down', key: 'Left' },
        { kind: 'key_up', key: 'Enter' },
        { kind: 'key_down', key: 'NumpadEnter' },
      ],
      desk,
      keys,
    );
    assert.equal(key(buf, 0).flags, KEYEVENTF.EXTENDEDKEY);
    assert.equal(key(buf, 0).vk, 0x25);
    assert.equal(key(buf, 1).flags, KEYEVENTF.KEYUP);
    assert.deepEqual([key(buf, 2).vk, key(buf, 2).flags], [0x0d, KEYEVENTF.EXTENDEDKEY]);
  });

  test('unknown key names are a bad request with a readable message', () => {
    assert.throws(() => encodeInjections([{ kind: 'key_down', key: 'Hyper' }], desk, keys), /unknown key "Hyper"/);
  });

  test('a recorded scan code is kept when it is the same key on this keyboard, else ignored', () => {
    // Right shift recorded on Windows (0x36) replays as right shift.
    assert.deepEqual(keyRecord(vkOfKeyName('Shift')!, 0x36, false, keys), { vk: 0xa1, scan: 0x36, flags: 0 });
    // Right control recorded with the E0 prefix keeps it.
    assert.deepEqual(keyRecord(vkOfKeyName('Control')!, 0xe01d, true, keys), { vk: 0xa3, scan: 0x1d, flags: KEYEVENTF.EXTENDEDKEY | KEYEVENTF.KEYUP });
    // An X11 keycode (38 = 'a' there) is not a Windows scan code for 'a': the keyboard's own code is used.
    assert.deepEqual(keyRecord(vkOfKeyName('a')!, 38, false, keys), { vk: 0x41, scan: 0x1e, flags: 0 });
  });
});

describe('virtual keys <-> canonical names', () => {
  test('every canonical key name maps to a virtual key and back', () => {
    for (const name of [...NAMED_KEYS, ...PRINTABLE_KEYS]) {
      const vk = vkOfKeyName(name);
      assert.ok(vk, `no virtual key for ${name}`);
      assert.equal(keyNameOfVk(vk.vk, vk.extended), name, `round trip of ${name} (vk 0x${vk.vk.toString(16)})`);
    }
  });

  test('left and right modifiers share a name; Enter and NumpadEnter differ by the extended flag', () => {
    assert.equal(keyNameOfVk(0xa1, false), 'Shift');
    assert.equal(keyNameOfVk(0xa3, true), 'Control');
    assert.equal(keyNameOfVk(0xa5, true), 'Alt');
    assert.equal(keyNameOfVk(0x5c, true), 'Meta');
    assert.equal(keyNameOfVk(0x0d, false), 'Enter');
    assert.equal(keyNameOfVk(0x0d, true), 'NumpadEnter');
  });

  test('a key without a canonical name still round-trips on Windows', () => {
    assert.equal(keyNameOfVk(0xad, false), 'vk_0xad');
    assert.deepEqual(vkOfKeyName('vk_0xad'), { vk: 0xad, extended: false });
  });

  test('recorded scan codes carry 0xE0 for extended keys', () => {
    assert.equal(recordedScan(0x4b, true), 0xe04b);
    assert.equal(recordedScan(0x1e, false), 0x1e);
  });
});

describe('hook events -> RawInput', () => {
  test('buttons, wheel signs, x buttons and keys', () => {
    assert.deepEqual(rawInputOf({ k: 'mouse', msg: 0x0201, t: 5, x: -10, y: 20, data: 0, flags: 0 }), {
      kind: 'down',
      t_mono_ms: 5,
      button: 'left',
      x: -10,
      y: 20,
    });
    // WM_MOUSEWHEEL with delta -120 (towards the user) = one notch down = dy +1.
    assert.deepEqual(rawInputOf({ k: 'mouse', msg: 0x020a, t: 1, x: 0, y: 0, data: (0x10000 - 120) << 16, flags: 0 }), {
      kind: 'scroll',
      t_mono_ms: 1,
      dx: 0,
      dy: 1,
      x: 0,
      y: 0,
    });
    assert.equal((rawInputOf({ k: 'mouse', msg: 0x020e, t: 1, x: 0, y: 0, data: 240 << 16, flags: 0 }) as { dx: number }).dx, 2);
    assert.equal((rawInputOf({ k: 'mouse', msg: 0x020c, t: 1, x: 0, y: 0, data: 2 << 16, flags: 0 }) as { button: string }).button, 'x2');
    assert.deepEqual(rawInputOf({ k: 'key', msg: 0x0104, t: 2, vk: 0xa4, scan: 0x38, flags: 0x20 }), { kind: 'key_down', t_mono_ms: 2, key: 'Alt', scan: 0x38 });
    assert.deepEqual(rawInputOf({ k: 'key', msg: 0x0101, t: 3, vk: 0x25, scan: 0x4b, flags: 0x81 }), { kind: 'key_up', t_mono_ms: 3, key: 'Left', scan: 0xe04b });
    assert.equal(rawInputOf({ k: 'mouse', msg: 0x0203, t: 1, x: 0, y: 0, data: 0, flags: 0 }), undefined);
  });
});
