import { performance } from 'node:perf_hooks';
import type { MetricsRow } from '../../shared/metrics';
import type { GpuReader } from './nvidiaSmi';
import {
  parseDiskstats,
  parseMeminfo,
  parseNetDev,
  parsePidIo,
  parsePidStat,
  parsePidStatusRss,
  parseProcStat,
  physicalDisks,
  physicalInterfaces,
  readProc,
  type CpuTimes,
} from './procFiles';
import { MB, MiB, emptyRow, rate, round, windowsOnlySources, type MetricsSampler } from './sampler';

// USER_HZ, the unit of /proc/PID/stat times, is 100 on every Linux architecture Node supports.
const USER_HZ = 100;

type Counters = {
  at: number;
  cpu?: { all: CpuTimes; cores: CpuTimes[] };
  procJiffies?: number;
  procIo?: { readBytes: number; writeBytes: number };
  disk?: { readBytes: number; writeBytes: number };
  net?: { rxBytes: number; txBytes: number };
};

const busyPct = (a: CpuTimes, b: CpuTimes) => (b.total > a.total ? (100 * (b.busy - a.busy)) / (b.total - a.total) : null);

/** Linux: every column straight from /proc (synchronous reads of tiny virtual files, no child processes). */
export class LinuxProcSampler implements MetricsSampler {
  readonly sources = {
    cpu_pct: '/proc/stat (all cores, busy = total − idle − iowait)',
    cpu_core_max_pct: '/proc/stat (busiest single core this tick)',
    ram_used_mb: '/proc/meminfo MemTotal − MemAvailable (MiB)',
    ram_avail_mb: '/proc/meminfo MemAvailable (MiB)',
    proc_cpu_pct: '/proc/PID/stat utime+stime (% of one core; > 100 when multi-threaded)',
    proc_rss_mb: '/proc/PID/status VmRSS (MiB)',
    proc_read_bps: '/proc/PID/io rchar (bytes/s the process read, OS-cache hits, pipes and sockets included)',
    proc_write_bps: '/proc/PID/io wchar (bytes/s)',
    disk_read_mbps: '/proc/diskstats sectors read, whole physical disks (MB/s, 10^6 bytes)',
    disk_write_mbps: '/proc/diskstats sectors written, whole physical disks (MB/s)',
    net_rx_mbps: '/proc/net/dev rx bytes, device-backed interfaces (MB/s)',
    net_tx_mbps: '/proc/net/dev tx bytes, device-backed interfaces (MB/s)',
    gpu_util_pct: '',
    gpu_mem_mb: '',
    ...windowsOnlySources('linux'),
  };
  readonly sampleCpuMs: number[] = [];
  private prev: Counters = { at: 0 };
  private readonly disks = physicalDisks();
  private readonly interfaces = physicalInterfaces(readProc('/proc/net/dev'));
  private startTime: number | undefined;
  private gone = false;

  constructor(
    private readonly pid: number | undefined,
    private readonly gpu: GpuReader,
  ) {
    this.sources.gpu_util_pct = gpu.source;
    this.sources.gpu_mem_mb = gpu.source;
  }

  async prime(): Promise<void> {
    this.prev = this.read().counters;
  }

  targetGone(): boolean {
    return this.gone;
  }

  close(): void {
    this.gpu.close();
  }

  /** The target's own files; a missing file means it has gone, a changed start time means pid reuse. */
  private readTarget(): { jiffies: number; rssBytes: number | null; io?: { readBytes: number; writeBytes: number } } | undefined {
    if (this.pid === undefined || this.gone) return undefined;
    try {
      const stat = parsePidStat(readProc(`/proc/${this.pid}/stat`));
      this.startTime ??= stat.startTime;
      if (stat.startTime !== this.startTime || stat.state === 'Z' || stat.state === 'X') {
        this.gone = true;
        return undefined;
      }
      const rssBytes = parsePidStatusRss(readProc(`/proc/${this.pid}/status`));
      let io;
      try {
        io = parsePidIo(readProc(`/proc/${this.pid}/io`));
      } catch {
        // Another user's process without root: CPU and RSS are still readable, I/O is not.
      }
      return { jiffies: stat.cpuJiffies, rssBytes, ...(io ? { io } : {}) };
    } catch {
      this.gone = true;
      return undefined;
    }
  }

