import koffi from 'koffi';
import type { NetAdapter, PdhCounter, PdhItem, PdhQuery, WindowsPerfPort } from '../../core/metrics/windowsPerfPort';

// pdh.dll, iphlpapi.dll and the service manager through koffi, for the metrics agent (x64 only). Lives with the
// other native code; the agent loads it only on Windows, and the core sees it through WindowsPerfPort. Type names
// carry a PDH_ prefix because koffi's type registry is per process and the driver declares its own.

const PDH_FMT_DOUBLE = 0x200;
const PDH_FMT_NOSCALE = 0x1000;
const PDH_FMT_NOCAP100 = 0x8000;
const FORMAT = PDH_FMT_DOUBLE | PDH_FMT_NOSCALE | PDH_FMT_NOCAP100;
const PDH_MORE_DATA = 0x800007d2;
const PDH_CSTATUS_VALID_DATA = 0;
const PDH_CSTATUS_NEW_DATA = 1;
const ERROR_BUFFER_OVERFLOW = 111;
const ITEM_SIZE = 24; // PDH_FMT_COUNTERVALUE_ITEM_W: szName pointer, then { CStatus, pad, double } at 8

function bind() {
  const pdh = koffi.load('pdh.dll');
  const iphlpapi = koffi.load('iphlpapi.dll');
  const advapi32 = koffi.load('advapi32.dll');
  const kernel32 = koffi.load('kernel32.dll');
  const handle = koffi.pointer('PDH_HANDLE', koffi.opaque('PDH_OPAQUE'));
  // The head of IP_ADAPTER_ADDRESSES_LH, up to Ipv6IfIndex (offset 108): the rest is not needed.
  const adapter = koffi.struct('PDH_IP_ADAPTER_ADDRESSES_HEAD', {
    Length: 'uint32',
    IfIndex: 'uint32',
    Next: 'void *',
    AdapterName: 'void *',
    FirstUnicastAddress: 'void *',
    FirstAnycastAddress: 'void *',
    FirstMulticastAddress: 'void *',
    FirstDnsServerAddress: 'void *',
    DnsSuffix: 'str16',
    Description: 'str16',
    FriendlyName: 'str16',
    PhysicalAddress: koffi.array('uint8', 8),
    PhysicalAddressLength: 'uint32',
    Flags: 'uint32',
    Mtu: 'uint32',
    IfType: 'uint32',
    OperStatus: 'int32',
    Ipv6IfIndex: 'uint32',
  });
  return {
    handle,
    adapter,
    PdhOpenQueryW: pdh.func('uint32 __stdcall PdhOpenQueryW(const char16_t *source, uintptr_t user, _Out_ PDH_HANDLE *query)'),
    PdhAddEnglishCounterW: pdh.func('uint32 __stdcall PdhAddEnglishCounterW(PDH_HANDLE query, const char16_t *path, uintptr_t user, _Out_ PDH_HANDLE *counter)'),
    PdhRemoveCounter: pdh.func('uint32 __stdcall PdhRemoveCounter(PDH_HANDLE counter)'),
    PdhCollectQueryData: pdh.func('uint32 __stdcall PdhCollectQueryData(PDH_HANDLE query)'),
    // PDH_FMT_COUNTERVALUE (16 bytes: CStatus, padding, the value union at 8) read from a buffer: see valueAt.
    PdhGetFormattedCounterValue: pdh.func('uint32 __stdcall PdhGetFormattedCounterValue(PDH_HANDLE counter, uint32 format, void *type, void *value)'),
    PdhGetFormattedCounterArrayW: pdh.func(
      'uint32 __stdcall PdhGetFormattedCounterArrayW(PDH_HANDLE counter, uint32 format, _Inout_ uint32 *size, _Out_ uint32 *count, void *items)',
    ),
    PdhExpandWildCardPathW: pdh.func('uint32 __stdcall PdhExpandWildCardPathW(const char16_t *source, const char16_t *path, void *list, _Inout_ uint32 *length, uint32 flags)'),
    PdhCloseQuery: pdh.func('uint32 __stdcall PdhCloseQuery(PDH_HANDLE query)'),
    GetBestInterfaceEx: iphlpapi.func('uint32 __stdcall GetBestInterfaceEx(void *dest, _Out_ uint32 *index)'),
    GetAdaptersAddresses: iphlpapi.func('uint32 __stdcall GetAdaptersAddresses(uint32 family, uint32 flags, void *reserved, void *buffer, _Inout_ uint32 *size)'),
    OpenSCManagerW: advapi32.func('PDH_HANDLE __stdcall OpenSCManagerW(const char16_t *machine, const char16_t *db, uint32 access)'),
    OpenServiceW: advapi32.func('PDH_HANDLE __stdcall OpenServiceW(PDH_HANDLE scm, const char16_t *name, uint32 access)'),
    QueryServiceStatusEx: advapi32.func('int __stdcall QueryServiceStatusEx(PDH_HANDLE service, int level, _Out_ uint8_t *buffer, uint32 size, _Out_ uint32 *needed)'),
    CloseServiceHandle: advapi32.func('int __stdcall CloseServiceHandle(PDH_HANDLE h)'),
    GetLastError: kernel32.func('uint32 __stdcall GetLastError()'),
    WNetGetUniversalNameW: koffi.load('mpr.dll').func('uint32 __stdcall WNetGetUniversalNameW(const char16_t *path, uint32 level, void *buffer, _Inout_ uint32 *size)'),
    OpenProcess: kernel32.func('PDH_HANDLE __stdcall OpenProcess(uint32 access, int inherit, uint32 pid)'),
    CloseHandle: kernel32.func('int __stdcall CloseHandle(PDH_HANDLE h)'),
    GetExitCodeProcess: kernel32.func('int __stdcall GetExitCodeProcess(PDH_HANDLE h, _Out_ uint32 *code)'),
    GetProcessTimes: kernel32.func('int __stdcall GetProcessTimes(PDH_HANDLE h, _Out_ uint64 *creation, _Out_ uint64 *exit, _Out_ uint64 *kernel, _Out_ uint64 *user)'),
    GetProcessIoCounters: kernel32.func('int __stdcall GetProcessIoCounters(PDH_HANDLE h, void *counters)'),
    K32GetProcessMemoryInfo: kernel32.func('int __stdcall K32GetProcessMemoryInfo(PDH_HANDLE h, void *counters, uint32 size)'),
  };
}

