import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { runManifestSchema, type RunManifest } from '../../shared/runManifest';
import { formatProblem } from '../validation/problems';
import { validateJsonText } from '../../shared/validateJson';

export const RUN_MANIFEST_FILE = 'run.json';

export type RunEntry =
  | { kind: 'run'; folder: string; name: string; group: string | null; manifest: RunManifest }
  | { kind: 'broken'; folder: string; name: string; group: string | null; reason: string };

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

const hasManifest = (folder: string) =>
  stat(path.join(folder, RUN_MANIFEST_FILE)).then(
    () => true,
    () => false,
  );

async function subfolders(folder: string): Promise<string[]> {
  const dirents = await readdir(folder, { withFileTypes: true }).catch(() => []);
  const names: string[] = [];
  for (const d of dirents) {
    if (d.name.startsWith('.')) continue;
    // The entry's own type costs no stat; a symbolic link or junction (runs kept on another disk) is followed.
    if (
      d.isDirectory() ||
      (d.isSymbolicLink() &&
        (await stat(path.join(folder, d.name)).then(
          (s) => s.isDirectory(),
          () => false,
        )))
    )
      names.push(d.name);
  }
  return names.sort();
}

/**
 * A campaign folder (no run.json of its own, run folders inside), listed without opening its runs: runFolders are
 * its subfolders, the non-run ones (an analysis/ folder) dropped when it is read.
 */
export type RunGroup = { name: string; folder: string; runFolders: string[] };

/** The top of a runs folder: its own run folders (read) and its campaign folders (not yet read). */
export type RunsTop = { entries: RunEntry[]; groups: RunGroup[] };

const startOf = (e: RunEntry) => (e.kind === 'run' ? e.manifest.started_at : '');
const newestFirst = (a: RunEntry, b: RunEntry) => startOf(b).localeCompare(startOf(a)) || a.name.localeCompare(b.name);

/**
 * The top level only: a campaign folder costs one readdir and a stat or two, so a runs folder of 10,000 runs
 * lists at once and each campaign's run.json files are read when it is opened (listGroupRuns). Runs nested deeper
 * than campaign/run are not read: the folder that holds them is a broken entry saying where they are.
 */
export async function listRunsTop(runsFolder: string): Promise<RunsTop> {
  const entries: RunEntry[] = [];
  const groups: RunGroup[] = [];
  for (const name of await subfolders(runsFolder)) {
    const folder = path.join(runsFolder, name);
    if (await hasManifest(folder)) {
      entries.push(await readRunFolder(folder));
      continue;
    }
    const children = await subfolders(folder);
    let isCampaign = false;
    for (const child of children) if ((isCampaign = await hasManifest(path.join(folder, child)))) break;
    if (isCampaign) {
      groups.push({ name, folder, runFolders: children.map((c) => path.join(folder, c)) });
      continue;
    }
    const deeper = await deeperRun(folder, children);
    if (deeper) {
      const rel = path.relative(runsFolder, deeper).split(path.sep).join('/');
      const levels = rel.split('/').length;
      entries.push({
        kind: 'broken',
        folder,
        name,
        group: null,
        reason: `runs nested ${levels} levels down (e.g. ${rel}); a runs folder holds runs and campaign/run, so open ${name} as the runs folder to see them`,
      });
      continue;
    }
    entries.push(await readRunFolder(folder));
  }
  return { entries: entries.sort(newestFirst), groups };
}

/** A run folder two or more levels below `folder` (the first found), or undefined. */
async function deeperRun(folder: string, children: string[], depth = 0): Promise<string | undefined> {
  if (depth > 3) return undefined;
  for (const child of children) {
    const sub = path.join(folder, child);
    const grandchildren = await subfolders(sub);
    for (const g of grandchildren) if (await hasManifest(path.join(sub, g))) return path.join(sub, g);
    const found = await deeperRun(sub, grandchildren, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** Files a run folder gets from its first seconds: a subfolder with none of them and no run.json is no run. */
const RUN_FILES = ['markers.tsv', 'metrics.csv', 'open_files.tsv', 'agent.json'];

/** The runs of one campaign folder, read a few at a time, newest first; a run without run.json is broken. */
export async function listGroupRuns(group: RunGroup): Promise<RunEntry[]> {
  const out: (RunEntry | undefined)[] = new Array<RunEntry | undefined>(group.runFolders.length);
  let next = 0;
  const worker = async () => {
    while (next < group.runFolders.length) {
      const i = next++;
      const folder = group.runFolders[i]!;
      const entry = await readRunFolder(folder, group.name);
      const isRun = entry.kind === 'run' || !entry.reason.endsWith('is missing') || (await readdir(folder).catch(() => [] as string[])).some((f) => RUN_FILES.includes(f));
      out[i] = isRun ? entry : undefined;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return out.filter((e): e is RunEntry => e !== undefined).sort(newestFirst);
}

/** Every run under a runs folder: its direct subfolders and the runs of its campaign folders, newest first. */
export async function listRuns(runsFolder: string): Promise<RunEntry[]> {
  const top = await listRunsTop(runsFolder);
  const inGroups = await Promise.all(top.groups.map(listGroupRuns));
  return [...top.entries, ...inGroups.flat()].sort(newestFirst);
}

/** A one-line label for a run: what it was, and how it ended. */
export function describeRun(entry: RunEntry): string {
  if (entry.kind === 'broken') return `${entry.name}: broken (${entry.reason})`;
  const m = entry.manifest;
  return `${m.mode} · ${m.cache_policy} · ${m.workflow} #${m.repeat} · ${m.status}${m.reason ? ` (${m.reason})` : ''}`;
}
