import { readFileSync, readdirSync, existsSync } from 'node:fs';

// Parsers for the Linux /proc files the agent reads every tick. Reading them directly costs tens of
// microseconds; systeminformation spawns or re-parses far more per call (~30 ms a tick here).

/** Busy and total jiffies, for the whole machine ("cpu") and each core ("cpu0", "cpu1", …). */
export type CpuTimes = { busy: number; total: number };

export function parseProcStat(text: string): { all: CpuTimes; cores: CpuTimes[] } {
  let all: CpuTimes | undefined;
  const cores: CpuTimes[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('cpu')) continue;
    const [name, ...rest] = line.trim().split(/\s+/);
    // user nice system idle iowait irq softirq steal (guest and guest_nice are already inside user/nice).
    const v = rest.slice(0, 8).map(Number);
    const total = v.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const times = { busy: total - idle, total };
    if (name === 'cpu') all = times;
    else cores.push(times);
  }
  if (!all) throw new Error('/proc/stat has no "cpu" line');
  return { all, cores };
}

/** MemTotal and MemAvailable in bytes. */
export function parseMeminfo(text: string): { totalBytes: number; availableBytes: number } {
  const kb = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    if (!m) throw new Error(`/proc/meminfo has no ${key}`);
    return Number(m[1]) * 1024;
  };
  return { totalBytes: kb('MemTotal'), availableBytes: kb('MemAvailable') };
}

/** utime+stime (jiffies), start time (jiffies after boot, tells a reused pid apart) and state letter. */
export function parsePidStat(text: string): { cpuJiffies: number; startTime: number; state: string } {
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: f[0] ?? '?', cpuJiffies: Number(f[11]) + Number(f[12]), startTime: Number(f[19]) };
}

export function parsePidStatusRss(text: string): number | null {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : null;
}

/**
 * rchar/wchar: bytes the process asked the kernel to read/write (files served from the OS cache included,
 * pipes and sockets too), the same meaning as Windows' GetProcessIoCounters/"IO Read Bytes/sec".
 */
export function parsePidIo(text: string): { readBytes: number; writeBytes: number } {
  const get = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { readBytes: get('rchar'), writeBytes: get('wchar') };
}

/** Sectors read/written summed over the given whole-disk devices (a sector here is always 512 bytes). */
export function parseDiskstats(text: string, devices: ReadonlySet<string>): { readBytes: number; writeBytes: number } {
  let readBytes = 0;
  let writeBytes = 0;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !devices.has(f[2]!)) continue;
    readBytes += Number(f[5]) * 512;
    writeBytes += Number(f[9]) * 512;
  }
  return { readBytes, writeBytes };
}

export function parseNetDev(text: string, interfaces: ReadonlySet<string>): { rxBytes: number; txBytes: number } {
  let rxBytes = 0;
  let txBytes = 0;
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (!interfaces.has(name)) continue;
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/);
    rxBytes += Number(f[0]);
    txBytes += Number(f[8]);
  }
  return { rxBytes, txBytes };
}

/**
 * Whole physical disks: partitions are not in /sys/block, and loop/ram/zram/device-mapper/md devices are
 * skipped because their traffic is already counted on the disks underneath (or is not disk traffic).
 */
export function physicalDisks(sysBlock = '/sys/block'): Set<string> {
  try {
    return new Set(readdirSync(sysBlock).filter((d) => !/^(loop|ram|zram|dm-|md|nbd|sr|fd)/.test(d)));
  } catch {
    return new Set();
  }
}

/**
 * Interfaces backed by a device (not lo, bridges, veth, ifb): bridged traffic would otherwise be counted
 * twice. A container may show no device-backed interface; then every interface but lo counts.
 */
export function physicalInterfaces(netDevText: string, sysNet = '/sys/class/net'): Set<string> {
  const names = netDevText
    .split('\n')
    .slice(2)
    .map((l) => l.slice(0, l.indexOf(':')).trim())
    .filter((n) => n && n !== 'lo');
  const withDevice = names.filter((n) => existsSync(`${sysNet}/${n}/device`));
  return new Set(withDevice.length ? withDevice : names);
}

export const readProc = (file: string) => readFileSync(file, 'latin1');
