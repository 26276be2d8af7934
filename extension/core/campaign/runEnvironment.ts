import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import type { SessionFacts } from '../../shared/driverProtocol';

// The facts around a campaign that change its numbers without showing in them: OS build and language, power plan,
// display scaling, remote or console session, SMB client caching and signing, antivirus scanning of the data, GPU
// driver. Collected once per campaign and written into every run.json as `environment`. Each fact is a value or
// "unknown: <why>": one that cannot be read never stops the campaign or hides the others.

export type RunEnvironment = { collected_at: string; collect_ms: number; platform: string } & Record<string, unknown>;

const unknown = (why: string) => `unknown: ${why}`;

/**
 * The Windows facts PowerShell reads cheaply and language-independently (cmdlet objects, not text; powercfg's GUID).
 * Sent with -EncodedCommand, so no script file is written and the execution policy (which governs script files)
 * does not apply; each piece in its own try, so one failure is that piece's "unknown: …".
 */
export const WINDOWS_ENVIRONMENT_SCRIPT = String.raw`
$ErrorActionPreference = 'Stop'
[Console]::OutputEncoding = [Text.UTF8Encoding]::new($false)
$r = [ordered]@{}
function Fact($name, [scriptblock]$get) { try { $r[$name] = & $get } catch { $r[$name] = 'unknown: ' + $_.Exception.Message } }
Fact 'os_build' {
  $v = Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
  [ordered]@{ product = $v.ProductName; display_version = $v.DisplayVersion; build = "$($v.CurrentBuild).$($v.UBR)"; edition = $v.EditionID }
}
Fact 'display_language' {
  [ordered]@{ ui_culture = (Get-UICulture).Name; culture = (Get-Culture).Name; system_locale = (Get-WinSystemLocale).Name; oem_code_page = [Globalization.CultureInfo]::CurrentCulture.TextInfo.OEMCodePage; ansi_code_page = [Text.Encoding]::Default.CodePage }
}
Fact 'power_plan' {
  $line = (powercfg /getactivescheme) -join ' '
  if ($line -notmatch '([0-9a-fA-F-]{36})\s*\((.*)\)') { throw "powercfg /getactivescheme said: $line" }
  [ordered]@{ guid = $Matches[1]; name = $Matches[2] }
}
Fact 'smb_client' {
  $c = Get-SmbClientConfiguration
  [ordered]@{ enable_multichannel = $c.EnableMultiChannel; require_signing = $c.RequireSecuritySignature; enable_signing = $c.EnableSecuritySignature; directory_cache_lifetime_s = $c.DirectoryCacheLifetime; file_info_cache_lifetime_s = $c.FileInfoCacheLifetime; file_not_found_cache_lifetime_s = $c.FileNotFoundCacheLifetime; enable_large_mtu = $c.EnableLargeMtu; enable_bandwidth_throttling = $c.EnableBandwidthThrottling }
}
Fact 'smb_connections' {
  @(Get-SmbConnection | ForEach-Object { [ordered]@{ server = $_.ServerName; share = $_.ShareName; dialect = $_.Dialect; signed = $_.Signed; encrypted = $_.Encrypted } })
}
Fact 'antivirus' {
  $s = Get-MpComputerStatus
  $p = Get-MpPreference
  $ex = @($p.ExclusionPath | Where-Object { $_ })
  # A standard user is shown "N/A: Must be an administrator to view exclusions": then whether a path is excluded is unknown.
  $hidden = [bool]($ex | Where-Object { $_ -like 'N/A*' })
  $paths = @($env:FASTBENCH_DATA_PATHS -split '\|' | Where-Object { $_ })
  function Under($d, $e) { $d = $d.TrimEnd('\').ToLower(); $e = $e.TrimEnd('\').ToLower(); ($d -eq $e) -or $d.StartsWith($e + '\') }
  [ordered]@{ product = 'Microsoft Defender'; real_time_protection = $s.RealTimeProtectionEnabled; running_mode = $s.AMRunningMode; on_access = $s.OnAccessProtectionEnabled
    data_paths = @($paths | ForEach-Object { $d = $_; [ordered]@{ path = $d; excluded = $(if ($hidden) { 'unknown: exclusions are shown to administrators only' } else { [bool]($ex | Where-Object { Under $d $_ }) }) } }) }
}
Fact 'gpu_driver' {
  @(Get-CimInstance Win32_VideoController | ForEach-Object { [ordered]@{ name = $_.Name; driver_version = $_.DriverVersion; driver_date = "$($_.DriverDate)" } })
}
Fact 'sysmain' { (Get-Service SysMain).Status.ToString() }
$r | ConvertTo-Json -Depth 5 -Compress
`;

