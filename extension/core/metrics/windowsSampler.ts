import { execFile, type ChildProcess } from 'node:child_process';
import { totalmem } from 'node:os';
import type { MetricsRow } from '../../shared/metrics';
import { startLineProcess } from './lineProcess';
import type { GpuReader } from './nvidiaSmi';
import { MB, MiB, emptyRow, pidAlive, round, windowsOnlySources, type MetricsSampler } from './sampler';
import { parseTypeperfRow, splitCsvLine, type TypeperfRow } from './typeperfCsv';

// Windows fallback, used only when pdh.dll cannot be used in-process (pdhSampler.ts is the sampler; agent.json's
// samplerReason says why this one ran): English-only counter names and rows up to a second old (review S1-1, S2-3).
// One long-lived `typeperf -si 1` streams every counter (PETREL-WINDOWS.md, "Counters at 1 Hz").
// A PowerShell/WMI query per tick (what systeminformation does) costs hundreds of ms of CPU; typeperf is
// one small process reading PDH. Per-process I/O comes from "Process V2" (instances named image:pid, so two
// Petrel processes never mix); Windows builds without it fall back to "Process" by image name.
// Not exercised on this Linux machine (Wine has no PDH counters): verify on a Windows host.

const PROCESS_COUNTERS = ['% Processor Time', 'Working Set', 'IO Read Bytes/sec', 'IO Write Bytes/sec'];

function imageOf(pid: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('tasklist', ['/FI', `PID eq ${pid}`, '/FO', 'CSV', '/NH'], { windowsHide: true, timeout: 10_000 }, (err, stdout) => {
      const cells = err ? [] : splitCsvLine(stdout.trim().split(/\r?\n/)[0] ?? '');
      resolve(cells[1] === String(pid) ? cells[0]!.replace(/\.exe$/i, '') : undefined);
    });
  });
}

export function typeperfCounters(target: { image: string; pid: number } | undefined, processObject: 'Process V2' | 'Process'): string[] {
  const instance = target ? (processObject === 'Process V2' ? `${target.image}:${target.pid}` : target.image) : undefined;
  return [
    '\\Processor(*)\\% Processor Time',
    '\\Memory\\Available Bytes',
    ...(instance ? PROCESS_COUNTERS.map((c) => `\\${processObject}(${instance})\\${c}`) : []),
    '\\PhysicalDisk(_Total)\\Disk Read Bytes/sec',
    '\\PhysicalDisk(_Total)\\Disk Write Bytes/sec',
    '\\Network Interface(*)\\Bytes Received/sec',
    '\\Network Interface(*)\\Bytes Sent/sec',
  ];
}

/** A metrics row from one typeperf interval. */
export function rowFromTypeperf(t: number, values: TypeperfRow, totalBytes: number, hasTarget: boolean): MetricsRow {
  const row = emptyRow(t);
  const pick = (object: string | RegExp, counter: string, instance?: (i: string | undefined) => boolean) =>
    values.filter((v) => (typeof object === 'string' ? v.object === object : object.test(v.object)) && v.counter === counter && (!instance || instance(v.instance)));
  const one = (object: string | RegExp, counter: string, instance?: (i: string | undefined) => boolean) => pick(object, counter, instance)[0]?.value ?? null;
  const total = one('Processor', '% Processor Time', (i) => i === '_Total');
  row.cpu_pct = total === null ? null : round(total, 1);
  const cores = pick('Processor', '% Processor Time', (i) => i !== '_Total')
    .map((v) => v.value)
    .filter((v): v is number => v !== null);
  row.cpu_core_max_pct = cores.length ? round(Math.max(...cores), 1) : null;
  const avail = one('Memory', 'Available Bytes');
  if (avail !== null) {
    row.ram_avail_mb = round(avail / MiB, 1);
    row.ram_used_mb = round((totalBytes - avail) / MiB, 1);
  }
  if (hasTarget) {
    const proc = /^Process( V2)?$/;
    const cpu = one(proc, '% Processor Time');
    const ws = one(proc, 'Working Set');
    const r = one(proc, 'IO Read Bytes/sec');
    const w = one(proc, 'IO Write Bytes/sec');
    row.proc_cpu_pct = cpu === null ? null : round(cpu, 1);
    row.proc_rss_mb = ws === null ? null : round(ws / MiB, 1);
    row.proc_read_bps = r === null ? null : Math.round(r);
    row.proc_write_bps = w === null ? null : Math.round(w);
  }
  const dr = one('PhysicalDisk', 'Disk Read Bytes/sec');
  const dw = one('PhysicalDisk', 'Disk Write Bytes/sec');
  row.disk_read_mbps = dr === null ? null : round(dr / MB, 3);
  row.disk_write_mbps = dw === null ? null : round(dw / MB, 3);
  const sum = (counter: string) => {
    const vs = pick('Network Interface', counter)
      .map((v) => v.value)
      .filter((v): v is number => v !== null);
    return vs.length ? vs.reduce((a, b) => a + b, 0) : null;
  };
  const rx = sum('Bytes Received/sec');
  const tx = sum('Bytes Sent/sec');
  row.net_rx_mbps = rx === null ? null : round(rx / MB, 3);
  row.net_tx_mbps = tx === null ? null : round(tx / MB, 3);
  return row;
}

