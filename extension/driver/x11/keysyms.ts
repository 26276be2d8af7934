// X keysym names (XKeysymToString) ↔ FastBench key names (extension/shared/keys.ts).

const NAMED: Record<string, string> = {
  Escape: 'Escape',
  Return: 'Enter',
  Tab: 'Tab',
  ISO_Left_Tab: 'Tab',
  space: 'Space',
  BackSpace: 'Backspace',
  Delete: 'Delete',
  Insert: 'Insert',
  Home: 'Home',
  End: 'End',
  Prior: 'PageUp',
  Next: 'PageDown',
  Left: 'Left',
  Right: 'Right',
  Up: 'Up',
  Down: 'Down',
  Shift_L: 'Shift',
  Shift_R: 'Shift',
  Control_L: 'Control',
  Control_R: 'Control',
  Alt_L: 'Alt',
  Alt_R: 'Alt',
  Meta_L: 'Meta',
  Meta_R: 'Meta',
  Super_L: 'Meta',
  Super_R: 'Meta',
  Caps_Lock: 'CapsLock',
  Num_Lock: 'NumLock',
  Scroll_Lock: 'ScrollLock',
  Print: 'PrintScreen',
  Pause: 'Pause',
  Menu: 'ContextMenu',
  KP_Add: 'NumpadAdd',
  KP_Subtract: 'NumpadSubtract',
  KP_Multiply: 'NumpadMultiply',
  KP_Divide: 'NumpadDivide',
  KP_Decimal: 'NumpadDecimal',
  KP_Enter: 'NumpadEnter',
  grave: '`',
  minus: '-',
  equal: '=',
  bracketleft: '[',
  bracketright: ']',
  backslash: '\\',
  semicolon: ';',
  apostrophe: "'",
  comma: ',',
  period: '.',
  slash: '/',
};
for (let i = 1; i <= 24; i++) NAMED[`F${i}`] = `F${i}`;
for (let i = 0; i <= 9; i++) NAMED[`KP_${i}`] = `Numpad${i}`;

/** Preferred X keysym name for each FastBench key (the left-hand modifier, the main Tab). */
const TO_X: Record<string, string> = {};
for (const [x, name] of Object.entries(NAMED)) if (!(name in TO_X)) TO_X[name] = x;

export function keyNameFromKeysym(xName: string | null): string {
  if (!xName) return 'Unidentified';
  if (NAMED[xName]) return NAMED[xName]!;
  if (/^[a-z0-9]$/.test(xName)) return xName;
  if (/^[A-Z]$/.test(xName)) return xName.toLowerCase();
  return xName;
}

export function keysymNameForKey(key: string): string {
  if (TO_X[key]) return TO_X[key]!;
  return key;
}
