import { execFileSync } from 'node:child_process';

const cache = new Map<string, string | undefined>();

/**
 * The target's version where the OS records one: the file version in a Windows executable's resources (what
 * Explorer shows). Linux executables carry none. Asked once per executable per campaign (PowerShell takes ~1 s).
 */
export function appVersion(executable: string): string | undefined {
  if (cache.has(executable)) return cache.get(executable);
  let version: string | undefined;
  if (process.platform === 'win32') {
    try {
      const literal = executable.replace(/'/g, "''");
      version =
        execFileSync('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', `(Get-Item -LiteralPath '${literal}').VersionInfo.FileVersion`], {
          encoding: 'utf8',
          timeout: 20_000,
          windowsHide: true,
        }).trim() || undefined;
    } catch {
      version = undefined;
    }
  }
  cache.set(executable, version);
  return version;
}
