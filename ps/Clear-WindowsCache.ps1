<#
.SYNOPSIS
    Cold OS file cache for a FastBench run: flushes the Windows system file cache and purges the standby list.

.DESCRIPTION
    1. Enables SeIncreaseQuotaPrivilege and calls SetSystemFileCacheSize(-1, -1, 0): the system file cache
       (working set of the cache manager) is flushed.
    2. Enables SeProfileSingleProcessPrivilege and calls NtSetSystemInformation(SystemMemoryListInformation = 80)
       with MemoryFlushModifiedList (3), then MemoryPurgeStandbyList (4): modified pages are written out and the
       standby list - where file pages stay cached after the cache manager lets go of them - is emptied.
    Pages of files that are still open or mapped survive: close Petrel and stop FAST first
    (Rotate-FastCache.ps1 does the latter). The NAS server's own cache is untouched.

    Evidence (read-only, also with -WhatIf and when not elevated), in "evidence":
      standbyBefore/standbyAfter: standby list bytes (core + normal + reserve) and modified list bytes, from the
        Win32_PerfRawData_PerfOS_Memory class (class and property names are not localised, unlike counter paths);
      sysMain: the SysMain (Superfetch) service state - running, it refills the standby list after the purge;
      offlineFiles / branchCache: Offline Files (CSC) and BranchCache (PeerDistSvc) - either can serve "NAS" reads
        locally without touching the network;
      smbClient: the SMB client's directory / file-info / file-not-found cache lifetimes (no command empties them;
        they expire, 10/10/5 s by default);
      languageMode: FullLanguage, or ConstrainedLanguage (AppLocker/WDAC), where Add-Type and so the purge fail.
    Per-file: the caller (extension/core/cache/releaseFile.ts) opens each data file alone and unbuffered first.

    Needs an elevated PowerShell (Run as administrator) or the FastBench cold helper (runs it as SYSTEM). Prints
    exactly one JSON object on stdout:
      {"ok":bool,"admin":bool,"whatIf":bool,"did":[...],"couldNot":[...],"evidence":{...}}
    Exit code 0 when every step worked, 1 otherwise.

.PARAMETER WhatIf
    Say what would be done; change nothing.

.EXAMPLE
    powershell -NoProfile -ExecutionPolicy Bypass -File Clear-WindowsCache.ps1
#>
[CmdletBinding()]
param(
    [switch]$WhatIf
)

Set-StrictMode -Version 3
$ErrorActionPreference = 'Stop'
try { [Console]::OutputEncoding = New-Object Text.UTF8Encoding $false } catch { }

$result = [ordered]@{
    ok       = $false
    admin    = $false
    whatIf   = [bool]$WhatIf
    did      = @()
    couldNot = @()
    evidence = [ordered]@{}
}

# Each probe is best effort: a missing class or cmdlet is recorded as null with the reason, never a failure.
function Get-Evidence([scriptblock]$probe) {
    try { & $probe } catch { [ordered]@{ unknown = $_.Exception.Message } }
}

function Get-MemoryLists {
    $m = Get-CimInstance -ClassName Win32_PerfRawData_PerfOS_Memory -ErrorAction Stop
    [ordered]@{
        standbyBytes  = [int64]$m.StandbyCacheCoreBytes + [int64]$m.StandbyCacheNormalPriorityBytes + [int64]$m.StandbyCacheReserveBytes
        modifiedBytes = [int64]$m.ModifiedPageListBytes
        at            = [DateTime]::UtcNow.ToString('o', [Globalization.CultureInfo]::InvariantCulture)
    }
}

function Get-ServiceState([string]$name) {
    $s = Get-Service -Name $name -ErrorAction SilentlyContinue
    if (-not $s) { return 'absent' }
    return "$($s.Status) (start: $($s.StartType))"
}

function Write-Result {
    $result.ok = ($result.couldNot.Count -eq 0)
    # One compressed line: the caller reads the last line of stdout as the result.
    [Console]::Out.WriteLine(($result | ConvertTo-Json -Compress -Depth 4))
    if ($result.ok) { exit 0 } else { exit 1 }
}

$result.evidence.languageMode = "$($ExecutionContext.SessionState.LanguageMode)"
# First: under ConstrainedLanguage (AppLocker/WDAC) the .NET calls below would stop the script without its JSON.
if ($result.evidence.languageMode -ne 'FullLanguage') {
    $result.couldNot += "PowerShell runs in $($result.evidence.languageMode) mode (AppLocker/WDAC), where Add-Type is blocked: allow-list $PSScriptRoot (admin-write-only) or sign the script with a publisher the policy trusts; nothing was cleared"
    Write-Result
}
$result.evidence.runAs = [Security.Principal.WindowsIdentity]::GetCurrent().Name
$result.evidence.standbyBefore = Get-Evidence { Get-MemoryLists }
$result.evidence.sysMain = Get-Evidence { Get-ServiceState 'SysMain' }
$result.evidence.branchCache = Get-Evidence { Get-ServiceState 'PeerDistSvc' }
$result.evidence.offlineFiles = Get-Evidence { $c = Get-CimInstance -ClassName Win32_OfflineFilesCache -ErrorAction Stop; [ordered]@{ enabled = [bool]$c.Enabled; active = [bool]$c.Active } }
$result.evidence.smbClient = Get-Evidence {
    $c = Get-SmbClientConfiguration -ErrorAction Stop
    [ordered]@{ directoryCacheLifetime = $c.DirectoryCacheLifetime; fileInfoCacheLifetime = $c.FileInfoCacheLifetime; fileNotFoundCacheLifetime = $c.FileNotFoundCacheLifetime }
}

