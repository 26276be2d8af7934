import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Marks a run folder left "running" by a dead campaign process as aborted, keeping everything else it says. */
export function markInterrupted(folder: string, reason: string): void {
  const file = path.join(folder, 'run.json');
  if (!existsSync(file)) return;
  let manifest: Record<string, unknown>;
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return;
  }
  if (manifest.status !== 'running') return;
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify({ ...manifest, status: 'aborted', reason, ended_at: new Date().toISOString() }, null, 2) + '\n');
  renameSync(tmp, file);
}
