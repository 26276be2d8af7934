import path from 'node:path';
import type { FastbenchConfig } from '../../shared/config';
import { OPEN_FILE_COLUMNS } from '../../shared/metrics';
import { LineAppender } from '../metrics/runFiles';
import { escapeTsvPath, openDataFilesLinux } from '../metrics/openFiles';
import { pathClassifier } from '../metrics/pathClasses';
import { processTree } from './targetProcess';

/**
 * The data files the target's process tree holds open right now, appended to the run's open_files.tsv beside the
 * agent's 1 Hz rows. Taken at first_pixel and before closing, so a run shorter than a second still carries
 * evidence of which storage it read. Linux only (/proc); on Windows the agent's handle scan is the source.
 */
export function snapshotOpenFiles(folder: string, pid: number, rules: FastbenchConfig['pathRules'], configDir: string): number {
  if (process.platform !== 'linux') return 0;
  const classify = pathClassifier(rules.map((r) => ({ ...r, prefix: path.resolve(configDir, r.prefix) })));
  const now = Date.now();
  const rows = new Set<string>();
  for (const p of processTree(pid)) for (const file of openDataFilesLinux(p) ?? []) rows.add(`${now}\t${escapeTsvPath(file)}\t${classify(file)}`);
  if (!rows.size) return 0;
  const out = new LineAppender(path.join(folder, 'open_files.tsv'), OPEN_FILE_COLUMNS.join('\t'));
  try {
    out.append([...rows].map((r) => r + '\n').join(''));
  } finally {
    out.close();
  }
  return rows.size;
}
