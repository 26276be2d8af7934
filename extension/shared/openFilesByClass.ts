import { OPEN_FILE_COLUMNS } from './metrics';

// The run panel's "open files by class": open_files.tsv (t_unix_ms, path, class; the class given at capture by the
// config's pathRules) as each class's distinct files, in the order first seen. Enough to see at a glance whether
// the application read the volume from the NAS or through the FAST cache.

export const OPEN_FILE_CLASSES = ['NAS', 'FAST_cache', 'local', 'other'] as const;

export type OpenFilesClass = { class: string; count: number; files: string[]; more: number };

export function openFilesByClass(text: string, maxPerClass = 50): { classes: OpenFilesClass[]; problems: string[] } {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = lines[0] ?? '';
  if (header !== OPEN_FILE_COLUMNS.join('\t'))
    return { classes: [], problems: [`open_files.tsv:1: expected the header "${OPEN_FILE_COLUMNS.join('\\t')}", found "${header.slice(0, 60)}"`] };
  const byClass = new Map<string, Set<string>>();
  const problems: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const cells = line.split('\t');
    const cls = cells[2];
    if (cells.length !== OPEN_FILE_COLUMNS.length || !cls || !(OPEN_FILE_CLASSES as readonly string[]).includes(cls)) {
      if (problems.length < 5) problems.push(`open_files.tsv:${i + 1}: expected t_unix_ms, path and a class (${OPEN_FILE_CLASSES.join(', ')})`);
      continue;
    }
    const set = byClass.get(cls) ?? new Set<string>();
    set.add(cells[1]!);
    byClass.set(cls, set);
  }
  const classes = OPEN_FILE_CLASSES.filter((c) => byClass.has(c)).map((c) => {
    const files = [...byClass.get(c)!];
    return { class: c, count: files.length, files: files.slice(0, maxPerClass), more: Math.max(0, files.length - maxPerClass) };
  });
  return { classes, problems };
}
