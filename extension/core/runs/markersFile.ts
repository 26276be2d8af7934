import { MARKER_COLUMNS, markerRowSchema, type MarkerRow } from '../../shared/markers';
import { InputError, type Problem } from '../validation/problems';

/** Parses markers.tsv text; every bad row is reported with its line number, nothing is silently skipped. */
export function parseMarkersTsv(file: string, text: string): MarkerRow[] {
  const lines = text.split(/\r?\n/);
  const header = lines[0] ?? '';
  if (header !== MARKER_COLUMNS.join('\t')) {
    throw new InputError([
      { file, path: 'header', line: 1, column: 1, expected: `expected the header "${MARKER_COLUMNS.join('\\t')}"`, found: JSON.stringify(header.slice(0, 60)) },
    ]);
  }
  const rows: MarkerRow[] = [];
  const problems: Problem[] = [];
  lines.slice(1).forEach((line, idx) => {
    if (line === '') return;
    const lineNo = idx + 2;
    const cells = line.split('\t');
    if (cells.length !== MARKER_COLUMNS.length) {
      problems.push({ file, path: `row ${lineNo}`, line: lineNo, column: 1, expected: `expected ${MARKER_COLUMNS.length} tab-separated cells`, found: `${cells.length}` });
      return;
    }
    const [tUnix, tRun, name, detail] = cells as [string, string, string, string];
    const parsed = markerRowSchema.safeParse({ t_unix_ms: Number(tUnix), t_run_ms: Number(tRun), name, detail });
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      problems.push({ file, path: `row ${lineNo}.${String(issue.path[0])}`, line: lineNo, column: 1, expected: issue.message, found: JSON.stringify(line.slice(0, 60)) });
      return;
    }
    rows.push(parsed.data);
  });
  if (problems.length) throw new InputError(problems);
  return rows;
}
