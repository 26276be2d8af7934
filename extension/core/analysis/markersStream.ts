import { MARKER_COLUMNS, markerRowSchema, type MarkerRow } from '../../shared/markers';
import { forEachLine } from './lines';
import { RowProblems, shown } from './rowProblems';

export type MarkersRead = { ok: true; rows: MarkerRow[] } | { ok: false; reason: string };

/** markers.tsv rows in file order; bad rows are counted in `problems`, a wrong header makes the file unusable. */
export async function readMarkers(chunks: AsyncIterable<Buffer>, problems: RowProblems): Promise<MarkersRead> {
  const rows: MarkerRow[] = [];
  let header: string | undefined;
  await forEachLine(chunks, (line, lineNo) => {
    if (lineNo === 1) {
      header = line.replace(/^\uFEFF/, '');
      return;
    }
    if (header !== MARKER_COLUMNS.join('\t') || line === '') return;
    const cells = line.split('\t');
    if (cells.length !== MARKER_COLUMNS.length) {
      problems.add(lineNo, `expected ${MARKER_COLUMNS.length} tab-separated cells (${MARKER_COLUMNS.join(', ')}), found ${cells.length}`);
      return;
    }
    const [tUnix, tRun, name, detail] = cells as [string, string, string, string];
    const parsed = markerRowSchema.safeParse({ t_unix_ms: tUnix === '' ? NaN : Number(tUnix), t_run_ms: tRun === '' ? NaN : Number(tRun), name, detail });
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = String(issue.path[0] ?? 'row');
      const found = field === 't_unix_ms' ? tUnix : field === 't_run_ms' ? tRun : field === 'name' ? name : detail;
      problems.add(
        lineNo,
        `${field}: ${/^expected/.test(issue.message) ? issue.message : `expected ${field === 't_unix_ms' ? 'an integer ≥ 0' : field === 't_run_ms' ? 'a number ≥ 0' : 'valid text'}`}, found ${shown(found)}`,
      );
      return;
    }
    rows.push(parsed.data);
  });
  if (header === undefined) return { ok: false, reason: `${problems.file} is empty` };
  if (header !== MARKER_COLUMNS.join('\t')) {
    return { ok: false, reason: `${problems.file}:1: expected the header "${MARKER_COLUMNS.join('\\t')}", found ${shown(header)}` };
  }
  return { ok: true, rows };
}

/** Time window and durations from markers, by the definitions in the README ("Analysis"). */
export type MarkerTimes = {
  /** open_start.t_unix_ms, or null when there is no open_start. */
  windowFrom: number | null;
  /** session_end.t_unix_ms, or null: then the window runs to the last row. */
  windowTo: number | null;
  durations: { open_time_s: number | null; scrub_time_s: number | null; attr_time_s: number | null; horizon_time_s: number | null; export_time_s: number | null };
  missing: string[];
};

const WORKFLOW_PHASE: Record<string, 'scrub' | 'attr' | 'horizon' | 'export'> = { W_scrub100: 'scrub', W_attribute: 'attr', W_horizon: 'horizon', W_export: 'export' };

/** first `end` at or after the first `start`, in seconds of t_run_ms; null when either is missing. */
function span(rows: MarkerRow[], start: string, end: string): number | null {
  const i = rows.findIndex((r) => r.name === start);
  if (i < 0) return null;
  const from = rows[i]!;
  const to = rows.slice(i + 1).find((r) => r.name === end && r.t_run_ms >= from.t_run_ms);
  return to ? (to.t_run_ms - from.t_run_ms) / 1000 : null;
}

export function markerTimes(rows: MarkerRow[], workflow: string): MarkerTimes {
  const first = (name: string) => rows.find((r) => r.name === name);
  const durations = {
    open_time_s: span(rows, 'open_start', 'first_pixel'),
    scrub_time_s: span(rows, 'scrub_start', 'scrub_end'),
    attr_time_s: span(rows, 'attr_start', 'attr_end'),
    horizon_time_s: span(rows, 'horizon_start', 'horizon_end'),
    export_time_s: span(rows, 'export_start', 'export_end'),
  };
  const missing: string[] = [];
  for (const name of ['open_start', 'first_pixel', 'session_end']) if (!first(name)) missing.push(name);
  const phase = WORKFLOW_PHASE[workflow];
  if (phase) for (const name of [`${phase}_start`, `${phase}_end`]) if (!first(name)) missing.push(name);
  return { windowFrom: first('open_start')?.t_unix_ms ?? null, windowTo: first('session_end')?.t_unix_ms ?? null, durations, missing };
}
