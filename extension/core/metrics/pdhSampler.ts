import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { freemem, totalmem } from 'node:os';
import type { MetricsColumn, MetricsRow } from '../../shared/metrics';
import type { GpuReader } from './nvidiaSmi';
import {
  addFirst,
  busiestCore,
  gpuMemForPid,
  gpuUtilForPid,
  instanceForAdapter,
  instanceForPid,
  instanceOfPath,
  shareInstances,
  shareOfPath,
  sourceOf,
  statusText,
  sumOf,
  volumeOfFolder,
  type WindowsWatch,
} from './pdhCounters';

export type { WindowsWatch };
import { MB, MiB, emptyRow, pidAlive, rate, round, type MetricsSampler } from './sampler';
import type { PdhCounter, PdhItem, PdhQuery, WindowsPerfPort } from './windowsPerfPort';

// Windows metrics from PDH in the agent's own process (PETREL-WINDOWS.md "Counters at 1 Hz"; review S1-1, S1-2,
// S2-1…S2-6). English counter paths through PdhAddEnglishCounterW work on a German or Norwegian Windows too; one
// PdhCollectQueryData per tick reads every counter at the tick, so a row's rates cover exactly the second before
// its t_unix_ms (typeperf's rows ended on its own second boundary, up to a second earlier). Every counter is
// chosen from candidates at prime(): what this Windows (or Wine) lacks leaves its cells empty and agent.json
// names what was tried and why it was refused — never zeros.

type Row = MetricsRow;
type Reader = (row: Row) => void;
type ProcColumns = { cpu: MetricsColumn; rss: MetricsColumn; read: MetricsColumn; write: MetricsColumn };
const PROC: ProcColumns = { cpu: 'proc_cpu_pct', rss: 'proc_rss_mb', read: 'proc_read_bps', write: 'proc_write_bps' };
const FAST: ProcColumns = { cpu: 'fast_cpu_pct', rss: 'fast_rss_mb', read: 'fast_read_bps', write: 'fast_write_bps' };
const PROCESS_OBJECTS = [
  { object: 'Process V2', id: 'Process ID' },
  { object: 'Process', id: 'ID Process' },
] as const;

const set = (row: Row, column: MetricsColumn, v: number | null, digits: number) => {
  (row as Record<MetricsColumn, number | null>)[column] = v === null ? null : digits < 0 ? Math.round(v) : round(v, digits);
};

/** One process followed by pid through Process V2 (instances `image:pid`) or, where that object is missing, Process. */
class ProcessCounters {
  private counters: { cpu: PdhCounter; ws: PdhCounter; read: PdhCounter; write: PdhCounter } | undefined;
  private ids: PdhCounter | undefined;
  private instance: string | undefined;
  object: (typeof PROCESS_OBJECTS)[number] | undefined;
  /** Set once the object was found but the pid had no instance (exited, or another session's process hidden). */
  missing = false;

  constructor(
    private readonly query: PdhQuery,
    public pid: number,
  ) {}

  /** Finds the object and the pid's instance; the reasons each object was refused otherwise. */
  open(): string[] {
    const tried: string[] = [];
    for (const o of PROCESS_OBJECTS) {
      const ids = this.query.add(`\\${o.object}(*)\\${o.id}`);
      if (!ids.ok) {
        tried.push(`\\${o.object}: ${statusText(ids.status)}`);
        continue;
      }
      this.object = o;
      this.ids = ids.counter;
      this.resolve(true);
      return tried;
    }
    return tried;
  }

  /** (Re)reads which instance is the pid and re-adds the counters when the name changed. */
  private resolve(collect: boolean): void {
    // At a tick the query was just collected: collecting again would shorten every rate's interval.
    const c = collect ? this.query.collect() : ({ ok: true } as const);
    const items = c.ok ? this.query.items(this.ids!) : c;
    const instance = items.ok ? instanceForPid(items.items, this.pid) : undefined;
    this.missing = instance === undefined;
    if (instance === this.instance) return;
    this.drop();
    this.instance = instance;
    if (!instance) return;
    const add = (counter: string) => {
      const r = this.query.add(`\\${this.object!.object}(${instance})\\${counter}`);
      return r.ok ? r.counter : undefined;
    };
    const cpu = add('% Processor Time');
    const ws = add('Working Set');
    const read = add('IO Read Bytes/sec');
    const write = add('IO Write Bytes/sec');
    if (cpu && ws && read && write) this.counters = { cpu, ws, read, write };
  }

