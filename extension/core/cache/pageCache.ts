// Linux page cache: how much of a file is resident, and evicting it. Node has no fadvise or mincore, and
// the core may not load native code, so this drives two standard tools:
//   GNU coreutils `dd if=F iflag=nocache count=0` → posix_fadvise(POSIX_FADV_DONTNEED) on the whole file
//   util-linux `fincore --json --bytes`           → mincore() page residency per file
// DONTNEED drops only clean pages, so each file is fdatasync'ed first (pages the fastcache daemon has
// just written would otherwise stay dirty and resident).
import { execFile } from 'node:child_process';
import { readdir, open, writeFile } from 'node:fs/promises';
import path from 'node:path';

export type Residency = { file: string; bytes: number; residentBytes: number };

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr: stderr || (error && typeof error.code === 'string' ? `${cmd}: ${error.code === 'ENOENT' ? 'not installed' : error.code}` : '') });
    });
  });
}

/** Every regular file under `target` (itself when it is a file); none when it does not exist. */
export async function filesUnder(target: string): Promise<string[]> {
  try {
    const entries = await readdir(target, { withFileTypes: true });
    const out: string[] = [];
    for (const e of entries) {
      const p = path.join(target, e.name);
      if (e.isDirectory()) out.push(...(await filesUnder(p)));
      else if (e.isFile()) out.push(p);
    }
    return out;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') return [target];
    if (code === 'ENOENT') return [];
    throw e;
  }
}

/** Resident bytes per file, from fincore (one call for all files). */
export async function residency(files: string[]): Promise<Residency[]> {
  if (files.length === 0) return [];
  const r = await run('fincore', ['--json', '--bytes', '--output', 'RES,SIZE,FILE', '--', ...files]);
  if (r.code !== 0 && !r.stdout) throw new Error(`fincore (util-linux) failed: ${r.stderr.trim() || `exit ${r.code}`}`);
  const parsed = JSON.parse(r.stdout) as { fincore: { res: number | string; size: number | string; file: string }[] };
  return parsed.fincore.map((e) => ({ file: e.file, bytes: Number(e.size), residentBytes: Number(e.res) }));
}

/** Writes back dirty pages, then asks the kernel to drop the file's pages. */
export async function evict(file: string): Promise<void> {
  const fh = await open(file, 'r');
  try {
    await fh.datasync();
  } finally {
    await fh.close();
  }
  const r = await run('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']);
  if (r.code !== 0) throw new Error(`dd iflag=nocache (GNU coreutils) failed for ${file}: ${r.stderr.trim() || `exit ${r.code}`}`);
}

/** echo 1 > /proc/sys/vm/drop_caches after sync: every clean page-cache page on the machine. Root only. */
export async function dropCaches(): Promise<void> {
  await run('sync', []);
  try {
    await writeFile('/proc/sys/vm/drop_caches', '1\n');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`cannot write /proc/sys/vm/drop_caches (${code === 'EACCES' || code === 'EPERM' ? 'needs root' : code === 'EROFS' ? 'read-only in this container' : code})`);
  }
}
