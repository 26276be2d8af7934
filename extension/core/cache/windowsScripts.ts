// Runs the Windows cache scripts in ps/ (each prints exactly one JSON object on stdout) and returns that
// object. Windows PowerShell 5.1 (powershell.exe) is on every Windows machine; pwsh works as well.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export type PsResult = { ok: boolean; [key: string]: unknown };

/** The script did not answer in time and powershell.exe was ended: its finally blocks did not run. */
export class PsTimeoutError extends Error {}

export type PsRunOptions = {
  /** powershell.exe (default) or pwsh; tests point this at a stand-in interpreter. */
  exe?: string;
  /** Folder holding the .ps1 files; default: ps/ of the FastBench install. */
  scriptsFolder?: string;
  timeoutMs?: number;
};

/** ps/ beside dist/ (CLI, extension), beside fastbench.exe (its __dirname), or the repo's ps/ (bundled tests two levels deeper). */
export function defaultScriptsFolder(): string {
  for (const candidate of [path.join(__dirname, '..', 'ps'), path.join(__dirname, 'ps'), path.join(__dirname, '..', '..', '..', 'ps')]) {
    if (existsSync(path.join(candidate, 'Clear-WindowsCache.ps1'))) return candidate;
  }
  return path.join(__dirname, '..', 'ps');
}

/** `-Name value` pairs and `-Switch` flags in the order given; booleans true become switches. */
export function psArguments(params: Record<string, string | number | boolean | undefined>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === false) continue;
    if (v === true) out.push(`-${k}`);
    else out.push(`-${k}`, String(v));
  }
  return out;
}

export function runPsScript(script: string, params: Record<string, string | number | boolean | undefined>, options: PsRunOptions = {}): Promise<PsResult> {
  const folder = options.scriptsFolder ?? defaultScriptsFolder();
  const file = path.join(folder, script);
  if (!existsSync(file)) return Promise.reject(new Error(`${file}: script not found (FastBench installation incomplete?)`));
  const exe = options.exe ?? 'powershell.exe';
  const args = ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', file, ...psArguments(params)];
  return new Promise((resolve, reject) => {
    const timeoutMs = options.timeoutMs ?? 120_000;
    execFile(exe, args, { timeout: timeoutMs, windowsHide: true, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error?.killed) return reject(new PsTimeoutError(`${script}: no answer within ${Math.round(timeoutMs / 1000)} s; ${exe} was ended`));
      if (error && typeof error.code === 'string') {
        return reject(new Error(`${script}: cannot run ${exe} (${error.code === 'ENOENT' ? 'not found' : error.code})`));
      }
      // One JSON object is the contract; anything else printed (warnings, progress) comes before it.
      const last = stdout.trim().split(/\r?\n/).pop() ?? '';
      let parsed: PsResult;
      try {
        parsed = JSON.parse(last) as PsResult;
        if (typeof parsed !== 'object' || parsed === null || typeof parsed.ok !== 'boolean') throw new Error('shape');
      } catch {
        const tail = (stderr || stdout).trim().split(/\r?\n/).slice(-3).join(' | ');
        return reject(
          new Error(`${script}: expected one JSON object with "ok" on stdout, found ${JSON.stringify(last.slice(0, 200))}${tail ? ` (output: ${tail.slice(0, 300)})` : ''}`),
        );
      }
      if (error && parsed.ok) parsed = { ...parsed, ok: false, exitCode: error.code };
      resolve(parsed);
    });
  });
}