  private drop(): void {
    if (!this.counters) return;
    for (const c of Object.values(this.counters)) this.query.remove(c);
    this.counters = undefined;
  }

  /** A new pid (a restarted service): the old instance is dropped and the new one looked up. */
  follow(pid: number): void {
    this.pid = pid;
    this.instance = undefined;
    this.drop();
    if (this.ids) this.resolve(false);
  }

  get path(): string {
    return `\\${this.object?.object ?? 'Process V2'}(${this.object?.object === 'Process' ? 'image#N by ID Process' : 'image:pid'})`;
  }

  read(row: Row, cols: ProcColumns): void {
    // `Process` renumbers image#N when a same-named process exits: the ID Process array says where the pid is now.
    // Counters re-added this tick have no rate yet, so this row's cells stay empty rather than mix two processes.
    if (this.object?.object === 'Process') {
      const ids = this.query.items(this.ids!);
      const now = ids.ok ? instanceForPid(ids.items, this.pid) : undefined;
      if (now !== this.instance) {
        this.resolve(false);
        return;
      }
    }
    if (!this.counters) {
      this.missing = true;
      return;
    }
    const v = (c: PdhCounter) => {
      const r = this.query.value(c);
      return r.ok ? r.value : null;
    };
    const ws = v(this.counters.ws);
    // Process V2 keeps the name: a pid that exited shows as counters without an instance.
    this.missing = ws === null;
    set(row, cols.cpu, v(this.counters.cpu), 1);
    set(row, cols.rss, ws === null ? null : ws / MiB, 1);
    set(row, cols.read, v(this.counters.read), -1);
    set(row, cols.write, v(this.counters.write), -1);
  }

  close(): void {
    this.drop();
  }
}

/**
 * One process through a handle kept open (kernel32), where pdh.dll has no process object (Wine; a Windows whose
 * performance counters are disabled or corrupt). Rates from the totals of consecutive ticks.
 */
class HandleCounters {
  private prev: { at: number; cpuMs: number; readBytes: number; writeBytes: number } | undefined;
  exited = false;

  constructor(
    private readonly port: WindowsPerfPort,
    readonly pid: number,
  ) {}

  open(): { ok: true } | { ok: false; status: number } {
    const r = this.port.processTotals(this.pid);
    if (!r.ok) return r;
    this.prev = { at: performance.now(), ...r };
    return { ok: true };
  }

  read(row: Row, cols: ProcColumns): void {
    const r = this.port.processTotals(this.pid);
    if (!r.ok || r.exited) {
      this.exited = r.ok && r.exited;
      this.prev = undefined;
      return;
    }
    const at = performance.now();
    const p = this.prev;
    this.prev = { at, ...r };
    set(row, cols.rss, r.workingSetBytes === null ? null : r.workingSetBytes / MiB, 1);
    if (!p) return;
    const s = (at - p.at) / 1000;
    const cpuMsPerS = rate(p.cpuMs, r.cpuMs, s);
    // ms of CPU per second / 10 = % of one core.
    set(row, cols.cpu, cpuMsPerS === null ? null : cpuMsPerS / 10, 1);
    set(row, cols.read, rate(p.readBytes, r.readBytes, s), -1);
    set(row, cols.write, rate(p.writeBytes, r.writeBytes, s), -1);
  }

  close(): void {
    this.port.release(this.pid);
  }
}

type ProcessReader = { read(row: Row, cols: ProcColumns): void; close(): void };

export class WindowsPdhSampler implements MetricsSampler {
  readonly sources: Partial<Record<MetricsColumn, string>> = {};
  private query: PdhQuery | undefined;
  private readonly readers: Reader[] = [];
  private target: ProcessReader | undefined;
  private fast: ProcessReader | undefined;
  private gone = false;
  private smbSeen = false;
  private tick = 0;
  private readonly total = totalmem();
  /** CPU time (user + system) the agent spent in each sample(), for agent.json and bench figures. */
  readonly sampleCpuMs: number[] = [];

