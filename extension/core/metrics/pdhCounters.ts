import type { FastbenchConfig } from '../../shared/config';
import type { NetAdapter, PdhCounter, PdhFailure, PdhItem, PdhQuery } from './windowsPerfPort';

// The decisions of the Windows PDH sampler that need no Windows: which counter of a list of candidates to use,
// which instance is a process id's, which Network Interface instance an adapter is, which SMB share instance is
// the NAS share, and how wildcard results become one cell. Unit-tested with fakes (test/unit/pdhCounters.test.ts).

const STATUS_NAMES: Record<number, string> = {
  0x800007d0: 'PDH_CSTATUS_NO_MACHINE',
  0x800007d1: 'PDH_CSTATUS_NO_INSTANCE',
  0x800007d2: 'PDH_MORE_DATA',
  0x800007d5: 'PDH_NO_DATA',
  0x800007d6: 'PDH_CALC_NEGATIVE_DENOMINATOR',
  0x800007d8: 'PDH_CALC_NEGATIVE_VALUE',
  0xc0000bb8: 'PDH_CSTATUS_NO_OBJECT',
  0xc0000bb9: 'PDH_CSTATUS_NO_COUNTER',
  0xc0000bba: 'PDH_CSTATUS_INVALID_DATA',
  0xc0000bbc: 'PDH_INVALID_HANDLE',
  0xc0000bbd: 'PDH_INVALID_ARGUMENT',
  0xc0000bc0: 'PDH_CSTATUS_BAD_COUNTERNAME',
  0xc0000bc2: 'PDH_INSUFFICIENT_BUFFER',
  0xc0000bc4: 'PDH_INVALID_PATH',
  0xc0000bc5: 'PDH_INVALID_INSTANCE',
  0xc0000bc6: 'PDH_INVALID_DATA',
  0xc0000bd3: 'PDH_NOT_IMPLEMENTED',
  2: 'ERROR_FILE_NOT_FOUND',
  5: 'ERROR_ACCESS_DENIED',
  50: 'ERROR_NOT_SUPPORTED',
  1060: 'ERROR_SERVICE_DOES_NOT_EXIST',
  1232: 'ERROR_HOST_UNREACHABLE',
  2250: 'ERROR_NOT_CONNECTED',
};

