import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NO_GPU } from '../../extension/core/metrics/nvidiaSmi';
import {
  busiestCore,
  chooseWindowsSampler,
  gpuMemForPid,
  gpuUtilForPid,
  instanceForAdapter,
  instanceForPid,
  instanceOfPath,
  pdhAdapterName,
  shareInstances,
  shareOfPath,
  statusText,
  volumeOfFolder,
  watchFromConfig,
} from '../../extension/core/metrics/pdhCounters';
import { WindowsPdhSampler } from '../../extension/core/metrics/pdhSampler';
import type { PdhCounter, PdhItem, PdhQuery, WindowsPerfPort } from '../../extension/core/metrics/windowsPerfPort';

// The pure half of the Windows PDH sampler, and the sampler itself over a fake pdh.dll that behaves as PDH does:
// unknown objects refused at add time, wildcard counters read as arrays, rates invalid until the second collect,
// `Process` instances renumbered when a same-named process exits. The real pdh.dll: test/wine/pdh.test.ts (Wine)
// and test/wine/windowsOnly.test.ts (real Windows).

const NO_OBJECT = 0xc0000bb8;
const NO_INSTANCE = 0x800007d1;
const INVALID_DATA = 0xc0000bba;

test('status codes read as PDH names with the hex code', () => {
  assert.equal(statusText(NO_OBJECT), 'PDH_CSTATUS_NO_OBJECT (0xC0000BB8)');
  assert.equal(statusText(-1073738824), 'PDH_CSTATUS_NO_OBJECT (0xC0000BB8)', 'a signed LONG reads the same');
  assert.equal(statusText(0x12345), '0x00012345');
});

test('the instance of a pid: Process by ID Process, Process V2 by its image:pid name; never _Total', () => {
  const legacy: PdhItem[] = [
    { name: '_Total', value: 0 },
    { name: 'Idle', value: 0 },
    { name: 'Petrel', value: 4100 },
    { name: 'Petrel#1', value: 5200 },
  ];
  assert.equal(instanceForPid(legacy, 5200), 'Petrel#1');
  assert.equal(instanceForPid(legacy, 4100), 'Petrel');
  assert.equal(instanceForPid(legacy, 9), undefined);
  assert.equal(instanceForPid(legacy, 0), 'Idle', 'pid 0 is Idle, not _Total');
  const v2: PdhItem[] = [
    { name: 'Petrel:5200', value: 5200 },
    { name: 'svchost:812', value: 812 },
  ];
  assert.equal(instanceForPid(v2, 5200), 'Petrel:5200');
});

test('adapter descriptions become PDH instance names; the routed adapter is found among the instances, without case', () => {
  assert.equal(pdhAdapterName('Intel(R) Ethernet Connection (7) I219-LM #2'), 'Intel[R] Ethernet Connection [7] I219-LM _2');
  assert.equal(pdhAdapterName('Hyper-V Virtual Ethernet Adapter/1\\x'), 'Hyper-V Virtual Ethernet Adapter_1_x');
  const instances = ['Intel[R] Ethernet Connection I219-LM', 'Hyper-V Virtual Ethernet Adapter', 'Intel[R] Ethernet Connection I219-LM _2'];
  assert.equal(instanceForAdapter({ description: 'Intel(R) Ethernet Connection I219-LM #2' }, instances), 'Intel[R] Ethernet Connection I219-LM _2');
  assert.equal(instanceForAdapter({ description: 'hyper-v virtual ethernet adapter' }, instances), 'Hyper-V Virtual Ethernet Adapter');
  assert.equal(instanceForAdapter({ description: 'Wi-Fi 6 AX201' }, instances), undefined);
  assert.equal(instanceOfPath('\\\\WS01\\Network Interface(Intel[R] I219-LM _2)\\Bytes Received/sec'), 'Intel[R] I219-LM _2');
  assert.equal(instanceOfPath('\\SMB Client Shares(\\nas01\\seismic)\\Read Bytes/sec'), '\\nas01\\seismic');
  assert.equal(instanceOfPath('\\Memory\\Available Bytes'), undefined);
});