  constructor(
    private readonly port: WindowsPerfPort,
    private readonly pid: number | undefined,
    private readonly gpu: GpuReader,
    private readonly watch: WindowsWatch = {},
  ) {}

  private say(columns: MetricsColumn[], source: string): void {
    for (const c of columns) this.sources[c] = source;
  }

  /** A single-valued counter from candidates into one column. */
  private single(column: MetricsColumn, candidates: string[], convert: (v: number) => number, digits: number, note = ''): boolean {
    return this.column(column, candidates, note, digits, (q, counter) => {
      const r = q.value(counter);
      return r.ok ? convert(r.value) : null;
    });
  }

  /** A wildcard counter read as an array each tick and folded into one cell. */
  private array(column: MetricsColumn, candidates: string[], fold: (items: PdhItem[]) => number | null, digits: number, note = ''): boolean {
    return this.column(column, candidates, note, digits, (q, counter) => {
      const r = q.items(counter);
      return r.ok ? fold(r.items) : null;
    });
  }

  /** The first candidate PDH accepts feeds the column each tick; none accepted leaves it empty, saying what was tried. */
  private column(column: MetricsColumn, candidates: string[], note: string, digits: number, read: (q: PdhQuery, counter: PdhCounter) => number | null): boolean {
    const q = this.query!;
    const { counter, tried } = addFirst(q, candidates);
    if (!counter) {
      this.sources[column] = `none (${tried.join('; ')})`;
      return false;
    }
    this.sources[column] = sourceOf(counter.path, tried, note);
    this.readers.push((row) => set(row, column, read(q, counter), digits));
    return true;
  }

  async prime(): Promise<void> {
    const opened = this.port.openQuery();
    if (!opened.ok) throw new Error(`PdhOpenQueryW failed: ${statusText(opened.status)}`);
    const q = (this.query = opened.query);

    // S2-5: cpu_pct is `% Processor Time` — the share of time the cores were busy, the figure Linux's /proc/stat
    // gives, so A/B and Windows/Linux compare. `% Processor Utility` (Task Manager's, frequency-aware: turbo makes it
    // exceed 100, power saving shrinks it) is kept beside it in cpu_utility_pct. `Processor Information` is the
    // object that spans processor groups (> 64 logical processors); the legacy `Processor` is the fallback.
    this.single('cpu_pct', ['\\Processor Information(_Total)\\% Processor Time', '\\Processor(_Total)\\% Processor Time'], (v) => v, 1);
    this.single('cpu_utility_pct', ['\\Processor Information(_Total)\\% Processor Utility'], (v) => v, 1, '(frequency-aware, may exceed 100)');
    this.array('cpu_core_max_pct', ['\\Processor Information(*)\\% Processor Time', '\\Processor(*)\\% Processor Time'], busiestCore, 1, '(busiest core)');
    if (!this.single('ram_avail_mb', ['\\Memory\\Available Bytes'], (v) => v / MiB, 1, '(MiB)')) {
      this.sources.ram_avail_mb = `GlobalMemoryStatusEx ullAvailPhys via os.freemem() (MiB; ${this.sources.ram_avail_mb})`;
      this.readers.push((row) => set(row, 'ram_avail_mb', freemem() / MiB, 1));
    }
    this.sources.ram_used_mb = `total physical memory − ram_avail_mb (MiB)`;
    this.readers.push((row) => set(row, 'ram_used_mb', row.ram_avail_mb === null ? null : this.total / MiB - row.ram_avail_mb, 1));

    if (this.pid !== undefined) this.target = this.openProcess(this.pid, PROC, 'the target');
    else this.say(['proc_cpu_pct', 'proc_rss_mb', 'proc_read_bps', 'proc_write_bps'], 'none (no target pid)');
    this.openFast();
    this.openSmb();
    this.openDisk();
    await this.openNet();
    this.openGpu();
    // Rates need two readings: this one makes the first tick's row whole.
    q.collect();
  }

