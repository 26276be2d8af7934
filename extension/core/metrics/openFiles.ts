import { readdirSync, readlinkSync } from 'node:fs';

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
