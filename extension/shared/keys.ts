// Key names are the same on every backend so a recording made on Windows replays under X11 and back.
// Printable keys use their unshifted character ("a", "1", "/"); the rest use these names.

export const NAMED_KEYS = [
  'Escape',
  'Enter',
  'Tab',
  'Space',
  'Backspace',
  'Delete',
  'Insert',
  'Home',
  'End',
  'PageUp',
  'PageDown',
  'Left',
  'Right',
  'Up',
  'Down',
  'Shift',
  'Control',
  'Alt',
  'Meta',
  'CapsLock',
  'NumLock',
  'ScrollLock',
  'PrintScreen',
  'Pause',
  'ContextMenu',
  'F1',
  'F2',
  'F3',
  'F4',
  'F5',
  'F6',
  'F7',
  'F8',
  'F9',
  'F10',
  'F11',
  'F12',
  'F13',
  'F14',
  'F15',
  'F16',
  'F17',
  'F18',
  'F19',
  'F20',
  'F21',
  'F22',
  'F23',
  'F24',
  'Numpad0',
  'Numpad1',
  'Numpad2',
  'Numpad3',
  'Numpad4',
  'Numpad5',
  'Numpad6',
  'Numpad7',
  'Numpad8',
  'Numpad9',
  'NumpadAdd',
  'NumpadSubtract',
  'NumpadMultiply',
  'NumpadDivide',
  'NumpadDecimal',
  'NumpadEnter',
] as const;

export type NamedKey = (typeof NAMED_KEYS)[number];

/** Printable keys injected as themselves. */
export const PRINTABLE_KEYS = "abcdefghijklmnopqrstuvwxyz0123456789`-=[]\\;',./";

export function isKnownKey(name: string): boolean {
  return (NAMED_KEYS as readonly string[]).includes(name) || (name.length === 1 && PRINTABLE_KEYS.includes(name));
}

export const MODIFIER_KEYS = ['Shift', 'Control', 'Alt', 'Meta'] as const;

/** "Enter", "n", "Alt+n", "Control+Shift+e": a known key, with modifiers first joined by "+". */
export function isKnownChord(chord: string): boolean {
  const parts = chord.split('+');
  const key = parts.pop()!;
  return isKnownKey(key) && parts.every((m) => (MODIFIER_KEYS as readonly string[]).includes(m));
}