  private openProcess(pid: number, cols: ProcColumns, who: string): ProcessCounters | HandleCounters | undefined {
    const p = new ProcessCounters(this.query!, pid);
    const tried = p.open();
    const all = [cols.cpu, cols.rss, cols.read, cols.write];
    if (!p.object) {
      // No process object in this pdh.dll: the process's own handle, which also survives a reused pid.
      const h = new HandleCounters(this.port, pid);
      const opened = h.open();
      if (!opened.ok) {
        this.say(all, `none (${who}: ${tried.join('; ')}; OpenProcess/GetProcessTimes: ${statusText(opened.status)})`);
        return undefined;
      }
      const why = ` (pid ${pid}; no PDH process object: ${tried.join('; ')})`;
      this.sources[cols.cpu] = `kernel32 GetProcessTimes kernel+user (% of one core)${why}`;
      this.sources[cols.rss] = `kernel32 K32GetProcessMemoryInfo WorkingSetSize (MiB)${why}`;
      this.sources[cols.read] = `kernel32 GetProcessIoCounters ReadTransferCount (bytes/s of every read call, as IO Read Bytes/sec)${why}`;
      this.sources[cols.write] = `kernel32 GetProcessIoCounters WriteTransferCount (bytes/s)${why}`;
      return h;
    }
    const fell = (tried.length ? ` (${tried.join('; ')}: fell back)` : '') + (p.missing ? ` (pid ${pid} had no instance at the start: exited, or not visible to this user)` : '');
    this.sources[cols.cpu] = `pdh ${p.path}\\% Processor Time of pid ${pid} (% of one core)${fell}`;
    this.sources[cols.rss] = `pdh ${p.path}\\Working Set (MiB)${fell}`;
    this.sources[cols.read] = `pdh ${p.path}\\IO Read Bytes/sec (every read call: file, network and device I/O, OS-cache hits included; not paging reads of mapped files)${fell}`;
    this.sources[cols.write] = `pdh ${p.path}\\IO Write Bytes/sec${fell}`;
    return p;
  }

  private openFast(): void {
    const cols = [FAST.cpu, FAST.rss, FAST.read, FAST.write];
    let pid = this.watch.fastPid;
    if (pid === undefined && this.watch.fastService) {
      const r = this.port.servicePid(this.watch.fastService);
      if (!r.ok) return this.say(cols, `none (FAST service "${this.watch.fastService}": ${statusText(r.status)})`);
      if (r.pid === 0) return this.say(cols, `none (FAST service "${this.watch.fastService}" is not running)`);
      pid = r.pid;
    }
    if (pid === undefined) return this.say(cols, 'none (no FAST service in the config: modes.B_fast.serviceName)');
    this.fast = this.openProcess(pid, FAST, `FAST (pid ${pid}${this.watch.fastService ? ` of service ${this.watch.fastService}` : ''})`);
  }

  private openSmb(): void {
    const cols: MetricsColumn[] = ['smb_read_mbps', 'smb_read_req_ps', 'smb_read_ms'];
    let share = this.watch.nasShare;
    const mapped = this.watch.nasDataPath;
    if (!share && mapped) {
      // A mapped drive (Z:\…): its share is what SMB Client Shares names.
      const r = this.port.universalName(mapped);
      if (!r.ok) return this.say(cols, `none (${mapped} is on a drive letter and WNetGetUniversalNameW gave no UNC path: ${statusText(r.status)})`);
      share = shareOfPath(r.unc);
    }
    if (!share) return this.say(cols, 'none (no UNC NAS share in the config: modes.A_shared.dataPath as \\\\server\\share\\…)');
    const q = this.query!;
    const counters = ['Read Bytes/sec', 'Read Requests/sec', 'Avg. sec/Read'].map((c) => q.add(`\\SMB Client Shares(*)\\${c}`));
    const refused = counters.find((c) => !c.ok);
    if (refused && !refused.ok) return this.say(cols, `none (\\SMB Client Shares(*): ${statusText(refused.status)})`);
    const [bytes, reqs, lat] = counters.map((c) => (c.ok ? c.counter : undefined)) as PdhCounter[];
    const waiting = ' (empty until the share is connected)';
    this.sources.smb_read_mbps = `pdh \\SMB Client Shares(${share})\\Read Bytes/sec (MB/s)${waiting}`;
    this.sources.smb_read_req_ps = `pdh \\SMB Client Shares(${share})\\Read Requests/sec${waiting}`;
    this.sources.smb_read_ms = `pdh \\SMB Client Shares(${share})\\Avg. sec/Read (ms per read request)${waiting}`;
    this.readers.push((row) => {
      const b = q.items(bytes!);
      if (!b.ok) return;
      const names = shareInstances(
        b.items.map((i) => i.name),
        share,
      );
      if (!names.length) return;
      if (!this.smbSeen) {
        this.smbSeen = true;
        for (const c of cols) this.sources[c] = this.sources[c]!.replace(waiting, ` (instance ${names.join(', ')})`);
      }
      const r = q.items(reqs!);
      const l = q.items(lat!);
      const mb = sumOf(b.items, names);
      set(row, 'smb_read_mbps', mb === null ? null : mb / MB, 3);
      set(row, 'smb_read_req_ps', r.ok ? sumOf(r.items, names) : null, 1);
      // One share, one instance in practice; if the server is reached by two names, the mean of their averages.
      const ls = l.ok ? l.items.filter((i) => names.includes(i.name)).map((i) => i.value) : [];
      set(row, 'smb_read_ms', ls.length ? (1000 * ls.reduce((a, v) => a + v, 0)) / ls.length : null, 3);
    });
  }

