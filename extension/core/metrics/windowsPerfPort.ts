// What the Windows metrics sampler needs from native code (pdh.dll, iphlpapi.dll, advapi32, kernel32), as a
// port: the core stays plain Node, extension/driver/win32/windowsPerf.ts implements it with koffi, and the unit
// tests with fakes. Every call reports failure as a value with the Windows status, never by throwing.

/** A PDH status (PDH_STATUS / Win32 error) that is not success. */
export type PdhFailure = { ok: false; status: number };

export type PdhCounter = { readonly path: string };

export type PdhItem = { name: string; value: number };

export type PdhQuery = {
  /** PdhAddEnglishCounterW: English object and counter names, whatever the display language. */
  add(path: string): { ok: true; counter: PdhCounter } | PdhFailure;
  remove(counter: PdhCounter): void;
  /** One PdhCollectQueryData: every counter of the query is read at this instant. */
  collect(): { ok: true } | PdhFailure;
  /** PdhGetFormattedCounterValue as a double, unscaled, not capped at 100. */
  value(counter: PdhCounter): { ok: true; value: number } | PdhFailure;
  /** PdhGetFormattedCounterArrayW for a wildcard counter: instance names with valid values only. */
  items(counter: PdhCounter): { ok: true; items: PdhItem[] } | PdhFailure;
  close(): void;
};

export type NetAdapter = { ifIndex: number; ipv6IfIndex: number; description: string; friendlyName: string };

export type WindowsPerfPort = {
  openQuery(): { ok: true; query: PdhQuery } | PdhFailure;
  /** PdhExpandWildCardPathW: the counter paths a wildcard path stands for now (no data is collected). */
  expand(path: string): { ok: true; paths: string[] } | PdhFailure;
  /** GetBestInterfaceEx for a numeric IPv4/IPv6 address: the interface index the route to it uses. */
  bestInterface(address: string): { ok: true; ifIndex: number } | PdhFailure;
  /** GetAdaptersAddresses: every adapter's indexes, description (what PDH names instances after) and friendly name. */
  adapters(): { ok: true; adapters: NetAdapter[] } | PdhFailure;
  /** QueryServiceStatusEx: the process id of a running service; 0 when it is not running. */
  servicePid(name: string): { ok: true; pid: number } | PdhFailure;
  /**
   * A process's own totals through a handle kept open (GetProcessTimes, K32GetProcessMemoryInfo, GetProcessIoCounters):
   * where PDH has no process object. `exited` once the handle's process has ended — a reused pid cannot fool it.
   */
  processTotals(pid: number): { ok: true; exited: boolean; cpuMs: number; workingSetBytes: number | null; readBytes: number; writeBytes: number } | PdhFailure;
  /** WNetGetUniversalNameW: the UNC path of a path on a mapped network drive (`Z:\\x` → `\\\\nas\\share\\x`). */
  universalName(path: string): { ok: true; unc: string } | PdhFailure;
  /** Closes the handle processTotals keeps for a pid. */
  release(pid: number): void;
};