type Api = ReturnType<typeof bind>;

const MIN_NORMAL = 2.2250738585072014e-308;

/**
 * The double of a PDH_FMT_COUNTERVALUE union at `at`. Wine 8's pdh.dll answers PDH_FMT_DOUBLE with the integer it
 * collected left in the union's bits (System Up Time 12120 s reads 5.99e-320): a subnormal double is never a
 * counter value PDH computes, so those bits are read as the LONGLONG they are.
 */
export function valueAt(buf: Buffer, at: number): number {
  const d = buf.readDoubleLE(at);
  return d !== 0 && Math.abs(d) < MIN_NORMAL ? Number(buf.readBigInt64LE(at)) : d;
}
let api: Api | undefined;

type Counter = PdhCounter & { handle: unknown };

/** A UTF-16 multi-string (names separated by NUL, ended by two) as a list. */
function multiString(buf: Buffer, chars: number): string[] {
  return buf
    .toString('utf16le', 0, chars * 2)
    .split('\0')
    .filter((s) => s.length > 0);
}

/** A sockaddr_in or sockaddr_in6 for a numeric address (port 0), as GetBestInterfaceEx takes it. */
function sockaddr(address: string): Buffer | undefined {
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (v4) {
    const b = Buffer.alloc(16);
    b.writeUInt16LE(2, 0); // AF_INET
    for (let i = 0; i < 4; i++) b[4 + i] = Number(v4[i + 1]);
    return b;
  }
  if (!address.includes(':')) return undefined;
  const [head = '', tail = ''] = address.split('%')[0]!.split('::');
  const groups = (s: string) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const t = address.includes('::') ? groups(tail) : [];
  const all = [...h, ...Array(8 - h.length - t.length).fill(0), ...t];
  if (all.length !== 8 || all.some((g) => !Number.isInteger(g))) return undefined;
  const b = Buffer.alloc(28);
  b.writeUInt16LE(23, 0); // AF_INET6
  all.forEach((g, i) => b.writeUInt16BE(g, 8 + 2 * i));
  return b;
}

class Query implements PdhQuery {
  constructor(
    private readonly a: Api,
    private handle: unknown,
  ) {}

  add(path: string): { ok: true; counter: PdhCounter } | { ok: false; status: number } {
    const out = [null];
    const status = this.a.PdhAddEnglishCounterW(this.handle, path, 0, out) as number;
    if (status !== 0) return { ok: false, status };
    const counter: Counter = { path, handle: out[0] };
    return { ok: true, counter };
  }

