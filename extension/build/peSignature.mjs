// Removes the Authenticode signature of a PE file (what `signtool remove /s` does), so that fastbench.exe — Node's
// signed node.exe with a script added — carries no signature that no longer matches its content.
import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';

const IMAGE_DIRECTORY_ENTRY_SECURITY = 4;

/** Returns true when a signature was removed, false when the file had none; throws on a file that is not PE. */
export function stripAuthenticode(file) {
  const fd = openSync(file, 'r+');
  try {
    const read = (offset, length) => {
      const b = Buffer.alloc(length);
      if (readSync(fd, b, 0, length, offset) !== length) throw new Error(`${file}: truncated PE header at byte ${offset}`);
      return b;
    };
    const size = fstatSync(fd).size;
    if (read(0, 2).toString('latin1') !== 'MZ') throw new Error(`${file}: not a PE file (no MZ header)`);
    const pe = read(0x3c, 4).readUInt32LE(0);
    if (read(pe, 4).toString('latin1') !== 'PE\0\0') throw new Error(`${file}: not a PE file (no PE signature at ${pe})`);
    const optional = pe + 24;
    const magic = read(optional, 2).readUInt16LE(0);
    // The data directories follow the fixed part of the optional header: 96 bytes in PE32, 112 in PE32+.
    const directories = optional + (magic === 0x20b ? 112 : magic === 0x10b ? 96 : NaN);
    if (Number.isNaN(directories)) throw new Error(`${file}: unknown optional header magic 0x${magic.toString(16)}`);
    const entry = directories + IMAGE_DIRECTORY_ENTRY_SECURITY * 8;
    const dir = read(entry, 8);
    // For this one directory the address is a file offset, not an RVA; the certificates sit at the end of the file.
    const offset = dir.readUInt32LE(0);
    const length = dir.readUInt32LE(4);
    if (offset === 0 || length === 0) return false;
    if (offset + length > size || size - (offset + length) > 8) {
      throw new Error(`${file}: the certificate table (${offset}+${length}) is not at the end of the file (${size} bytes)`);
    }
    writeSync(fd, Buffer.alloc(8), 0, 8, entry);
    ftruncateSync(fd, offset);
    return true;
  } finally {
    closeSync(fd);
  }
}