$identity = [Security.Principal.WindowsIdentity]::GetCurrent()
$result.admin = ([Security.Principal.WindowsPrincipal]$identity).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)

$steps = @(
    'flush the system file cache (SetSystemFileCacheSize -1, -1)',
    'flush the modified page list (NtSetSystemInformation 80, MemoryFlushModifiedList)',
    'purge the standby list (NtSetSystemInformation 80, MemoryPurgeStandbyList)'
)

if ($WhatIf) {
    foreach ($s in $steps) { $result.did += "would $s" }
    if (-not $result.admin) { $result.couldNot += 'not elevated: a real run needs an administrator PowerShell' }
    Write-Result
}

if (-not $result.admin) {
    $result.couldNot += 'not elevated: run from an administrator PowerShell (Run as administrator), or install the FastBench cold helper once (fastbench cold-helper install); nothing was cleared'
    Write-Result
}


try {
    Add-Type -Language CSharp -TypeDefinition @'
using System;
using System.Runtime.InteropServices;

public static class FastBenchCache {
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    struct LUID { public uint Low; public int High; }
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    struct TOKEN_PRIVILEGES { public uint Count; public LUID Luid; public uint Attributes; }

    [DllImport("advapi32.dll", SetLastError = true)]
    static extern bool OpenProcessToken(IntPtr process, uint access, out IntPtr token);
    [DllImport("advapi32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
    static extern bool LookupPrivilegeValue(string system, string name, out LUID luid);
    [DllImport("advapi32.dll", SetLastError = true)]
    static extern bool AdjustTokenPrivileges(IntPtr token, bool disableAll, ref TOKEN_PRIVILEGES state, uint length, IntPtr previous, IntPtr returnLength);
    [DllImport("kernel32.dll")]
    static extern IntPtr GetCurrentProcess();
    [DllImport("kernel32.dll", SetLastError = true)]
    static extern bool CloseHandle(IntPtr handle);
    [DllImport("kernel32.dll", SetLastError = true)]
    static extern bool SetSystemFileCacheSize(IntPtr minimum, IntPtr maximum, uint flags);
    [DllImport("ntdll.dll")]
    static extern int NtSetSystemInformation(int infoClass, ref int info, int length);

    // 0 on success, else the Win32 error (1300 = ERROR_NOT_ALL_ASSIGNED: the account lacks the privilege).
    public static int EnablePrivilege(string name) {
        IntPtr token;
        if (!OpenProcessToken(GetCurrentProcess(), 0x0020 | 0x0008, out token)) return Marshal.GetLastWin32Error();
        try {
            LUID luid;
            if (!LookupPrivilegeValue(null, name, out luid)) return Marshal.GetLastWin32Error();
            TOKEN_PRIVILEGES tp = new TOKEN_PRIVILEGES { Count = 1, Luid = luid, Attributes = 2 };
            if (!AdjustTokenPrivileges(token, false, ref tp, 0, IntPtr.Zero, IntPtr.Zero)) return Marshal.GetLastWin32Error();
            return Marshal.GetLastWin32Error();
        } finally { CloseHandle(token); }
    }

    public static int FlushFileCache() {
        return SetSystemFileCacheSize(new IntPtr(-1), new IntPtr(-1), 0) ? 0 : Marshal.GetLastWin32Error();
    }

    // NTSTATUS: 0 = success.
    public static int MemoryListCommand(int command) {
        return NtSetSystemInformation(80, ref command, 4);
    }
}
'@
}
catch {
    $result.couldNot += "cannot compile the Win32 helper (Add-Type): $($_.Exception.Message)"
    Write-Result
}

$e = [FastBenchCache]::EnablePrivilege('SeIncreaseQuotaPrivilege')
if ($e -ne 0) {
    $result.couldNot += "$($steps[0]): cannot enable SeIncreaseQuotaPrivilege (Win32 error $e)"
}
else {
    $e = [FastBenchCache]::FlushFileCache()
    if ($e -eq 0) { $result.did += $steps[0] } else { $result.couldNot += "$($steps[0]): Win32 error $e" }
}

$e = [FastBenchCache]::EnablePrivilege('SeProfileSingleProcessPrivilege')
if ($e -ne 0) {
    $result.couldNot += "$($steps[1]) and $($steps[2]): cannot enable SeProfileSingleProcessPrivilege (Win32 error $e)"
}
else {
    foreach ($pair in @(@(3, $steps[1]), @(4, $steps[2]))) {
        $status = [FastBenchCache]::MemoryListCommand($pair[0])
        if ($status -eq 0) { $result.did += $pair[1] } else { $result.couldNot += ('{0}: NTSTATUS 0x{1:X8}' -f $pair[1], $status) }
    }
}

$result.evidence.standbyAfter = Get-Evidence { Get-MemoryLists }
$before = $result.evidence.standbyBefore
$after = $result.evidence.standbyAfter
if ($before.Contains('standbyBytes') -and $after.Contains('standbyBytes')) {
    $result.did += ('standby list {0:N0} MiB -> {1:N0} MiB' -f ($before.standbyBytes / 1048576), ($after.standbyBytes / 1048576))
}
if ("$($result.evidence.sysMain)" -like 'Running*') { $result.did += 'note: SysMain is running and refills the standby list from its own prediction' }

Write-Result
