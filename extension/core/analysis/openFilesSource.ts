import { OPEN_FILE_COLUMNS } from '../../shared/metrics';
import type { ObservedSource } from '../../shared/kpi';
import { forEachLine } from './lines';
import { RowProblems, shown } from './rowProblems';

// Which storage the run really read: open_files.tsv rows inside the run window whose class is NAS or FAST_cache.
// Files classed local/other (the app's own DLLs, temp files) are no evidence either way.

export async function readObservedSource(
  chunks: AsyncIterable<Buffer>,
  window: { from: number | null; to: number | null },
  problems: RowProblems,
): Promise<{ source: ObservedSource; unusable?: string }> {
  const from = window.from ?? Infinity;
  const to = window.to ?? Infinity;
  let header: string | undefined;
  let nas = false;
  let fast = false;
  await forEachLine(chunks, (line, lineNo) => {
    if (header === undefined) {
      header = line.replace(/^\uFEFF/, '');
      return;
    }
    if (header !== OPEN_FILE_COLUMNS.join('\t') || line === '') return;
    const cells = line.split('\t');
    if (cells.length !== OPEN_FILE_COLUMNS.length) {
      problems.add(lineNo, `expected ${OPEN_FILE_COLUMNS.length} tab-separated cells (${OPEN_FILE_COLUMNS.join(', ')}), found ${cells.length}`);
      return;
    }
    const t = cells[0] === '' ? NaN : Number(cells[0]);
    if (!Number.isInteger(t) || t < 0) {
      problems.add(lineNo, `t_unix_ms: expected an integer ≥ 0, found ${shown(cells[0]!)}`);
      return;
    }
    const cls = cells[2]!;
    if (!['NAS', 'FAST_cache', 'local', 'other'].includes(cls)) {
      problems.add(lineNo, `class: expected NAS, FAST_cache, local or other, found ${shown(cls)}`);
      return;
    }
    if (t < from || t > to) return;
    if (cls === 'NAS') nas = true;
    else if (cls === 'FAST_cache') fast = true;
  });
  if (header !== undefined && header !== OPEN_FILE_COLUMNS.join('\t')) {
    return { source: 'none', unusable: `${problems.file}:1: expected the header "${OPEN_FILE_COLUMNS.join('\\t')}", found ${shown(header)}` };
  }
  return { source: nas && fast ? 'mixed' : nas ? 'NAS' : fast ? 'FAST_cache' : 'none' };
}
