import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// Page-cache tests (O_DIRECT reads, fadvise eviction) need a folder on a real disk: tmpfs keeps every page in
// memory, refuses O_DIRECT and cannot evict. /tmp is tmpfs on many machines (Debian with tmp.mount, CI
// containers), so these tests look for a disk-backed folder and say which one they used.

const MEMORY_FS = new Set(['tmpfs', 'ramfs']);

/** The filesystem type of a folder as the kernel names it (`stat -f`), e.g. ext2/ext3 (ext4), xfs, tmpfs. */
export function fsTypeOf(dir: string): string {
  try {
    return execFileSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** A fresh folder on a disk-backed filesystem if there is one (os.tmpdir(), then /var/tmp), else in os.tmpdir(). */
export function diskBackedTempDir(prefix: string): { dir: string; fsType: string; memoryBacked: boolean } {
  for (const base of [tmpdir(), '/var/tmp']) {
    const fsType = fsTypeOf(base);
    if (fsType !== 'unknown' && !MEMORY_FS.has(fsType)) return { dir: mkdtempSync(path.join(base, prefix)), fsType, memoryBacked: false };
  }
  return { dir: mkdtempSync(path.join(tmpdir(), prefix)), fsType: fsTypeOf(tmpdir()), memoryBacked: true };
}
