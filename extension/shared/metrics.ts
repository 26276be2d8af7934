import { z } from 'zod';

// metrics.csv column order is a contract: analysis from any later version reads it by these names.
// An empty cell means "no source for this value" (e.g. no GPU tool), never zero.

export const METRICS_COLUMNS = [
  't_unix_ms',
  'cpu_pct',
  'cpu_core_max_pct',
  'ram_used_mb',
  'ram_avail_mb',
  'proc_cpu_pct',
  'proc_rss_mb',
  'proc_read_bps',
  'proc_write_bps',
  'disk_read_mbps',
  'disk_write_mbps',
  'net_rx_mbps',
  'net_tx_mbps',
  'gpu_util_pct',
  'gpu_mem_mb',
] as const;

export type MetricsColumn = (typeof METRICS_COLUMNS)[number];

const cell = z.number().finite().nullable();

export const metricsRowSchema = z.strictObject({
  t_unix_ms: z.int().nonnegative(),
  ...(Object.fromEntries(METRICS_COLUMNS.slice(1).map((c) => [c, cell])) as Record<Exclude<MetricsColumn, 't_unix_ms'>, typeof cell>),
});

export type MetricsRow = z.infer<typeof metricsRowSchema>;

export function formatMetricsRow(row: MetricsRow): string {
  return METRICS_COLUMNS.map((c) => {
    const v = row[c];
    return v === null ? '' : String(v);
  }).join(',');
}

export const OPEN_FILE_COLUMNS = ['t_unix_ms', 'path', 'class'] as const;
