import type { MetricsRow } from '../../shared/metrics';
import type { GpuReader } from './nvidiaSmi';
import { MB, MiB, emptyRow, pidAlive, round, windowsOnlySources, type MetricsSampler } from './sampler';

type Si = typeof import('systeminformation');

/**
 * systeminformation for platforms without a cheaper native path (macOS, others), and on Linux as the
 * reference the /proc sampler is compared with in bench:agent. It offers nothing per pid, so the
 * target's cells stay empty (the target's exit is still detected). Loaded lazily: it is heavy and the extension host may reach this file.
 */
export class SystemInformationSampler implements MetricsSampler {
  readonly sources: MetricsSampler['sources'];
  private si: Si | undefined;
  private gone = false;

  constructor(
    private readonly pid: number | undefined,
    private readonly gpu: GpuReader,
  ) {
    this.sources = {
      cpu_pct: 'systeminformation currentLoad().currentLoad',
      cpu_core_max_pct: 'systeminformation currentLoad().cpus[].load, busiest',
      ram_used_mb: 'systeminformation mem() total − available (MiB)',
      ram_avail_mb: 'systeminformation mem().available (MiB)',
      proc_cpu_pct: 'none (systeminformation reports per-process load by name and % of RAM, not by pid)',
      proc_rss_mb: 'none (as proc_cpu_pct)',
      proc_read_bps: 'none (systeminformation has no per-process I/O)',
      proc_write_bps: 'none (systeminformation has no per-process I/O)',
      disk_read_mbps: 'systeminformation fsStats().rx_sec (MB/s)',
      disk_write_mbps: 'systeminformation fsStats().wx_sec (MB/s)',
      net_rx_mbps: 'systeminformation networkStats("*") rx_sec summed (MB/s)',
      net_tx_mbps: 'systeminformation networkStats("*") tx_sec summed (MB/s)',
      gpu_util_pct: gpu.source,
      gpu_mem_mb: gpu.source,
      ...windowsOnlySources(process.platform),
    };
  }

  async prime(): Promise<void> {
    this.si = await import('systeminformation');
    // The *_sec fields are null until a second call; the first currentLoad takes ~0.5 s.
    await Promise.all([this.si.currentLoad(), this.si.fsStats(), this.si.networkStats('*')]);
  }

  targetGone(): boolean {
    if (!this.gone && this.pid !== undefined && !pidAlive(this.pid)) this.gone = true;
    return this.gone;
  }

  async sample(tUnixMs: number): Promise<MetricsRow> {
    const si = this.si!;
    const [load, mem, fs, nets] = await Promise.all([si.currentLoad(), si.mem(), si.fsStats().catch(() => null), si.networkStats('*').catch(() => [])]);
    const row = emptyRow(tUnixMs);
    row.cpu_pct = round(load.currentLoad, 1);
    row.cpu_core_max_pct = load.cpus.length ? round(Math.max(...load.cpus.map((c) => c.load)), 1) : null;
    row.ram_used_mb = round((mem.total - mem.available) / MiB, 1);
    row.ram_avail_mb = round(mem.available / MiB, 1);
    if (fs && fs.rx_sec !== null && fs.wx_sec !== null) {
      row.disk_read_mbps = round(fs.rx_sec / MB, 3);
      row.disk_write_mbps = round(fs.wx_sec / MB, 3);
    }
    const real = nets.filter((n) => n.iface !== 'lo' && n.rx_sec !== null && n.rx_sec >= 0);
    if (real.length) {
      row.net_rx_mbps = round(real.reduce((a, n) => a + n.rx_sec, 0) / MB, 3);
      row.net_tx_mbps = round(real.reduce((a, n) => a + n.tx_sec, 0) / MB, 3);
    }
    const g = this.gpu.latest();
    row.gpu_util_pct = g?.utilPct ?? null;
    row.gpu_mem_mb = g?.memMiB ?? null;
    return row;
  }

  close(): void {
    this.gpu.close();
  }
}
