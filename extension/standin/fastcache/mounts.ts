// FUSE mounts seen from outside: which are mounted under a folder (/proc/self/mountinfo), whether one is
// stale (its daemon died: ENOTCONN), and unmounting (fusermount3, lazily when busy or stale). Shared by
// fastcache's own mount and the stand-in stack's clean-up of mounts a killed run left.
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({
        code,
        out:
          `${stderr}${stdout}`.trim() ||
          (error && typeof error.code === 'string' ? `${cmd}: ${error.code === 'ENOENT' ? 'not installed (apt-get install fuse3)' : error.code}` : ''),
      });
    });
  });
}

/** Mount points from /proc/self/mountinfo (octal escapes decoded) with their filesystem type. */
export function mountsUnder(folder: string): { mountPoint: string; fsType: string }[] {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const prefix = path.resolve(folder) + path.sep;
  const out: { mountPoint: string; fsType: string }[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (fields.length < 5 || dash < 0) continue;
    const mountPoint = fields[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (mountPoint === path.resolve(folder) || mountPoint.startsWith(prefix)) out.push({ mountPoint, fsType: fields[dash + 1] ?? '' });
  }
  return out;
}

/** Unmounts a FUSE mount, lazily (-z) when it is busy or its daemon is gone. True when nothing is mounted there after. */
export async function fuseUnmount(mountPoint: string): Promise<{ ok: boolean; detail: string }> {
  if (!mountsUnder(mountPoint).some((m) => m.mountPoint === path.resolve(mountPoint))) return { ok: true, detail: `${mountPoint}: not mounted` };
  const first = await run('fusermount3', ['-u', mountPoint]);
  if (first.code === 0) return { ok: true, detail: `${mountPoint}: unmounted` };
  const lazy = await run('fusermount3', ['-uz', mountPoint]);
  if (lazy.code === 0) return { ok: true, detail: `${mountPoint}: unmounted lazily (${first.out})` };
  return { ok: false, detail: `${mountPoint}: cannot unmount: ${lazy.out || first.out}` };
}

/** A mount point whose daemon died answers stat() with ENOTCONN ("Transport endpoint is not connected"). */
export function isStaleMount(mountPoint: string): boolean {
  try {
    statSync(mountPoint);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOTCONN';
  }
}
