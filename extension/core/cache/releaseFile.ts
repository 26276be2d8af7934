// Windows: each data file opened once more, alone and unbuffered, just before the purge. libuv maps
// UV_FS_O_DIRECT to FILE_FLAG_NO_BUFFERING and UV_FS_O_EXLOCK to share mode 0, so the open succeeds only when
// no other process holds the file — proof that Petrel's handles are closed — and a non-cached open of a file
// nobody else has open lets the file system (NTFS; the SMB redirector for a NAS file [verify]) drop what it
// cached of it. It runs as the campaign user, so it sees the user's own SMB session and mapped drives.
import { closeSync, constants, openSync } from 'node:fs';

const UV_FS_O_DIRECT = 0x02000000;
const UV_FS_O_EXLOCK = 0x10000000;

export type Release = { file: string; ok: boolean; inUse: boolean; detail: string };

export function reopenAloneUnbuffered(file: string, open: (f: string, flags: number) => number = openSync): Release {
  try {
    const fd = open(file, constants.O_RDONLY | UV_FS_O_DIRECT | UV_FS_O_EXLOCK);
    closeSync(fd);
    return { file, ok: true, inUse: false, detail: `${file}: opened alone with FILE_FLAG_NO_BUFFERING (no other process holds it)` };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // ERROR_SHARING_VIOLATION comes back as EBUSY.
    if (code === 'EBUSY') return { file, ok: false, inUse: true, detail: `${file} is open in another process (sharing violation): its cached pages would survive the purge` };
    return { file, ok: false, inUse: false, detail: `${file}: cannot open it alone unbuffered (${code ?? (e as Error).message})` };
  }
}
