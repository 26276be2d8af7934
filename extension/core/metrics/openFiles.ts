import { readdirSync, readlinkSync } from 'node:fs';
import type { DriveMap } from './windowsPaths';

/**
 * Where the agent learns which files the target holds open (a port: the Windows source is native code in
 * extension/driver/, handed in by the agent's entry). `list` gives the paths as the platform names them; undefined
 * when this tick could not tell (process gone, access denied, a lookup that hung). `warning` is set after a list call
 * that has something to say (said once per distinct message by the agent).
 */
export type OpenFilesLister = {
  /** For agent.json: how the files are found. */
  readonly source: string;
  /** What the drive letters stand for (Windows), so rules and handle paths classify alike. */
  readonly drives?: DriveMap;
  list(pid: number): Promise<string[] | undefined> | string[] | undefined;
  readonly warning?: string | undefined;
  close?(): void;
};

export const linuxOpenFiles: OpenFilesLister = {
  source: '/proc/PID/fd (readlink per descriptor, regular files only)',
  list: (pid) => openDataFilesLinux(pid),
};

/**
 * The regular files a Linux process holds open, from /proc/PID/fd (one readlink per descriptor). Sockets,
 * pipes, anonymous inodes and /dev, /proc, /sys entries are not data files and are left out. A file open
 * twice is listed once. Undefined when the process is gone or its descriptors are not ours to read.
 * Files the process mapped into memory and then closed are not seen (they live in /proc/PID/maps).
 */
export function openDataFilesLinux(pid: number): string[] | undefined {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  const files = new Set<string>();
  for (const fd of fds) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed between readdir and readlink
    }
    if (!target.startsWith('/') || /^\/(dev|proc|sys)\//.test(target)) continue;
    files.add(target.endsWith(' (deleted)') ? target.slice(0, -10) : target);
  }
  return [...files].sort();
}

/** open_files.tsv keeps paths readable (Windows backslashes untouched); only %, tab and line breaks are %-encoded. */
export function escapeTsvPath(path: string): string {
  return path.replace(/[%\t\r\n]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

export function unescapeTsvPath(cell: string): string {
  return cell.replace(/%(25|09|0D|0A)/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