  remove(counter: PdhCounter): void {
    this.a.PdhRemoveCounter((counter as Counter).handle);
  }

  collect(): { ok: true } | { ok: false; status: number } {
    const status = this.a.PdhCollectQueryData(this.handle) as number;
    return status === 0 ? { ok: true } : { ok: false, status };
  }

  value(counter: PdhCounter): { ok: true; value: number } | { ok: false; status: number } {
    const v = Buffer.alloc(16);
    const status = this.a.PdhGetFormattedCounterValue((counter as Counter).handle, FORMAT, null, v) as number;
    if (status !== 0) return { ok: false, status };
    const cstatus = v.readUInt32LE(0);
    if (cstatus !== PDH_CSTATUS_VALID_DATA && cstatus !== PDH_CSTATUS_NEW_DATA) return { ok: false, status: cstatus };
    return { ok: true, value: valueAt(v, 8) };
  }

  items(counter: PdhCounter): { ok: true; items: PdhItem[] } | { ok: false; status: number } {
    const h = (counter as Counter).handle;
    // Ask for the size, then fill; instances can appear between the calls, so retry a few times.
    for (let attempt = 0; attempt < 3; attempt++) {
      const size = [0];
      const count = [0];
      let status = this.a.PdhGetFormattedCounterArrayW(h, FORMAT, size, count, null) as number;
      if (status !== PDH_MORE_DATA) return status === 0 ? { ok: true, items: [] } : { ok: false, status };
      const buf = Buffer.alloc(size[0]!);
      status = this.a.PdhGetFormattedCounterArrayW(h, FORMAT, size, count, buf) as number;
      if (status === PDH_MORE_DATA) continue;
      if (status !== 0) return { ok: false, status };
      const items: PdhItem[] = [];
      for (let i = 0; i < count[0]!; i++) {
        const at = i * ITEM_SIZE;
        const cstatus = buf.readUInt32LE(at + 8);
        if (cstatus !== PDH_CSTATUS_VALID_DATA && cstatus !== PDH_CSTATUS_NEW_DATA) continue;
        // szName points into the same buffer, which is alive here.
        items.push({ name: koffi.decode(buf, at, 'str16') as string, value: valueAt(buf, at + 16) });
      }
      return { ok: true, items };
    }
    return { ok: false, status: PDH_MORE_DATA };
  }

  close(): void {
    if (this.handle) this.a.PdhCloseQuery(this.handle);
    this.handle = null;
  }
}

