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
  // Added after the first 15 (readers find columns by name, so older files simply lack them): the frequency-aware
  // CPU figure Task Manager shows, the NAS share's own SMB traffic and latency (SMB reads never reach a local disk
  // counter), and the FAST service's process, which does mode B's cache and Azure I/O.
  'cpu_utility_pct',
  'smb_read_mbps',
  'smb_read_req_ps',
  'smb_read_ms',
  'fast_cpu_pct',
  'fast_rss_mb',
  'fast_read_bps',
  'fast_write_bps',
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
