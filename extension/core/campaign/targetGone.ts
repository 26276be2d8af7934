// Before a Cold purge: no process of the target's image may still run. Pages of files a running Petrel holds open
// or mapped survive the purge, so a Petrel left over (the previous run's, or one a person started) would make a
// "Cold" run warm without anyone noticing. A process that has exited has closed all its handles.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/** session: the Windows session number where the lister knows it (another user's Petrel is not ours to wait for). */
export type ProcessRow = { pid: number; image: string; session?: number };
export type ProcessLister = () => Promise<ProcessRow[]>;

/** One line of `tasklist /FO CSV /NH`: "Petrel.exe","1234","Console","1","1,234,567 K". */
export function parseTasklistCsv(text: string): ProcessRow[] {
  const rows: ProcessRow[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^"([^"]+)","(\d+)"(?:,"[^"]*","(\d+)")?/.exec(line.trim());
    if (m) rows.push({ image: m[1]!, pid: Number(m[2]), ...(m[3] !== undefined ? { session: Number(m[3]) } : {}) });
  }
  return rows;
}

/** `wmic process get Name,ProcessId` (UTF-16 with a BOM): "Name  ProcessId" then "Petrel.exe  4242" rows. */
export function parseWmicProcesses(out: Buffer): ProcessRow[] {
  const text = out[0] === 0xff && out[1] === 0xfe ? out.subarray(2).toString('utf16le') : out.toString('utf8');
  const rows: ProcessRow[] = [];
  for (const line of text.split(/\r?\n/).slice(1)) {
    const m = /^(.+?)\s+(\d+)\s*$/.exec(line);
    if (m) rows.push({ image: m[1]!, pid: Number(m[2]) });
  }
  return rows;
}

const run = (exe: string, args: string[]) =>
  new Promise<Buffer>((resolve, reject) =>
    execFile(exe, args, { windowsHide: true, timeout: 30_000, maxBuffer: 8 * 1024 * 1024, encoding: 'buffer' }, (e, stdout) =>
      e ? reject(new Error(`${exe}: ${e.message}`)) : resolve(stdout),
    ),
  );

export const listProcesses: ProcessLister = async () => {
  if (process.platform === 'win32') {
    // tasklist is on every Windows; Wine's prints nothing, so wmic (deprecated on Windows 11, present in Wine).
    // Only our own session: another user's Petrel on a shared workstation holds its own files, not this campaign's.
    const csv = parseTasklistCsv((await run('tasklist.exe', ['/FO', 'CSV', '/NH'])).toString('utf8'));
    const ours = csv.find((r) => r.pid === process.pid)?.session;
    if (csv.length) return ours === undefined ? csv : csv.filter((r) => r.session === undefined || r.session === ours);
    return parseWmicProcesses(await run('wmic.exe', ['process', 'get', 'Name,ProcessId']));
  }
  const rows: ProcessRow[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let image: string | undefined;
    try {
      image = path.basename(readlinkSync(`/proc/${name}/exe`));
    } catch {
      try {
        image = readFileSync(`/proc/${name}/comm`, 'utf8').trim();
      } catch {
        continue; // ended while we listed
      }
    }
    rows.push({ pid: Number(name), image });
  }
  return rows;
};

/**
 * Waits (bounded) until no process named `image` runs (case-insensitive, extension optional). Resolves with what
 * was seen, for run.json; rejects with the pids still running after timeoutMs.
 */
export async function waitImageGone(image: string, o: { timeoutMs: number; pollMs?: number; list?: ProcessLister; ownPid?: number }): Promise<string> {
  const want = image.toLowerCase().replace(/^.*[\\/]/, '');
  const same = (x: string) => {
    const l = x.toLowerCase();
    return l === want || l === want.replace(/\.exe$/, '') || `${l}.exe` === want;
  };
  const t0 = Date.now();
  const list = o.list ?? listProcesses;
  for (let first = true; ; first = false) {
    const running = (await list()).filter((p) => same(p.image) && p.pid !== (o.ownPid ?? process.pid));
    if (!running.length) return first ? `no ${image} process running` : `no ${image} process running after ${((Date.now() - t0) / 1000).toFixed(1)} s`;
    if (Date.now() - t0 >= o.timeoutMs)
      throw new Error(
        `${image} is still running (pid ${running.map((p) => p.pid).join(', ')}) ${Math.round(o.timeoutMs / 1000)} s after the previous run closed it: its open files would survive the Cold purge; close it and resume the campaign`,
      );
    await new Promise((r) => setTimeout(r, o.pollMs ?? 250));
  }
}