/** Loads the DLLs (throws with the loader's message when it cannot) and returns the port. */
export function loadWindowsPerf(): WindowsPerfPort {
  const a = (api ??= bind());
  const handles = new Map<number, unknown>();
  const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
  const PROCESS_VM_READ = 0x10;
  const SYNCHRONIZE = 0x100000;
  const STILL_ACTIVE = 259;
  return {
    openQuery() {
      const out = [null];
      const status = a.PdhOpenQueryW(null, 0, out) as number;
      return status === 0 ? { ok: true, query: new Query(a, out[0]) } : { ok: false, status };
    },
    expand(path) {
      const length = [0];
      let status = a.PdhExpandWildCardPathW(null, path, null, length, 0) as number;
      if (status !== PDH_MORE_DATA && status !== 0) return { ok: false, status };
      if (length[0] === 0) return { ok: true, paths: [] };
      const buf = Buffer.alloc(length[0]! * 2 + 4);
      length[0] = length[0]! + 2;
      status = a.PdhExpandWildCardPathW(null, path, buf, length, 0) as number;
      return status === 0 ? { ok: true, paths: multiString(buf, length[0]!) } : { ok: false, status };
    },
    bestInterface(address) {
      const dest = sockaddr(address);
      if (!dest) return { ok: false, status: 87 }; // ERROR_INVALID_PARAMETER
      const index = [0];
      const status = a.GetBestInterfaceEx(dest, index) as number;
      return status === 0 ? { ok: true, ifIndex: index[0]! } : { ok: false, status };
    },
    adapters() {
      // AF_UNSPEC; skip unicast, anycast, multicast and DNS server lists: only names and indexes are read.
      const flags = 0x1 | 0x2 | 0x4 | 0x8;
      const size = [16 * 1024];
      for (let attempt = 0; attempt < 4; attempt++) {
        const buf = Buffer.alloc(size[0]!);
        const status = a.GetAdaptersAddresses(0, flags, null, buf, size) as number;
        if (status === ERROR_BUFFER_OVERFLOW) continue;
        if (status !== 0) return { ok: false, status };
        const adapters: NetAdapter[] = [];
        let next: unknown = null;
        type Head = { IfIndex: number; Ipv6IfIndex: number; Description: string | null; FriendlyName: string | null; Next: unknown };
        for (let h = koffi.decode(buf, a.adapter) as Head; ; h = koffi.decode(next, a.adapter) as Head) {
          adapters.push({ ifIndex: h.IfIndex, ipv6IfIndex: h.Ipv6IfIndex, description: h.Description ?? '', friendlyName: h.FriendlyName ?? '' });
          next = h.Next;
          if (!next) break;
        }
        return { ok: true, adapters };
      }
      return { ok: false, status: ERROR_BUFFER_OVERFLOW };
    },
    processTotals(pid) {
      let h = handles.get(pid);
      if (!h) {
        // VM_READ is what K32GetProcessMemoryInfo wants on older builds; without it the working set is left out.
        h = a.OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | PROCESS_VM_READ | SYNCHRONIZE, 0, pid) ?? a.OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE, 0, pid);
        if (!h) return { ok: false, status: a.GetLastError() as number };
        handles.set(pid, h);
      }
      const code = [0];
      const exited = a.GetExitCodeProcess(h, code) ? code[0] !== STILL_ACTIVE : false;
      const creation = [0n];
      const exit = [0n];
      const kernel = [0n];
      const user = [0n];
      if (!a.GetProcessTimes(h, creation, exit, kernel, user)) return { ok: false, status: a.GetLastError() as number };
      // IO_COUNTERS: six ULONGLONGs; ReadTransferCount at 24, WriteTransferCount at 32.
      const io = Buffer.alloc(48);
      if (!a.GetProcessIoCounters(h, io)) return { ok: false, status: a.GetLastError() as number };
      // PROCESS_MEMORY_COUNTERS (72 bytes): cb, PageFaultCount, PeakWorkingSetSize, WorkingSetSize at 16.
      const mem = Buffer.alloc(72);
      mem.writeUInt32LE(72, 0);
      const ws = a.K32GetProcessMemoryInfo(h, mem, 72) ? Number(mem.readBigUInt64LE(16)) : null;
      return {
        ok: true,
        exited,
        cpuMs: Number(BigInt(kernel[0]!) + BigInt(user[0]!)) / 10_000,
        workingSetBytes: ws,
        readBytes: Number(io.readBigUInt64LE(24)),
        writeBytes: Number(io.readBigUInt64LE(32)),
      };
    },
    universalName(path) {
      // UNIVERSAL_NAME_INFO_LEVEL: the buffer starts with a pointer to the UNC string, which lies in the same buffer.
      const size = [1024];
      for (let attempt = 0; attempt < 2; attempt++) {
        const buf = Buffer.alloc(size[0]!);
        const status = a.WNetGetUniversalNameW(path, 1, buf, size) as number;
        if (status === 234) continue; // ERROR_MORE_DATA: size now says how much
        if (status !== 0) return { ok: false, status };
        return { ok: true, unc: koffi.decode(buf, 0, 'str16') as string };
      }
      return { ok: false, status: 234 };
    },
    release(pid) {
      const h = handles.get(pid);
      if (h) a.CloseHandle(h);
      handles.delete(pid);
    },
    servicePid(name) {
      const scm = a.OpenSCManagerW(null, null, 0x1); // SC_MANAGER_CONNECT
      if (!scm) return { ok: false, status: a.GetLastError() as number };
      try {
        const svc = a.OpenServiceW(scm, name, 0x4); // SERVICE_QUERY_STATUS
        if (!svc) return { ok: false, status: a.GetLastError() as number };
        try {
          // SERVICE_STATUS_PROCESS: nine DWORDs, dwProcessId at 28.
          const buf = Buffer.alloc(36);
          const needed = [0];
          if (!a.QueryServiceStatusEx(svc, 0, buf, buf.length, needed)) return { ok: false, status: a.GetLastError() as number };
          return { ok: true, pid: buf.readUInt32LE(28) };
        } finally {
          a.CloseServiceHandle(svc);
        }
      } finally {
        a.CloseServiceHandle(scm);
      }
    },
  };
}