test('the NAS share of a data path, its SMB Client Shares instance, and the volume of a cache folder', () => {
  assert.equal(shareOfPath('\\\\nas01\\seismic\\surveys\\vol.zgy'), '\\\\nas01\\seismic');
  assert.equal(shareOfPath('//nas01/seismic/vol.zgy'), '\\\\nas01\\seismic');
  assert.equal(shareOfPath('\\\\?\\UNC\\nas01\\seismic\\vol.zgy'), '\\\\nas01\\seismic');
  assert.equal(shareOfPath('\\Device\\Mup\\nas01\\seismic\\vol.zgy'), '\\\\nas01\\seismic');
  assert.equal(shareOfPath('Z:\\surveys\\vol.zgy'), undefined, 'a mapped drive has no share in its name');
  const names = ['\\nas01\\IPC$', '\\NAS01\\Seismic', '\\nas02\\seismic', '_Total'];
  assert.deepEqual(shareInstances(names, '\\\\nas01\\seismic'), ['\\NAS01\\Seismic']);
  assert.deepEqual(shareInstances(['\\\\nas01\\seismic\\'], '\\\\nas01\\seismic'), ['\\\\nas01\\seismic\\']);
  assert.equal(volumeOfFolder('D:\\FAST\\cache'), 'D:');
  assert.equal(volumeOfFolder('d:/fast'), 'D:');
  assert.equal(volumeOfFolder('\\\\?\\E:\\cache'), 'E:');
  assert.equal(volumeOfFolder('\\\\srv\\share\\cache'), undefined);
  assert.equal(volumeOfFolder('cache'), undefined);
});

test('wildcard arrays fold into one cell: busiest core, GPU engines per type, GPU memory of one pid', () => {
  assert.equal(
    busiestCore([
      { name: '0,0', value: 20 },
      { name: '0,1', value: 75 },
      { name: '0,_Total', value: 47 },
      { name: '_Total', value: 47 },
    ]),
    75,
  );
  assert.equal(busiestCore([{ name: '_Total', value: 3 }]), null);
  const engines: PdhItem[] = [
    { name: 'pid_5200_luid_0x0_0xD1_phys_0_eng_0_engtype_3D', value: 30 },
    { name: 'pid_5200_luid_0x0_0xD1_phys_0_eng_1_engtype_3D', value: 25 },
    { name: 'pid_5200_luid_0x0_0xD1_phys_0_eng_5_engtype_Copy', value: 40 },
    { name: 'pid_52001_luid_0x0_0xD1_phys_0_eng_0_engtype_3D', value: 99 },
    { name: 'pid_812_luid_0x0_0xD1_phys_0_eng_0_engtype_3D', value: 80 },
  ];
  assert.equal(gpuUtilForPid(engines, 5200), 55, '3D engines summed (55) beat Copy (40); pid 52001 is another process');
  assert.equal(gpuUtilForPid(engines, 4), null);
  const mem: PdhItem[] = [
    { name: 'pid_5200_luid_0x00000000_0x0000D1B8_phys_0', value: 512 * 1024 * 1024 },
    { name: 'pid_5200_luid_0x00000000_0x0000E2C1_phys_0', value: 256 * 1024 * 1024 },
    { name: 'pid_812_luid_0x00000000_0x0000D1B8_phys_0', value: 1 },
  ];
  assert.equal(gpuMemForPid(mem, 5200), 768 * 1024 * 1024);
});

test('Windows sampler: PDH when it loads, typeperf only when it cannot, and the reason either way', () => {
  assert.equal(chooseWindowsSampler(() => ({ ok: true })).sampler, 'pdh');
  const fell = chooseWindowsSampler(() => ({ ok: false, error: 'Cannot find module koffi' }));
  assert.equal(fell.sampler, 'typeperf');
  assert.match(fell.why, /typeperf fallback: PDH could not be used in-process \(Cannot find module koffi\)/);
});

test('what a run watches comes from the config: NAS share, FAST cache folder and service, the host of the mode', () => {
  const config = {
    modes: {
      A_shared: { dataPath: '\\\\nas01\\seismic\\vol.zgy' },
      B_fast: { dataPath: 'F:\\vol.zgy', cacheFolder: 'D:\\FAST\\cache', serviceName: 'FASTService', logFormat: 'fastcache-v1', keepRotated: 2 },
    },
    azure: { accountUrl: 'https://acct.blob.core.windows.net', container: 'c', blob: 'b' },
  };
  assert.deepEqual(watchFromConfig(config, 'A_shared'), { nasShare: '\\\\nas01\\seismic', cacheFolder: 'D:\\FAST\\cache', fastService: 'FASTService', routeHost: 'nas01' });
  assert.equal(watchFromConfig(config, 'B_fast').routeHost, 'acct.blob.core.windows.net');
  assert.equal(watchFromConfig({ ...config, probe: { tries: 5, nas: { host: '10.0.0.5', port: 445, streams: 4, writeTest: false } } }, 'A_shared').routeHost, '10.0.0.5');
  assert.deepEqual(watchFromConfig({ modes: {} }), {});
});