function runPowerShell(script: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Record<string, unknown>> {
  const encoded = Buffer.from(script, 'utf16le').toString('base64');
  return new Promise((resolve, reject) => {
    execFile(
      'powershell.exe',
      ['-NoProfile', '-NonInteractive', '-EncodedCommand', encoded],
      { env, timeout: timeoutMs, windowsHide: true, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        const text = String(stdout).trim();
        const json = text.slice(text.indexOf('{'));
        try {
          resolve(JSON.parse(json) as Record<string, unknown>);
        } catch {
          reject(
            new Error(
              err ? `${err.message.split('\n')[0]}${stderr ? `: ${String(stderr).trim().split('\n')[0]}` : ''}` : `no JSON on its output (${text.slice(0, 120) || 'nothing'})`,
            ),
          );
        }
      },
    );
  });
}

/** The CPU frequency governors in use (one per distinct value), or why they cannot be read. */
export function cpuGovernors(sysCpu = '/sys/devices/system/cpu'): string | string[] {
  try {
    const found = new Set<string>();
    for (const d of readdirSync(sysCpu)) {
      if (!/^cpu\d+$/.test(d)) continue;
      try {
        found.add(readFileSync(`${sysCpu}/${d}/cpufreq/scaling_governor`, 'utf8').trim());
      } catch {
        // no cpufreq for this CPU
      }
    }
    return found.size ? [...found].sort() : unknown('no cpufreq scaling_governor (a VM or container without frequency control)');
  } catch (e) {
    return unknown((e as Error).message);
  }
}

function linuxFacts(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const locale = env.LC_ALL || env.LC_MESSAGES || env.LANG;
  return {
    kernel: `${os.release()} (${os.version()})`,
    locale: locale ? locale : unknown('LC_ALL, LC_MESSAGES and LANG are unset (C locale)'),
    cpu_governor: cpuGovernors(),
    display: env.WAYLAND_DISPLAY ? `wayland ${env.WAYLAND_DISPLAY}` : env.DISPLAY ? `x11 ${env.DISPLAY}` : unknown('no DISPLAY or WAYLAND_DISPLAY'),
  };
}

export type EnvironmentOptions = {
  /** The data each mode reads: antivirus exclusions are checked for these. */
  dataPaths: string[];
  /** The driver's view of the session (monitors with DPI, remote or console); absent or failing: "unknown". */
  session?: () => Promise<SessionFacts>;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** PowerShell's time budget (ms); Get-MpComputerStatus and CIM can take seconds on a busy workstation. */
  timeoutMs?: number;
};

/** Collects the run environment once; never throws. */
export async function collectRunEnvironment(o: EnvironmentOptions): Promise<RunEnvironment> {
  const t0 = Date.now();
  const platform = o.platform ?? process.platform;
  const env = o.env ?? process.env;
  const facts: Record<string, unknown> = {};
  const session = o.session
    ? o.session().then(
        (s) => s,
        (e: Error) => e,
      )
    : undefined;
  if (platform === 'win32') {
    try {
      Object.assign(facts, await runPowerShell(WINDOWS_ENVIRONMENT_SCRIPT, { ...env, FASTBENCH_DATA_PATHS: o.dataPaths.join('|') }, o.timeoutMs ?? 60_000));
    } catch (e) {
      const why = unknown(`PowerShell: ${(e as Error).message}`);
      for (const k of ['os_build', 'display_language', 'power_plan', 'smb_client', 'smb_connections', 'antivirus', 'gpu_driver']) facts[k] = why;
    }
    if (typeof facts.os_build === 'string') facts.os_build = `${facts.os_build} (Node: ${os.release()})`;
  } else if (platform === 'linux') {
    Object.assign(facts, linuxFacts(env));
  } else {
    facts.os = `${os.type()} ${os.release()}`;
  }
  const s = await session;
  if (!s) {
    facts.session = unknown('no driver to ask');
    facts.monitors = unknown('no driver to ask');
  } else if (s instanceof Error) {
    facts.session = unknown(`the driver could not tell: ${s.message}`);
    facts.monitors = unknown(`the driver could not tell: ${s.message}`);
  } else {
    facts.session = { state: s.state, remote: s.remote ?? unknown('not reported'), detail: s.detail };
    facts.monitors = s.monitors.length ? s.monitors : unknown('the driver lists no monitors on this platform');
  }
  return { collected_at: new Date(t0).toISOString(), collect_ms: Date.now() - t0, platform, ...facts };
}

/**
 * Why a run cannot be trusted because of the session, or undefined when it can (or the platform cannot tell):
 * a locked screen or a disconnected remote session takes the input and the pixels away from the target.
 */
export async function sessionProblem(session: () => Promise<SessionFacts>, when: 'before' | 'after'): Promise<string | undefined> {
  let s: SessionFacts;
  try {
    s = await session();
  } catch {
    return undefined; // a driver without the request (an older one) or a platform that cannot tell: no verdict
  }
  if (s.state === 'locked') return `the session was locked ${when} the run (${s.detail}): input and screen reads do not reach the target; unlock and resume the campaign`;
  if (s.state === 'disconnected')
    return `the remote session was disconnected ${when} the run (${s.detail}): the target draws nothing while no client is connected; stay connected (or use the console) and resume`;
  return undefined;
}