  private openDisk(): void {
    const fromCache = this.watch.cacheFolder ? volumeOfFolder(this.watch.cacheFolder) : undefined;
    const volume = fromCache ?? volumeOfFolder(`${process.env.SystemDrive ?? 'C:'}\\`) ?? 'C:';
    const why = fromCache ? `(FAST cache volume of ${this.watch.cacheFolder}, MB/s)` : `(system volume: no FAST cacheFolder on a drive letter in the config, MB/s)`;
    for (const [col, counter] of [
      ['disk_read_mbps', 'Disk Read Bytes/sec'],
      ['disk_write_mbps', 'Disk Write Bytes/sec'],
    ] as const) {
      this.single(col, [`\\LogicalDisk(${volume})\\${counter}`], (v) => v / MB, 3, why);
    }
  }

  private async openNet(): Promise<void> {
    const cols: MetricsColumn[] = ['net_rx_mbps', 'net_tx_mbps'];
    const host = this.watch.routeHost;
    if (!host) {
      // No host to route by: every interface added up, and agent.json says that is what it is (review S2-2).
      const total = (items: PdhItem[]) => items.reduce((a, i) => a + i.value, 0) / MB;
      const why = '(summed over all interfaces: no NAS or Azure host in the config to route by; MB/s)';
      this.array('net_rx_mbps', ['\\Network Interface(*)\\Bytes Received/sec'], total, 3, why);
      this.array('net_tx_mbps', ['\\Network Interface(*)\\Bytes Sent/sec'], total, 3, why);
      return;
    }
    let address = host;
    if (!isIP(host)) {
      // The agent says hello only after prime(): a name server that does not answer must not hold it up.
      let timer: NodeJS.Timeout | undefined;
      try {
        address = await Promise.race([
          lookup(host).then((r) => r.address),
          new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no answer within 3 s')), 3000))),
        ]);
      } catch (e) {
        return this.say(cols, `none (cannot resolve ${host}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      } finally {
        clearTimeout(timer);
      }
    }
    const best = this.port.bestInterface(address);
    if (!best.ok) return this.say(cols, `none (GetBestInterfaceEx ${address}: ${statusText(best.status)})`);
    const adapters = this.port.adapters();
    const adapter = adapters.ok ? adapters.adapters.find((a) => a.ifIndex === best.ifIndex || a.ipv6IfIndex === best.ifIndex) : undefined;
    if (!adapter) return this.say(cols, `none (no adapter with interface index ${best.ifIndex}${adapters.ok ? '' : `: GetAdaptersAddresses ${statusText(adapters.status)}`})`);
    const tried: string[] = [];
    for (const object of ['Network Interface', 'Network Adapter']) {
      const listed = this.port.expand(`\\${object}(*)\\Bytes Received/sec`);
      if (!listed.ok) {
        tried.push(`\\${object}(*): ${statusText(listed.status)}`);
        continue;
      }
      const instance = instanceForAdapter(
        adapter,
        listed.paths.map((p) => instanceOfPath(p) ?? ''),
      );
      if (!instance) {
        tried.push(`\\${object} has no instance "${adapter.description}"`);
        continue;
      }
      const route = `(the interface routing to ${host} = ${address}: "${adapter.friendlyName}", MB/s)`;
      this.single('net_rx_mbps', [`\\${object}(${instance})\\Bytes Received/sec`], (v) => v / MB, 3, route);
      this.single('net_tx_mbps', [`\\${object}(${instance})\\Bytes Sent/sec`], (v) => v / MB, 3, route);
      return;
    }
    this.say(cols, `none (interface ${best.ifIndex} "${adapter.friendlyName}" routes to ${host}, but ${tried.join('; ')})`);
  }

  private openGpu(): void {
    const cols: MetricsColumn[] = ['gpu_util_pct', 'gpu_mem_mb'];
    if (!this.gpu.source.startsWith('none')) {
      this.say(cols, `${this.gpu.source} (device-level under WDDM: every process on the GPU)`);
      this.readers.push((row) => {
        const g = this.gpu.latest();
        row.gpu_util_pct = g?.utilPct ?? null;
        row.gpu_mem_mb = g?.memMiB ?? null;
      });
      return;
    }
    if (this.pid === undefined) return this.say(cols, `none (${this.gpu.source}; per-process GPU counters need a target pid)`);
    const pid = this.pid;
    // The partial wildcard keeps the array to this process's engines; the full one is the fallback, filtered here.
    this.array(
      'gpu_util_pct',
      [`\\GPU Engine(pid_${pid}_*)\\Utilization Percentage`, '\\GPU Engine(*)\\Utilization Percentage'],
      (items) => gpuUtilForPid(items, pid),
      1,
      `(target's engines, busiest engine type; no nvidia-smi)`,
    );
    this.array(
      'gpu_mem_mb',
      [`\\GPU Process Memory(pid_${pid}_*)\\Dedicated Usage`, '\\GPU Process Memory(*)\\Dedicated Usage'],
      (items) => {
        const b = gpuMemForPid(items, pid);
        return b === null ? null : b / MiB;
      },
      1,
      `(target's dedicated GPU memory, MiB; no nvidia-smi)`,
    );
  }

  targetGone(): boolean {
    // A kept handle knows for sure (a reused pid cannot pass for the target); otherwise ask by pid.
    if (this.target instanceof HandleCounters && this.target.exited) this.gone = true;
    if (!this.gone && this.pid !== undefined && !pidAlive(this.pid)) this.gone = true;
    return this.gone;
  }

  sample(tUnixMs: number): MetricsRow {
    const c0 = process.cpuUsage();
    const row = emptyRow(tUnixMs);
    const q = this.query!;
    const collected = q.collect();
    if (collected.ok) {
      for (const r of this.readers) r(row);
      // An exited target has no instance any more: its cells come out empty without asking the OS again.
      this.target?.read(row, PROC);
      if (this.fast) {
        // A restarted FAST service has a new pid: look it up again (every 5 ticks while its process is missing).
        const f = this.fast;
        const lost = f instanceof ProcessCounters ? f.missing : (f as HandleCounters).exited;
        if (lost && this.watch.fastService && this.tick % 5 === 0) {
          const r = this.port.servicePid(this.watch.fastService);
          if (r.ok && r.pid && r.pid !== (f as ProcessCounters | HandleCounters).pid) {
            if (f instanceof ProcessCounters) f.follow(r.pid);
            else {
              f.close();
              const h = new HandleCounters(this.port, r.pid);
              if (h.open().ok) this.fast = h;
            }
          }
        }
        this.fast.read(row, FAST);
      }
    }
    this.tick++;
    const used = process.cpuUsage(c0);
    this.sampleCpuMs.push((used.user + used.system) / 1000);
    return row;
  }

  close(): void {
    this.target?.close();
    this.fast?.close();
    this.query?.close();
    this.query = undefined;
    this.gpu.close();
  }
}