// ---------------------------------------------------------------- the sampler over a fake pdh.dll

type FakeCounter = PdhCounter & { id: number };

/** A machine as PDH shows it: objects → instances → counters → a function of the collect number. */
class FakePdh implements PdhQuery {
  collects = 0;
  added: string[] = [];
  removed: string[] = [];
  private next = 0;
  /** `Process` instance names by pid (renumbered by the test to imitate an exit). */
  constructor(
    public objects: Record<string, Record<string, Record<string, (n: number) => number>>>,
    private readonly rates: Set<string> = new Set(),
    /** Wine's pdh.dll matches paths literally: a wildcard instance is refused at add time. */
    private readonly wildcards = true,
  ) {}

  private parse(path: string) {
    const m = /^\\([^\\(]+)(?:\((.*)\))?\\(.+)$/.exec(path)!;
    return { object: m[1]!, instance: m[2] ?? '', counter: m[3]! };
  }

  add(path: string) {
    const p = this.parse(path);
    const o = this.objects[p.object];
    if (!o || (!this.wildcards && p.instance.includes('*'))) return { ok: false as const, status: NO_OBJECT };
    const any = Object.values(o)[0] ?? {};
    if (!(p.counter in any)) return { ok: false as const, status: 0xc0000bb9 };
    this.added.push(path);
    return { ok: true as const, counter: { path, id: this.next++ } as FakeCounter };
  }

  remove(c: PdhCounter) {
    this.removed.push(c.path);
  }

  collect() {
    this.collects++;
    return { ok: true as const };
  }

  private matches(pattern: string, name: string) {
    if (pattern === '*') return true;
    if (pattern.endsWith('*')) return name.startsWith(pattern.slice(0, -1));
    return pattern === name;
  }

  private read(p: { object: string; instance: string; counter: string }, name: string) {
    const f = this.objects[p.object]?.[name]?.[p.counter];
    if (!f) return undefined;
    // A rate has no value before its second collect.
    if (this.rates.has(p.counter) && this.collects < 2) return undefined;
    return f(this.collects);
  }

  value(c: PdhCounter) {
    const p = this.parse(c.path);
    const v = this.read(p, p.instance);
    return v === undefined ? { ok: false as const, status: this.objects[p.object]?.[p.instance] ? INVALID_DATA : NO_INSTANCE } : { ok: true as const, value: v };
  }

  items(c: PdhCounter) {
    const p = this.parse(c.path);
    const items: PdhItem[] = [];
    for (const name of Object.keys(this.objects[p.object] ?? {})) {
      if (!this.matches(p.instance, name)) continue;
      const v = this.read(p, name);
      if (v !== undefined) items.push({ name, value: v });
    }
    return { ok: true as const, items };
  }

  close() {}
}

function port(q: FakePdh, extra: Partial<WindowsPerfPort> = {}): WindowsPerfPort {
  return {
    openQuery: () => ({ ok: true, query: q }),
    expand: (path) => {
      const m = /^\\([^\\(]+)\(\*\)\\(.+)$/.exec(path)!;
      const o = q.objects[m[1]!];
      return o ? { ok: true, paths: Object.keys(o).map((i) => `\\\\HOST\\${m[1]}(${i})\\${m[2]}`) } : { ok: false, status: NO_OBJECT };
    },
    bestInterface: () => ({ ok: true, ifIndex: 12 }),
    adapters: () => ({
      ok: true,
      adapters: [
        { ifIndex: 7, ipv6IfIndex: 7, description: 'Hyper-V Virtual Ethernet Adapter', friendlyName: 'vEthernet (Default Switch)' },
        { ifIndex: 12, ipv6IfIndex: 12, description: 'Intel(R) Ethernet Connection I219-LM', friendlyName: 'Ethernet' },
      ],
    }),
    servicePid: () => ({ ok: true, pid: 900 }),
    processTotals: () => ({ ok: false, status: 5 }),
    universalName: (p) => (p.startsWith('Z:') ? { ok: true, unc: `\\\\nas01\\seismic${p.slice(2)}` } : { ok: false, status: 2250 }),
    release: () => {},
    ...extra,
  };
}

const proc = (pid: number, cpu: number) => ({
  'ID Process': () => pid,
  'Process ID': () => pid,
  '% Processor Time': () => cpu,
  'Working Set': () => 100 * 1024 * 1024,
  'IO Read Bytes/sec': () => 2e6,
  'IO Write Bytes/sec': () => 1e3,
});
const RATES = new Set([
  '% Processor Time',
  'IO Read Bytes/sec',
  'IO Write Bytes/sec',
  'Read Bytes/sec',
  'Read Requests/sec',
  'Avg. sec/Read',
  'Bytes Received/sec',
  'Bytes Sent/sec',
  'Disk Read Bytes/sec',
  'Disk Write Bytes/sec',
  '% Processor Utility',
  'Utilization Percentage',
]);

/** A Windows 10 without Process V2, with two Petrel processes, an SMB share, a Hyper-V switch and a GPU. */
function workstation(): FakePdh {
  return new FakePdh(
    {
      'Processor Information': {
        _Total: { '% Processor Time': () => 40, '% Processor Utility': () => 55 },
        '0,0': { '% Processor Time': () => 30, '% Processor Utility': () => 0 },
        '0,1': { '% Processor Time': () => 50, '% Processor Utility': () => 0 },
      },
      Processor: { _Total: { '% Processor Time': () => 41 } },
      Memory: { '': { 'Available Bytes': () => 8 * 1024 ** 3 } },
      Process: { _Total: proc(0, 200), Idle: proc(0, 100), Petrel: proc(4100, 10), 'Petrel#1': proc(5200, 150), FASTSvc: proc(900, 12) },
      'SMB Client Shares': {
        '\\nas01\\seismic': { 'Read Bytes/sec': () => 50e6, 'Read Requests/sec': () => 48, 'Avg. sec/Read': () => 0.0042 },
        '\\nas01\\IPC$': { 'Read Bytes/sec': () => 1, 'Read Requests/sec': () => 1, 'Avg. sec/Read': () => 1 },
      },
      LogicalDisk: { 'D:': { 'Disk Read Bytes/sec': () => 3e6, 'Disk Write Bytes/sec': () => 1e6 }, 'C:': { 'Disk Read Bytes/sec': () => 9e9, 'Disk Write Bytes/sec': () => 9e9 } },
      'Network Interface': {
        'Intel[R] Ethernet Connection I219-LM': { 'Bytes Received/sec': () => 60e6, 'Bytes Sent/sec': () => 1e6 },
        'Hyper-V Virtual Ethernet Adapter': { 'Bytes Received/sec': () => 60e6, 'Bytes Sent/sec': () => 1e6 },
      },
      'GPU Engine': {
        pid_5200_luid_0x0_0xD1_phys_0_eng_0_engtype_3D: { 'Utilization Percentage': () => 35 },
        pid_812_luid_0x0_0xD1_phys_0_eng_0_engtype_3D: { 'Utilization Percentage': () => 90 },
      },
      'GPU Process Memory': { pid_5200_luid_0x0_0xD1_phys_0: { 'Dedicated Usage': () => 300 * 1024 * 1024 } },
    },
    RATES,
  );
}

const WATCH = { nasShare: '\\\\nas01\\seismic', cacheFolder: 'D:\\FAST\\cache', fastService: 'FASTSvc', routeHost: '10.1.2.3' };

test('PDH sampler: every column from its counter at the tick, Process found by pid, NAS share, cache volume, routed interface, FAST', async () => {
  const q = workstation();
  const s = new WindowsPdhSampler(port(q), 5200, NO_GPU, WATCH);
  await s.prime();
  const row = s.sample(1_700_000_000_000);
  assert.equal(row.t_unix_ms, 1_700_000_000_000, 'stamped with the tick');
  assert.equal(row.cpu_pct, 40, '% Processor Time of Processor Information, not Processor');
  assert.equal(row.cpu_utility_pct, 55);
  assert.equal(row.cpu_core_max_pct, 50);
  assert.equal(row.ram_avail_mb, 8192);
  assert.equal(row.proc_cpu_pct, 150, 'Petrel#1 is pid 5200');
  assert.equal(row.proc_rss_mb, 100);
  assert.equal(row.proc_read_bps, 2e6);
  assert.equal(row.fast_cpu_pct, 12, 'the FAST service process, by its service pid');
  assert.equal(row.smb_read_mbps, 50, 'only the NAS share, not IPC$');
  assert.equal(row.smb_read_req_ps, 48);
  assert.equal(row.smb_read_ms, 4.2);
  assert.equal(row.disk_read_mbps, 3, 'the cache folder volume D:, not C:');
  assert.equal(row.net_rx_mbps, 60, 'the routed interface only: the Hyper-V copy is not added');
  assert.equal(row.gpu_util_pct, 35, 'the target process engines, not pid 812');
  assert.equal(row.gpu_mem_mb, 300);
  assert.match(s.sources.proc_cpu_pct!, /^pdh \\Process\(image#N by ID Process\).*\\Process V2: PDH_CSTATUS_NO_OBJECT.*fell back/);
  assert.match(s.sources.net_rx_mbps!, /Network Interface\(Intel\[R\] Ethernet Connection I219-LM\).*routing to 10\.1\.2\.3.*"Ethernet"/);
  assert.match(s.sources.smb_read_mbps!, /instance \\nas01\\seismic/, 'agent.json names the instance once seen');
  assert.match(s.sources.disk_read_mbps!, /LogicalDisk\(D:\).*FAST cache volume/);
  assert.equal(q.collects, 4, 'prime: one collect per process lookup and one to start the rates; then one per tick');
  s.sample(1_700_000_001_000);
  assert.equal(q.collects, 5, 'exactly one PdhCollectQueryData per tick');
});

test('PDH sampler: when a same-named process exits, Process renumbers; the pid is found again under its new name', async () => {
  const q = workstation();
  const s = new WindowsPdhSampler(port(q), 5200, NO_GPU, WATCH);
  await s.prime();
  assert.equal(s.sample(1).proc_cpu_pct, 150);
  // Petrel (4100) exits: pid 5200 is now "Petrel".
  const procs = q.objects.Process!;
  delete procs['Petrel#1'];
  procs.Petrel = proc(5200, 160);
  const shifted = s.sample(2);
  assert.equal(shifted.proc_cpu_pct, null, 'the tick of the shift has no rate for the new name: empty, not the other process');
  assert.ok(q.added.includes('\\Process(Petrel)\\% Processor Time'), 'counters re-added for the new instance');
  assert.ok(q.removed.includes('\\Process(Petrel#1)\\% Processor Time'), 'and the old ones removed');
  assert.equal(s.sample(3).proc_cpu_pct, 160);
});

test('PDH sampler: Process V2 is used where it exists (instance image:pid)', async () => {
  const q = workstation();
  q.objects['Process V2'] = { 'Petrel:5200': proc(5200, 90), 'FASTSvc:900': proc(900, 5) };
  const s = new WindowsPdhSampler(port(q), 5200, NO_GPU, WATCH);
  await s.prime();
  assert.equal(s.sample(1).proc_cpu_pct, 90);
  assert.ok(q.added.includes('\\Process V2(Petrel:5200)\\IO Read Bytes/sec'));
  assert.match(s.sources.proc_read_bps!, /^pdh \\Process V2\(image:pid\)\\IO Read Bytes\/sec/);
  assert.doesNotMatch(s.sources.proc_read_bps!, /fell back/);
});

test('PDH sampler on a machine like Wine: what is missing is empty with its reason, never zero', async () => {
  const q = new FakePdh({ Processor: { _Total: { '% Processor Time': () => 12 } }, System: { '': { 'System Up Time': () => 100 } } }, RATES, false);
  let calls = 0;
  const released: number[] = [];
  const totals = (pid: number) => {
    calls++;
    return pid === 4242
      ? { ok: true as const, exited: calls > 3, cpuMs: 100 * calls, workingSetBytes: 64 * 1024 * 1024, readBytes: 1e6 * calls, writeBytes: 0 }
      : { ok: false as const, status: 87 };
  };
  const s = new WindowsPdhSampler(
    port(q, { expand: () => ({ ok: false, status: NO_OBJECT }), servicePid: () => ({ ok: false, status: 1060 }), processTotals: totals, release: (pid) => released.push(pid) }),
    4242,
    NO_GPU,
    WATCH,
  );
  await s.prime();
  const row = s.sample(5);
  // No process object: the target's own handle (kernel32) gives its columns, and says so.
  assert.ok(row.proc_cpu_pct! > 0 && row.proc_read_bps! > 0, 'rates from two handle readings');
  assert.equal(row.proc_rss_mb, 64);
  assert.match(s.sources.proc_cpu_pct!, /^kernel32 GetProcessTimes.*no PDH process object: \\Process V2: PDH_CSTATUS_NO_OBJECT/);
  s.sample(6);
  const after = s.sample(7);
  assert.equal(after.proc_cpu_pct, null, 'the handle says the process exited: empty cells');
  s.close();
  assert.deepEqual(released, [4242], 'the handle is closed with the sampler');
  assert.equal(row.cpu_pct, 12);
  assert.match(s.sources.cpu_pct!, /^pdh \\Processor\(_Total\)\\% Processor Time \(not available: \\Processor Information\(_Total\)\\% Processor Time: PDH_CSTATUS_NO_OBJECT/);
  assert.ok(row.ram_avail_mb! > 0, 'available memory from GlobalMemoryStatusEx when \\Memory is missing');
  for (const c of ['cpu_core_max_pct', 'smb_read_mbps', 'disk_read_mbps', 'net_rx_mbps', 'fast_cpu_pct', 'gpu_util_pct', 'cpu_utility_pct'] as const) {
    assert.equal(row[c], null, `${c} empty`);
    assert.match(s.sources[c]!, /^none \(.+\)$/, `${c}: agent.json says none and why (${s.sources[c]})`);
  }
  assert.match(s.sources.fast_cpu_pct!, /FAST service "FASTSvc": ERROR_SERVICE_DOES_NOT_EXIST/);
  assert.match(s.sources.net_rx_mbps!, /Network Interface\(\*\): PDH_CSTATUS_NO_OBJECT/);
  assert.match(s.sources.smb_read_mbps!, /SMB Client Shares\(\*\): PDH_CSTATUS_NO_OBJECT/);
});

test('PDH sampler: without a host to route by, every interface is added up and agent.json says so', async () => {
  const q = workstation();
  const s = new WindowsPdhSampler(port(q), undefined, NO_GPU, {});
  await s.prime();
  const row = s.sample(1);
  assert.equal(row.net_rx_mbps, 120);
  assert.match(s.sources.net_rx_mbps!, /summed over all interfaces: no NAS or Azure host/);
  assert.match(s.sources.smb_read_mbps!, /^none \(no UNC NAS share in the config/);
  assert.match(s.sources.disk_read_mbps!, /LogicalDisk\(C:\).*system volume/);
  assert.equal(row.proc_cpu_pct, null);
});

test('PDH sampler: a route host that does not resolve leaves the network columns empty, with the reason', async () => {
  const s = new WindowsPdhSampler(port(workstation()), undefined, NO_GPU, { routeHost: 'no-such-host.invalid' });
  await s.prime();
  assert.equal(s.sample(1).net_rx_mbps, null);
  assert.match(s.sources.net_rx_mbps!, /^none \(cannot resolve no-such-host\.invalid: /);
});

test('PDH sampler: NAS data on a mapped drive is measured on the share the drive maps', async () => {
  const q = workstation();
  const s = new WindowsPdhSampler(port(q), undefined, NO_GPU, { nasDataPath: 'Z:\\surveys\\vol.zgy' });
  await s.prime();
  assert.equal(s.sample(1).smb_read_mbps, 50);
  const unmapped = new WindowsPdhSampler(port(workstation()), undefined, NO_GPU, { nasDataPath: 'Y:\\vol.zgy' });
  await unmapped.prime();
  assert.match(unmapped.sources.smb_read_mbps!, /^none \(Y:\\vol\.zgy is on a drive letter and WNetGetUniversalNameW gave no UNC path: ERROR_NOT_CONNECTED \(0x000008CA\)\)/);
  assert.deepEqual(watchFromConfig({ modes: { A_shared: { dataPath: 'Z:\\vol.zgy' } } }), { nasDataPath: 'Z:\\vol.zgy' });
});
