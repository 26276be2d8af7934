// Virtual-key codes to the key names the viewer's input handling uses, the way a Windows program reads its
// own WM_KEYDOWN: letters and digits as themselves (lower case), a few named keys, and `vk_0xNN` for the rest.
// The viewer owns this table because it is a target program, not part of the driver.

const NAMED: Record<number, string> = {
  0x08: 'Backspace',
  0x09: 'Tab',
  0x0d: 'Enter',
  0x1b: 'Escape',
  0x20: 'Space',
  0x23: 'End',
  0x24: 'Home',
  0x25: 'Left',
  0x26: 'Up',
  0x27: 'Right',
  0x28: 'Down',
  0x2e: 'Delete',
};

export function keyNameOfVk(vk: number, extended: boolean): string {
  if (vk === 0x0d && extended) return 'NumpadEnter';
  if ((vk >= 0x30 && vk <= 0x39) || (vk >= 0x41 && vk <= 0x5a)) return String.fromCharCode(vk).toLowerCase();
  return NAMED[vk] ?? `vk_0x${vk.toString(16).padStart(2, '0')}`;
}