/** "PDH_CSTATUS_NO_OBJECT (0xC0000BB8)": the name where it is one PDH uses, the hex code always. */
export function statusText(status: number): string {
  const hex = `0x${(status >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
  const name = STATUS_NAMES[status >>> 0];
  return name ? `${name} (${hex})` : hex;
}

/**
 * Adds the first candidate path the machine has: PdhAddEnglishCounterW fails at once for an object or counter
 * this Windows (or Wine) does not provide. The refusals of the ones before it are kept, for agent.json.
 */
export function addFirst(query: Pick<PdhQuery, 'add'>, candidates: readonly string[]): { counter: PdhCounter; tried: string[] } | { counter: undefined; tried: string[] } {
  const tried: string[] = [];
  for (const path of candidates) {
    const r = query.add(path);
    if (r.ok) return { counter: r.counter, tried };
    tried.push(`${path}: ${statusText(r.status)}`);
  }
  return { counter: undefined, tried };
}

/** A source line: the counter used, and what was tried first and why it was not used. */
export function sourceOf(path: string, tried: readonly string[], note = ''): string {
  return `pdh ${path}${note ? ` ${note}` : ''}${tried.length ? ` (not available: ${tried.join('; ')})` : ''}`;
}

export const failed = (r: { ok: boolean }): r is PdhFailure => !r.ok;

/**
 * The instance of a process object that is this pid, from `\Process(*)\ID Process` or `\Process V2(*)\Process ID`.
 * `Process` names instances by image with #N for repeats (`Petrel#1`), renumbered when one of them exits, so the
 * name must be looked up again whenever it may have shifted. `_Total` and `Idle` are pid 0 and never a target.
 */
export function instanceForPid(items: readonly PdhItem[], pid: number): string | undefined {
  const hits = items.filter((i) => i.value === pid && i.name !== '_Total');
  // Process V2 names carry the pid (image:pid): prefer the name that says so when a stale one lingers.
  return (hits.find((i) => i.name.endsWith(`:${pid}`)) ?? hits[0])?.name;
}

/**
 * How PDH's Network Interface and Network Adapter objects name an adapter: its description (GetAdaptersAddresses'
 * Description, e.g. "Intel(R) Ethernet Connection I219-LM #2") with ( ) # / \ replaced by [ ] _ _ _.
 */
export function pdhAdapterName(description: string): string {
  return description
    .replace(/\(/g, '[')
    .replace(/\)/g, ']')
    .replace(/[#/\\]/g, '_');
}

/** The instance (of those the machine lists) that is this adapter, compared without case; undefined if none is. */
export function instanceForAdapter(adapter: Pick<NetAdapter, 'description'>, instances: readonly string[]): string | undefined {
  const want = pdhAdapterName(adapter.description).toLowerCase();
  return instances.find((i) => i.toLowerCase() === want);
}

/** "\\HOST\Object(instance)\Counter" → instance (the one inside the outermost parentheses after the object). */
export function instanceOfPath(path: string): string | undefined {
  const m = /^(?:\\\\[^\\]+)?\\[^\\(]+\((.*)\)\\[^\\]+$/.exec(path);
  return m?.[1];
}

/**
 * The SMB share a data path lives on, as `\\server\share`: UNC paths, `\\?\UNC\…` and `\Device\Mup\…`. A path on a
 * drive letter gives undefined (the caller says a mapped drive needs its UNC form in the config).
 */
export function shareOfPath(dataPath: string): string | undefined {
  const p = dataPath
    .replace(/\//g, '\\')
    .replace(/^\\\\\?\\UNC\\/i, '\\\\')
    .replace(/^\\Device\\Mup\\/i, '\\\\');
  const m = /^\\\\([^\\]+)\\([^\\]+)/.exec(p);
  return m ? `\\\\${m[1]}\\${m[2]}` : undefined;
}

/** The server of a UNC path, for routing (`\\nas01\seismic\x` → `nas01`). */
export function serverOfShare(share: string): string | undefined {
  return /^\\\\([^\\]+)\\/.exec(share)?.[1];
}

/**
 * SMB Client Shares instances that are this share. Windows names them `\server\share` (one leading backslash;
 * [verify] on a workstation, so any number of leading backslashes is accepted), without case.
 */
export function shareInstances(names: readonly string[], share: string): string[] {
  const norm = (s: string) => s.replace(/^\\+/, '').replace(/\\+$/, '').toLowerCase();
  const want = norm(share);
  return names.filter((n) => norm(n) === want);
}

/** The LogicalDisk instance of a folder's volume ("D:"), or undefined for UNC and relative paths. */
export function volumeOfFolder(folder: string): string | undefined {
  const m = /^(?:\\\\\?\\)?([A-Za-z]):[\\/]/.exec(folder);
  return m ? `${m[1]!.toUpperCase()}:` : undefined;
}

/** The sum of the values of the named instances; null when none of them has a value. */
export function sumOf(items: readonly PdhItem[], names: readonly string[]): number | null {
  const vs = items.filter((i) => names.includes(i.name)).map((i) => i.value);
  return vs.length ? vs.reduce((a, b) => a + b, 0) : null;
}

/** The busiest core from a `Processor Information(*)` or `Processor(*)` array: every instance but the totals. */
export function busiestCore(items: readonly PdhItem[]): number | null {
  const cores = items.filter((i) => !/_Total/i.test(i.name)).map((i) => i.value);
  return cores.length ? Math.max(...cores) : null;
}

const pidOfGpuInstance = (name: string) => Number(/^pid_(\d+)_/.exec(name)?.[1] ?? NaN);

/**
 * A process's GPU use from `GPU Engine(pid_<PID>_…_engtype_<T>)\Utilization Percentage`, as Task Manager shows it:
 * the engines of one type added up, the busiest type. Null when the process has no engine instance.
 */
export function gpuUtilForPid(items: readonly PdhItem[], pid: number): number | null {
  const byType = new Map<string, number>();
  for (const i of items) {
    if (pidOfGpuInstance(i.name) !== pid) continue;
    const type = /_engtype_(.*)$/.exec(i.name)?.[1] ?? '';
    byType.set(type, (byType.get(type) ?? 0) + i.value);
  }
  return byType.size ? Math.min(100, Math.max(...byType.values())) : null;
}

/** A process's dedicated GPU memory (bytes) from `GPU Process Memory(pid_<PID>_luid_…)\Dedicated Usage`, every adapter. */
export function gpuMemForPid(items: readonly PdhItem[], pid: number): number | null {
  const vs = items.filter((i) => pidOfGpuInstance(i.name) === pid).map((i) => i.value);
  return vs.length ? vs.reduce((a, b) => a + b, 0) : null;
}

export type SamplerChoice = { sampler: 'pdh' | 'typeperf'; why: string };

/**
 * PDH in-process when pdh.dll loads and a query opens; typeperf (English counter names only, values up to a
 * second old) only when it does not, and agent.json says why.
 */
export function chooseWindowsSampler(load: () => { ok: true } | { ok: false; error: string }): SamplerChoice {
  const r = load();
  return r.ok
    ? { sampler: 'pdh', why: 'pdh.dll in-process (PdhAddEnglishCounterW, one PdhCollectQueryData per tick)' }
    : { sampler: 'typeperf', why: `typeperf fallback: PDH could not be used in-process (${r.error})` };
}

export type WindowsWatch = {
  /** `\\server\share` of the NAS data (modes.A_shared.dataPath). */
  nasShare?: string;
  /** The NAS data path itself when it is on a drive letter: a mapped drive's share is looked up at the start. */
  nasDataPath?: string;
  /** FAST's cache folder (modes.B_fast.cacheFolder): its volume is the disk measured. */
  cacheFolder?: string;
  /** FAST's Windows service (modes.B_fast.serviceName): its process is sampled beside the target. */
  fastService?: string;
  fastPid?: number;
  /** The host whose route picks the network interface (the NAS in A_shared, the Azure endpoint in B_fast). */
  routeHost?: string;
};

/**
 * What to watch for a run, from fastbench.json: the NAS share of A_shared's data, FAST's cache folder and service,
 * and the host whose route picks the interface — the NAS for A_shared, the Azure endpoint for B_fast (FAST's
 * traffic), the NAS when the mode is not known.
 */
export function watchFromConfig(config: Pick<FastbenchConfig, 'modes' | 'probe' | 'azure'>, mode?: 'A_shared' | 'B_fast'): WindowsWatch {
  const nasShare = config.modes.A_shared ? shareOfPath(config.modes.A_shared.dataPath) : undefined;
  const nasHost = config.probe?.nas?.host ?? (nasShare ? serverOfShare(nasShare) : undefined);
  let azureHost: string | undefined;
  try {
    azureHost = config.azure ? new URL(config.azure.accountUrl).hostname : undefined;
  } catch {
    azureHost = undefined;
  }
  const routeHost = mode === 'B_fast' ? (azureHost ?? nasHost) : (nasHost ?? azureHost);
  const b = config.modes.B_fast;
  return {
    ...(nasShare ? { nasShare } : {}),
    ...(!nasShare && config.modes.A_shared && volumeOfFolder(config.modes.A_shared.dataPath) ? { nasDataPath: config.modes.A_shared.dataPath } : {}),
    ...(b?.cacheFolder ? { cacheFolder: b.cacheFolder } : {}),
    ...(b?.serviceName ? { fastService: b.serviceName } : {}),
    ...(routeHost ? { routeHost } : {}),
  };
}