export class WindowsTypeperfSampler implements MetricsSampler {
  readonly sources: MetricsSampler['sources'];
  private child: ChildProcess | undefined;
  private header: string[] | undefined;
  private last: { row: TypeperfRow; at: number } | undefined;
  private readonly total = totalmem();
  private gone = false;
  private target: { image: string; pid: number } | undefined;

  constructor(
    private readonly pid: number | undefined,
    private readonly gpu: GpuReader,
    private readonly processObject: 'Process V2' | 'Process' = 'Process V2',
  ) {
    const p = `typeperf \\${processObject}(image${processObject === 'Process V2' ? ':pid' : ''})`;
    this.sources = {
      cpu_pct: 'typeperf \\Processor(_Total)\\% Processor Time',
      cpu_core_max_pct: 'typeperf \\Processor(N)\\% Processor Time, busiest N',
      ram_used_mb: 'total physical memory − typeperf \\Memory\\Available Bytes (MiB)',
      ram_avail_mb: 'typeperf \\Memory\\Available Bytes (MiB)',
      proc_cpu_pct: `${p}\\% Processor Time (% of one core)`,
      proc_rss_mb: `${p}\\Working Set (MiB)`,
      proc_read_bps: `${p}\\IO Read Bytes/sec (all read calls, OS-cache hits and network included)`,
      proc_write_bps: `${p}\\IO Write Bytes/sec`,
      disk_read_mbps: 'typeperf \\PhysicalDisk(_Total)\\Disk Read Bytes/sec (MB/s)',
      disk_write_mbps: 'typeperf \\PhysicalDisk(_Total)\\Disk Write Bytes/sec (MB/s)',
      net_rx_mbps: 'typeperf \\Network Interface(*)\\Bytes Received/sec, summed (MB/s)',
      net_tx_mbps: 'typeperf \\Network Interface(*)\\Bytes Sent/sec, summed (MB/s)',
      gpu_util_pct: gpu.source,
      gpu_mem_mb: gpu.source,
      ...windowsOnlySources('typeperf (the fallback when PDH cannot load in-process)'),
    };
  }

  async prime(): Promise<void> {
    if (this.pid !== undefined) {
      const image = await imageOf(this.pid);
      if (image) this.target = { image, pid: this.pid };
      // No image name is not proof the target is gone: Wine's tasklist prints nothing for /FI. Then the
      // per-process cells stay empty, and the target's exit is still noticed (targetGone).
      else this.gone = !pidAlive(this.pid);
    }
    this.child = startLineProcess(
      'typeperf',
      [...typeperfCounters(this.target, this.processObject), '-si', '1', '-f', 'CSV'],
      (line) => this.onLine(line),
      () => (this.child = undefined),
    );
    // typeperf prints its first interval after ~1 s; wait for it so the first row has values.
    const deadline = Date.now() + 5000;
    while (!this.last && this.child && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    // No typeperf (Wine has none) or no reading: the rows keep empty cells, and agent.json must not name
    // typeperf as their source. Likewise the per-process cells when tasklist named no image (Wine's prints nothing).
    const sources = this.sources as Record<string, string | undefined>;
    const proc = ['proc_cpu_pct', 'proc_rss_mb', 'proc_read_bps', 'proc_write_bps'];
    if (this.pid !== undefined && !this.target) for (const k of proc) sources[k] = 'none (tasklist named no image for the target pid)';
    if (!this.last) {
      const why = this.child ? 'none (typeperf gave no reading within 5 s)' : 'none (typeperf did not start or exited)';
      for (const k of Object.keys(sources)) if (!k.startsWith('gpu_') && !sources[k]?.startsWith('none')) sources[k] = why;
    }
  }

  private onLine(line: string): void {
    if (!line.startsWith('"')) return; // blank lines and typeperf's own messages
    if (!this.header) {
      this.header = splitCsvLine(line);
      return;
    }
    this.last = { row: parseTypeperfRow(this.header, line), at: Date.now() };
  }

  targetGone(): boolean {
    if (!this.gone && this.pid !== undefined && !pidAlive(this.pid)) this.gone = true;
    return this.gone;
  }

  sample(tUnixMs: number): MetricsRow {
    // A reading older than 2.5 s means typeperf stalled or died: empty cells rather than stale numbers.
    const fresh = this.last && Date.now() - this.last.at < 2500 ? this.last.row : [];
    const row = rowFromTypeperf(tUnixMs, fresh, this.total, this.target !== undefined && !this.targetGone());
    const g = this.gpu.latest();
    row.gpu_util_pct = g?.utilPct ?? null;
    row.gpu_mem_mb = g?.memMiB ?? null;
    return row;
  }

  close(): void {
    this.child?.kill();
    this.gpu.close();
  }
}