  private read(): { counters: Counters; mem: { totalBytes: number; availableBytes: number }; rssBytes: number | null } {
    const at = performance.now();
    const cpu = parseProcStat(readProc('/proc/stat'));
    const mem = parseMeminfo(readProc('/proc/meminfo'));
    const target = this.readTarget();
    const disk = parseDiskstats(readProc('/proc/diskstats'), this.disks);
    const net = parseNetDev(readProc('/proc/net/dev'), this.interfaces);
    return {
      counters: {
        at,
        cpu,
        ...(target ? { procJiffies: target.jiffies } : {}),
        ...(target?.io ? { procIo: target.io } : {}),
        ...(this.disks.size ? { disk } : {}),
        ...(this.interfaces.size ? { net } : {}),
      },
      mem,
      rssBytes: target?.rssBytes ?? null,
    };
  }

  sample(tUnixMs: number): MetricsRow {
    const c0 = process.cpuUsage();
    const row = this.sampleRow(tUnixMs);
    const used = process.cpuUsage(c0);
    this.sampleCpuMs.push((used.user + used.system) / 1000);
    return row;
  }

  private sampleRow(tUnixMs: number): MetricsRow {
    const { counters: c, mem, rssBytes } = this.read();
    const p = this.prev;
    const s = (c.at - p.at) / 1000;
    const row = emptyRow(tUnixMs);
    if (p.cpu && c.cpu) {
      const all = busyPct(p.cpu.all, c.cpu.all);
      row.cpu_pct = all === null ? null : round(all, 1);
      const cores = c.cpu.cores.map((core, i) => (p.cpu!.cores[i] ? busyPct(p.cpu!.cores[i]!, core) : null)).filter((v): v is number => v !== null);
      row.cpu_core_max_pct = cores.length ? round(Math.max(...cores), 1) : null;
    }
    row.ram_used_mb = round((mem.totalBytes - mem.availableBytes) / MiB, 1);
    row.ram_avail_mb = round(mem.availableBytes / MiB, 1);
    const jiffies = rate(p.procJiffies, c.procJiffies, s);
    row.proc_cpu_pct = jiffies === null ? null : round((100 * jiffies) / USER_HZ, 1);
    row.proc_rss_mb = rssBytes === null ? null : round(rssBytes / MiB, 1);
    const r = rate(p.procIo?.readBytes, c.procIo?.readBytes, s);
    const w = rate(p.procIo?.writeBytes, c.procIo?.writeBytes, s);
    row.proc_read_bps = r === null ? null : Math.round(r);
    row.proc_write_bps = w === null ? null : Math.round(w);
    const dr = rate(p.disk?.readBytes, c.disk?.readBytes, s);
    const dw = rate(p.disk?.writeBytes, c.disk?.writeBytes, s);
    row.disk_read_mbps = dr === null ? null : round(dr / MB, 3);
    row.disk_write_mbps = dw === null ? null : round(dw / MB, 3);
    const rx = rate(p.net?.rxBytes, c.net?.rxBytes, s);
    const tx = rate(p.net?.txBytes, c.net?.txBytes, s);
    row.net_rx_mbps = rx === null ? null : round(rx / MB, 3);
    row.net_tx_mbps = tx === null ? null : round(tx / MB, 3);
    const g = this.gpu.latest();
    row.gpu_util_pct = g?.utilPct ?? null;
    row.gpu_mem_mb = g?.memMiB ?? null;
    this.prev = c;
    return row;
  }
}
