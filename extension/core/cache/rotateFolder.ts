// Cold rotation of a FAST cache folder (the Linux/macOS twin of ps/Rotate-FastCache.ps1; same rules):
// rename FOLDER to FOLDER.rotated-YYYYMMDDTHHMMSSZ beside it, create FOLDER empty, and keep the newest K
// rotations. Nothing else is ever renamed or deleted: only FOLDER itself and siblings whose name is exactly
// FOLDER's name + ".rotated-" + a timestamp. A rename (not a delete) keeps the rotation instant and
// leaves the old cache for inspection.
import { lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';

export type RotationReport = {
  folder: string;
  /** Where the old cache went; undefined when the folder was absent or already empty. */
  rotatedTo?: string;
  removed: string[];
  kept: string[];
  whatIf: boolean;
};

const STAMP = /^\d{8}T\d{6}Z(-\d+)?$/;

export function rotationName(folder: string, when: Date): string {
  const stamp = when
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `${folder}.rotated-${stamp}`;
}

/** Refuses folders whose rotation could hurt: relative paths, roots, the home folder, symlinks. */
export async function checkCacheFolder(folder: string): Promise<void> {
  if (!path.isAbsolute(folder)) throw new Error(`cacheFolder ${JSON.stringify(folder)}: expected an absolute path`);
  const resolved = path.resolve(folder);
  if (resolved === path.parse(resolved).root) throw new Error(`cacheFolder ${resolved}: refusing to rotate a filesystem root`);
  if (resolved === path.resolve(homedir())) throw new Error(`cacheFolder ${resolved}: refusing to rotate the home folder`);
  if (resolved.split(/[\\/]/).filter(Boolean).length < 2) throw new Error(`cacheFolder ${resolved}: refusing a top-level folder; use a dedicated cache folder`);
  try {
    const s = await lstat(resolved);
    if (s.isSymbolicLink()) throw new Error(`cacheFolder ${resolved}: is a symbolic link; configure the real folder`);
    if (!s.isDirectory()) throw new Error(`cacheFolder ${resolved}: exists but is not a folder`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

export async function rotateCacheFolder(folder: string, keep: number, options: { whatIf?: boolean; now?: Date } = {}): Promise<RotationReport> {
  if (!Number.isInteger(keep) || keep < 0) throw new Error(`keepRotated: expected an integer ≥ 0, found ${keep}`);
  await checkCacheFolder(folder);
  const resolved = path.resolve(folder);
  const whatIf = options.whatIf === true;
  const report: RotationReport = { folder: resolved, removed: [], kept: [], whatIf };
  let entries: string[] | undefined;
  try {
    entries = await readdir(resolved);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (entries && entries.length > 0) {
    let target = rotationName(resolved, options.now ?? new Date());
    for (let n = 1; await exists(target); n++) target = `${rotationName(resolved, options.now ?? new Date())}-${n}`;
    if (!whatIf) await rename(resolved, target);
    report.rotatedTo = target;
  }
  if (!whatIf) await mkdir(resolved, { recursive: true });

  const parent = path.dirname(resolved);
  const prefix = `${path.basename(resolved)}.rotated-`;
  const rotations = (await readdir(parent)).filter((n) => n.startsWith(prefix) && STAMP.test(n.slice(prefix.length))).map((n) => path.join(parent, n));
  if (whatIf && report.rotatedTo && !rotations.includes(report.rotatedTo)) rotations.push(report.rotatedTo);
  // Timestamps sort as text; the "-N" suffix of same-second rotations sorts after its base.
  rotations.sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
  report.kept = rotations.slice(0, keep);
  for (const old of rotations.slice(keep)) {
    if (!whatIf) await rm(old, { recursive: true, force: true });
    report.removed.push(old);
  }
  return report;
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}
