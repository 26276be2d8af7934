import { z } from 'zod';

// markers.tsv: one header row, then one row per marker. Both clocks are kept: t_unix_ms joins markers to
// metrics.csv and logs from other processes; t_run_ms (monotonic) gives durations immune to clock steps.

export const MARKER_COLUMNS = ['t_unix_ms', 't_run_ms', 'name', 'detail'] as const;

export const markerRowSchema = z.strictObject({
  t_unix_ms: z.int().nonnegative(),
  t_run_ms: z.number().nonnegative(),
  name: z.string().regex(/^[A-Za-z0-9_.:-]+$/, { error: 'expected a marker name of letters, digits, _ . : -' }),
  detail: z.string().refine((s) => !/[\t\r\n]/.test(s), { error: 'expected no tabs or line breaks in detail' }),
});

export type MarkerRow = z.infer<typeof markerRowSchema>;

export function formatMarkerRow(row: MarkerRow): string {
  return `${row.t_unix_ms}\t${row.t_run_ms.toFixed(3)}\t${row.name}\t${row.detail}`;
}
