import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { runManifestSchema, type RunManifest } from '../../shared/runManifest';
import { formatProblem } from '../validation/problems';
import { validateJsonText } from '../../shared/validateJson';

export const RUN_MANIFEST_FILE = 'run.json';

export type RunEntry =
  | { kind: 'run'; folder: string; name: string; group: string | null; manifest: RunManifest }
  | { kind: 'broken'; folder: string; name: string; group: string | null; reason: string };

async function isDir(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** Reads one run folder's run.json; a problem becomes a `broken` entry with the reason, never a throw. */
export async function readRunFolder(folder: string, group: string | null = null): Promise<RunEntry> {
  const name = path.basename(folder);
  const file = path.join(folder, RUN_MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { kind: 'broken', folder, name, group, reason: code === 'ENOENT' ? `${RUN_MANIFEST_FILE} is missing` : `${RUN_MANIFEST_FILE}: ${code}` };
  }
  const result = validateJsonText(file, text, runManifestSchema);
  if (!result.ok) {
    const first = result.problems[0]!;
    const more = result.problems.length > 1 ? ` (+${result.problems.length - 1} more)` : '';
    return { kind: 'broken', folder, name, group, reason: formatProblem({ ...first, file: RUN_MANIFEST_FILE }) + more };
  }
  return { kind: 'run', folder, name, group, manifest: result.value };
}

/**
 * Every run under a runs folder: its direct subfolders, and one level deeper for subfolders that group
 * runs (a campaign). Sorted newest first by start time, broken runs by name.
 */
export async function listRuns(runsFolder: string): Promise<RunEntry[]> {
  let names: string[];
  try {
    names = await readdir(runsFolder);
  } catch {
    return [];
  }
  const entries: RunEntry[] = [];
  for (const name of names.sort()) {
    const folder = path.join(runsFolder, name);
    if (name.startsWith('.') || !(await isDir(folder))) continue;
    const hasManifest = await stat(path.join(folder, RUN_MANIFEST_FILE)).then(
      () => true,
      () => false,
    );
    if (!hasManifest) {
      const children = (await readdir(folder)).sort();
      const runChildren: string[] = [];
      for (const child of children) {
        const childFolder = path.join(folder, child);
        if (
          await stat(path.join(childFolder, RUN_MANIFEST_FILE)).then(
            () => true,
            () => false,
          )
        )
          runChildren.push(childFolder);
      }
      if (runChildren.length > 0) {
        for (const child of runChildren) entries.push(await readRunFolder(child, name));
        continue;
      }
    }
    entries.push(await readRunFolder(folder));
  }
  const startOf = (e: RunEntry) => (e.kind === 'run' ? e.manifest.started_at : '');
  return entries.sort((a, b) => startOf(b).localeCompare(startOf(a)) || a.name.localeCompare(b.name));
}

/** A one-line label for a run: what it was, and how it ended. */
export function describeRun(entry: RunEntry): string {
  if (entry.kind === 'broken') return `${entry.name}: broken (${entry.reason})`;
  const m = entry.manifest;
  return `${m.mode} · ${m.cache_policy} · ${m.workflow} #${m.repeat} · ${m.status}${m.reason ? ` (${m.reason})` : ''}`;
}
