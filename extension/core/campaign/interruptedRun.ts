import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { reapLeftover } from './targetProcess';

/**
 * Marks a run folder left "running" by a dead campaign process as aborted, keeping everything else it says, and
 * ends the target that run launched if it is still there (it runs in its own process group, so it outlives us).
 */
export function markInterrupted(folder: string, reason: string): string | undefined {
  const file = path.join(folder, 'run.json');
  if (!existsSync(file)) return undefined;
  let manifest: Record<string, unknown>;
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (manifest.status !== 'running') return undefined;
  const reaped = reapLeftover(manifest.target as { pid?: number; cmdline?: string } | undefined);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify({ ...manifest, status: 'aborted', reason, ended_at: new Date().toISOString() }, null, 2) + '\n');
  renameSync(tmp, file);
  return reaped;
}
