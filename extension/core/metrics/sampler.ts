import type { MetricsColumn, MetricsRow } from '../../shared/metrics';

/** One platform's way of filling a metrics.csv row. Missing sources give null (an empty cell), never 0. */
export type MetricsSampler = {
  /** Where each column comes from here; written into agent.json so a reader knows what a number means. */
  readonly sources: Partial<Record<MetricsColumn, string>>;
  /** Takes first readings so that rates (per second) exist from the first row. */
  prime(): Promise<void>;
  sample(tUnixMs: number): Promise<MetricsRow> | MetricsRow;
  /** True once the target process is gone (exited, reaped or its pid reused). */
  targetGone(): boolean;
  close(): void;
  /** CPU ms the agent spent in each sample() so far, where the sampler measures it. */
  readonly sampleCpuMs?: readonly number[];
};

/** Sources of the columns only the Windows PDH sampler fills, for the other samplers' agent.json. */
export function windowsOnlySources(platform: string): Partial<Record<MetricsColumn, string>> {
  const why = (what: string) => `none (${what}: Windows PDH only, not on ${platform})`;
  return {
    cpu_utility_pct: why('% Processor Utility'),
    smb_read_mbps: why('SMB Client Shares'),
    smb_read_req_ps: why('SMB Client Shares'),
    smb_read_ms: why('SMB Client Shares'),
    fast_cpu_pct: why('the FAST service process'),
    fast_rss_mb: why('the FAST service process'),
    fast_read_bps: why('the FAST service process'),
    fast_write_bps: why('the FAST service process'),
  };
}

export const MiB = 1024 * 1024;
/** Throughput columns (_mbps) are decimal megabytes per second, as disks and links are quoted. */
export const MB = 1_000_000;

export const round = (v: number, digits = 2) => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

/** A per-second rate from two counter readings; null when either is missing or the counter went back. */
export function rate(prev: number | undefined, next: number | undefined, seconds: number): number | null {
  if (prev === undefined || next === undefined || !Number.isFinite(prev) || !Number.isFinite(next)) return null;
  if (seconds <= 0 || next < prev) return null;
  return (next - prev) / seconds;
}

export function emptyRow(tUnixMs: number): MetricsRow {
  return {
    t_unix_ms: tUnixMs,
    cpu_pct: null,
    cpu_core_max_pct: null,
    ram_used_mb: null,
    ram_avail_mb: null,
    proc_cpu_pct: null,
    proc_rss_mb: null,
    proc_read_bps: null,
    proc_write_bps: null,
    disk_read_mbps: null,
    disk_write_mbps: null,
    net_rx_mbps: null,
    net_tx_mbps: null,
    gpu_util_pct: null,
    gpu_mem_mb: null,
    cpu_utility_pct: null,
    smb_read_mbps: null,
    smb_read_req_ps: null,
    smb_read_ms: null,
    fast_cpu_pct: null,
    fast_rss_mb: null,
    fast_read_bps: null,
    fast_write_bps: null,
  };
}

/** Is a pid alive? Signal 0 checks existence and permission without touching the process. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
