import { NAMED_KEYS, PRINTABLE_KEYS, type NamedKey } from '../../shared/keys';

// Windows virtual-key codes <-> the canonical key names of shared/keys.ts. Pure (no koffi), so it is tested
// anywhere. Letters and digits are their VK codes (VK_A..VK_Z, VK_0..VK_9: the key labelled so on the active
// layout); punctuation is named by the US-layout character of its VK_OEM_* code (on other layouts the same
// VK_OEM_* key may print something else: replay sends the same virtual key, which is what the app sees).

/** A key as Windows injects it: virtual-key code plus whether it needs KEYEVENTF_EXTENDEDKEY. */
export type VirtualKey = { vk: number; extended: boolean };

const NAMED: Record<NamedKey, VirtualKey> = {
  Escape: { vk: 0x1b, extended: false },
  Enter: { vk: 0x0d, extended: false },
  Tab: { vk: 0x09, extended: false },
  Space: { vk: 0x20, extended: false },
  Backspace: { vk: 0x08, extended: false },
  Delete: { vk: 0x2e, extended: true },
  Insert: { vk: 0x2d, extended: true },
  Home: { vk: 0x24, extended: true },
  End: { vk: 0x23, extended: true },
  PageUp: { vk: 0x21, extended: true },
  PageDown: { vk: 0x22, extended: true },
  Left: { vk: 0x25, extended: true },
  Right: { vk: 0x27, extended: true },
  Up: { vk: 0x26, extended: true },
  Down: { vk: 0x28, extended: true },
  // Left-hand modifiers when injected; the hook reports both sides under one name.
  Shift: { vk: 0xa0, extended: false },
  Control: { vk: 0xa2, extended: false },
  Alt: { vk: 0xa4, extended: false },
  Meta: { vk: 0x5b, extended: true },
  CapsLock: { vk: 0x14, extended: false },
  NumLock: { vk: 0x90, extended: true },
  ScrollLock: { vk: 0x91, extended: false },
  PrintScreen: { vk: 0x2c, extended: true },
  Pause: { vk: 0x13, extended: false },
  ContextMenu: { vk: 0x5d, extended: true },
  F1: { vk: 0x70, extended: false },
  F2: { vk: 0x71, extended: false },
  F3: { vk: 0x72, extended: false },
  F4: { vk: 0x73, extended: false },
  F5: { vk: 0x74, extended: false },
  F6: { vk: 0x75, extended: false },
  F7: { vk: 0x76, extended: false },
  F8: { vk: 0x77, extended: false },
  F9: { vk: 0x78, extended: false },
  F10: { vk: 0x79, extended: false },
  F11: { vk: 0x7a, extended: false },
  F12: { vk: 0x7b, extended: false },
  F13: { vk: 0x7c, extended: false },
  F14: { vk: 0x7d, extended: false },
  F15: { vk: 0x7e, extended: false },
  F16: { vk: 0x7f, extended: false },
  F17: { vk: 0x80, extended: false },
  F18: { vk: 0x81, extended: false },
  F19: { vk: 0x82, extended: false },
  F20: { vk: 0x83, extended: false },
  F21: { vk: 0x84, extended: false },
  F22: { vk: 0x85, extended: false },
  F23: { vk: 0x86, extended: false },
  F24: { vk: 0x87, extended: false },
  Numpad0: { vk: 0x60, extended: false },
  Numpad1: { vk: 0x61, extended: false },
  Numpad2: { vk: 0x62, extended: false },
  Numpad3: { vk: 0x63, extended: false },
  Numpad4: { vk: 0x64, extended: false },
  Numpad5: { vk: 0x65, extended: false },
  Numpad6: { vk: 0x66, extended: false },
  Numpad7: { vk: 0x67, extended: false },
  Numpad8: { vk: 0x68, extended: false },
  Numpad9: { vk: 0x69, extended: false },
  NumpadAdd: { vk: 0x6b, extended: false },
  NumpadSubtract: { vk: 0x6d, extended: false },
  NumpadMultiply: { vk: 0x6a, extended: false },
  NumpadDivide: { vk: 0x6f, extended: true },
  NumpadDecimal: { vk: 0x6e, extended: false },
  NumpadEnter: { vk: 0x0d, extended: true },
};

/** US-layout punctuation keys (VK_OEM_*), by unshifted character. */
const OEM: Record<string, number> = {
  '`': 0xc0,
  '-': 0xbd,
  '=': 0xbb,
  '[': 0xdb,
  ']': 0xdd,
  '\\': 0xdc,
  ';': 0xba,
  "'": 0xde,
  ',': 0xbc,
  '.': 0xbe,
  '/': 0xbf,
};

/** Aliases the hook may see that name the same canonical key. */
const VK_ALIASES: Record<number, NamedKey> = {
  0x10: 'Shift',
  0xa1: 'Shift',
  0x11: 'Control',
  0xa3: 'Control',
  0x12: 'Alt',
  0xa5: 'Alt',
  0x5c: 'Meta',
  0x03: 'Pause', // VK_CANCEL: Ctrl+Pause (Break)
  0x6c: 'NumpadEnter', // VK_SEPARATOR
};

const byVk = new Map<number, string>();
for (const name of NAMED_KEYS) if (name !== 'NumpadEnter') byVk.set(NAMED[name].vk, name);
for (const [vk, name] of Object.entries(VK_ALIASES)) byVk.set(Number(vk), name);
for (const [ch, vk] of Object.entries(OEM)) byVk.set(vk, ch);
for (const ch of PRINTABLE_KEYS) if (/[a-z0-9]/.test(ch)) byVk.set(ch.toUpperCase().charCodeAt(0), ch);

/** Name used for a key that has no canonical name, so it still round-trips through a recording on Windows. */
const UNNAMED = /^vk_0x([0-9a-f]{2})$/;

/** Canonical key name of a virtual key as the low-level keyboard hook reports it. */
export function keyNameOfVk(vk: number, extended: boolean): string {
  if (vk === 0x0d && extended) return 'NumpadEnter';
  return byVk.get(vk) ?? `vk_0x${vk.toString(16).padStart(2, '0')}`;
}

/** Virtual key to inject for a canonical key name, or undefined for a name this backend does not know. */
export function vkOfKeyName(name: string): VirtualKey | undefined {
  if (Object.hasOwn(NAMED, name)) return NAMED[name as NamedKey];
  if (name.length === 1) {
    if (/[a-z0-9]/.test(name)) return { vk: name.toUpperCase().charCodeAt(0), extended: false };
    const oem = OEM[name];
    if (oem !== undefined) return { vk: oem, extended: false };
    return undefined;
  }
  const unnamed = UNNAMED.exec(name);
  return unnamed ? { vk: parseInt(unnamed[1]!, 16), extended: false } : undefined;
}

/** The scan code a recording stores: the hardware scan code, with 0xE000 added for an extended key. */
export function recordedScan(scanCode: number, extended: boolean): number {
  return (scanCode & 0xff) | (extended ? 0xe000 : 0);
}
