<#
.SYNOPSIS
    Cold FAST cache for a FastBench run: stops the FAST service, renames its cache folder with a timestamp,
    creates it empty, starts the service again, then keeps the newest K rotations.

.DESCRIPTION
    CacheFolder is renamed to "<CacheFolder>.rotated-yyyyMMddTHHmmssZ" (UTC; "-N" added when that exists).
    Only the configured folder and its own rotations (siblings named exactly "<leaf>.rotated-<timestamp>")
    are ever renamed or deleted; nothing else is touched. Refuses drive roots, the user profile, Windows and
    Program Files folders, relative paths and junctions/symbolic links.
    FAST is never left stopped: the stop is a request (ServiceController.Stop, which does not block) followed by a
    wait of at most ServiceTimeoutSeconds; a service that does not stop in time has its own process killed as a last
    resort (never a shared svchost), logged in "did". The start happens in a finally block, whatever failed, and
    BEFORE old rotations are deleted (deleting hundreds of GB must not keep FAST down). Every step is bounded, so
    the whole script ends within about 2 x ServiceTimeoutSeconds + 15 s plus the deletions; the caller's timeout
    is derived from that (extension/core/cache/windowsScripts.ts) and it runs -Recover if it ever had to end us.

    -Recover only starts the service if it is not running (and touches no folder): the caller's safety net.

    Prints exactly one JSON object on stdout:
      {"ok":bool,"whatIf":bool,"folder":"...","rotatedTo":"..."|null,"kept":[...],"removed":[...],
       "service":{"name":...,"wasRunning":bool,"stopped":bool,"killedPid":int|null,"started":bool}|null,
       "failedStep":"find-service"|"stop-service"|"rotate"|"start-service"|"prune"|"refused"|null,
       "did":[...],"couldNot":[...]}
    failedStep names the first step that failed. Exit code 0 when every step worked, 1 otherwise. Needs rights to
    stop the service (an administrator, or the FastBench cold helper: Install-ColdHelper.ps1).

.PARAMETER CacheFolder
    The FAST cache / pre-fetch folder (absolute path), e.g. D:\FastCache.
.PARAMETER Keep
    How many rotated folders to keep (default 2; 0 deletes the one just rotated too).
.PARAMETER ServiceName
    The FAST Windows service to stop and start around the rotation (optional).
.PARAMETER ServiceTimeoutSeconds
    How long to wait for the service to stop or start (default 60).
.PARAMETER Recover
    Only make sure the service runs again (start it if it is stopped); nothing else.
.PARAMETER WhatIf
    Say what would be done; change nothing.

.EXAMPLE
    powershell -NoProfile -ExecutionPolicy Bypass -File Rotate-FastCache.ps1 -CacheFolder D:\FastCache -Keep 2 -ServiceName FAST
#>
[CmdletBinding()]
param(
    [string]$CacheFolder = '',
    [ValidateRange(0, 1000)][int]$Keep = 2,
    [string]$ServiceName = '',
    [ValidateRange(1, 3600)][int]$ServiceTimeoutSeconds = 60,
    [switch]$Recover,
    [switch]$WhatIf
)

Set-StrictMode -Version 3
$ErrorActionPreference = 'Stop'
# Node reads stdout as UTF-8; powershell 5.1 would write the OEM code page (paths with Ø or é garbled).
try { [Console]::OutputEncoding = New-Object Text.UTF8Encoding $false } catch { }

$result = [ordered]@{
    ok        = $false
    whatIf    = [bool]$WhatIf
    folder    = $CacheFolder
    rotatedTo = $null
    kept      = @()
    removed   = @()
    service   = $null
    failedStep = $null
    did       = @()
    couldNot  = @()
}

function Add-Failure([string]$step, [string]$message) {
    if (-not $result.failedStep) { $result.failedStep = $step }
    $result.couldNot += "${step}: $message"
}

function Write-Result {
    $result.ok = ($result.couldNot.Count -eq 0)
    [Console]::Out.WriteLine(($result | ConvertTo-Json -Compress -Depth 4))
    if ($result.ok) { exit 0 } else { exit 1 }
}

function Test-Refused([string]$full) {
    # IsPathRooted('C:foo') is true although C:foo is drive-relative: ask for a drive letter and a backslash, or UNC.
    if ($CacheFolder -notmatch '^([A-Za-z]:\\|\\\\)') { return "expected an absolute path (D:\... or \\server\share\...), found '$CacheFolder'" }
    $root = [IO.Path]::GetPathRoot($full)
    if ($full.TrimEnd('\', '/') -eq $root.TrimEnd('\', '/')) { return "refusing to rotate the drive root $root" }
    $norm = { param($x) [IO.Path]::GetFullPath($x).TrimEnd('\') + '\' }
    $me = & $norm $full
    # A protected folder itself or anything above it is refused (C:\Users too); under the system folders as well
    # (C:\Windows\System32). Under a profile or ProgramData is allowed: FAST may keep its cache there.
    $exact = @($env:USERPROFILE, $env:ProgramData, $env:APPDATA, $env:LOCALAPPDATA, $env:PUBLIC) | Where-Object { $_ } | ForEach-Object { & $norm $_ }
    $system = @($env:SystemRoot, $env:ProgramFiles, ${env:ProgramFiles(x86)}) | Where-Object { $_ } | ForEach-Object { & $norm $_ }
    foreach ($p in @($exact) + @($system)) {
        if ($p.StartsWith($me, [StringComparison]::OrdinalIgnoreCase)) { return "refusing to rotate a system or profile folder or one above it ($full holds $p)" }
    }
    foreach ($p in $system) {
        if ($me.StartsWith($p, [StringComparison]::OrdinalIgnoreCase)) { return "refusing to rotate a folder under a system folder ($full is under $p)" }
    }
    if (Test-Path -LiteralPath $full) {
        $item = Get-Item -LiteralPath $full -Force
        if (-not $item.PSIsContainer) { return "$full exists but is not a folder" }
        if ($item.Attributes -band [IO.FileAttributes]::ReparsePoint) { return "$full is a junction or symbolic link; configure the real folder" }
    }
    return $null
}

try { $full = [IO.Path]::GetFullPath($CacheFolder) } catch { $full = $CacheFolder }
$result.folder = $full
if (-not $Recover) {
    $refused = Test-Refused $full
    if ($refused) {
        $result.couldNot += $refused
        $result.failedStep = 'refused'
        Write-Result
    }
}

$leaf = Split-Path -Leaf $full
$parent = Split-Path -Parent $full
$pattern = '^' + [regex]::Escape($leaf) + '\.rotated-\d{8}T\d{6}Z(-\d+)?$'
$verb = if ($WhatIf) { 'would ' } else { '' }

$timeout = [TimeSpan]::FromSeconds($ServiceTimeoutSeconds)

function Wait-Status($svc, [string]$status, [TimeSpan]$within) {
    try { $svc.WaitForStatus($status, $within); return $true }
    catch {
        # PowerShell wraps the .NET exception (MethodInvocationException); only the timeout means "not yet".
        for ($e = $_.Exception; $e; $e = $e.InnerException) { if ($e -is [System.ServiceProcess.TimeoutException]) { return $false } }
        throw
    }
}

# The service's own process, for the last-resort kill; $null for a shared svchost or a driver (killing those
# would take other services down), or when it has no process.
function Get-OwnProcessId([string]$name) {
    $w = Get-CimInstance -ClassName Win32_Service -Filter ("Name='{0}'" -f $name.Replace("'", "''")) -ErrorAction SilentlyContinue
    if (-not $w -or -not $w.ProcessId) { return $null }
    if ($w.ServiceType -ne 'Own Process') { return $null }
    $shared = @(Get-CimInstance -ClassName Win32_Service -Filter ("ProcessId={0}" -f $w.ProcessId) -ErrorAction SilentlyContinue)
    if ($shared.Count -gt 1) { return $null }
    return [int]$w.ProcessId
}

function Start-FastService($svc, [string]$why) {
    if ($WhatIf) { $result.did += "would start service $($svc.Name)"; return }
    try {
        $svc.Refresh()
        if ($svc.Status -eq 'Running') { $result.service.started = $true; $result.did += "service $($svc.Name) was already running ($why)"; return }
        # A service still stopping must finish before it can start: wait for that, bounded.
        if ($svc.Status -eq 'StopPending') { [void](Wait-Status $svc 'Stopped' $timeout) }
        $t0 = [DateTime]::UtcNow
        $svc.Start()
        if (Wait-Status $svc 'Running' $timeout) {
            $result.service.started = $true
            $result.did += ('started service {0} in {1:0.0} s ({2})' -f $svc.Name, ([DateTime]::UtcNow - $t0).TotalSeconds, $why)
        }
        else {
            $svc.Refresh()
            Add-Failure 'start-service' "service $($svc.Name) is $($svc.Status), not Running, after $ServiceTimeoutSeconds s: FAST is NOT serving; start it by hand (services.msc)"
        }
    }
    catch { Add-Failure 'start-service' "service $($svc.Name): $($_.Exception.Message); FAST is NOT serving, start it by hand (services.msc)" }
}

# 1. Find the service: exactly one, named literally (Get-Service -Name takes wildcards: FAST* could stop several).
$svc = $null
if ($ServiceName) {
    if ($ServiceName -match '[\*\?\[\]]') {
        Add-Failure 'find-service' "'$ServiceName' holds a wildcard character; name exactly one service"
        Write-Result
    }
    $svc = @(Get-Service -Name $ServiceName -ErrorAction SilentlyContinue)
    if ($svc.Count -ne 1) {
        Add-Failure 'find-service' "service '$ServiceName' not found (Get-Service); the cache was not rotated"
        Write-Result
    }
    $svc = $svc[0]
    $result.service = [ordered]@{ name = $svc.Name; wasRunning = ($svc.Status -eq 'Running'); stopped = $false; killedPid = $null; started = $false }
}

if ($Recover) {
    if (-not $svc) { Add-Failure 'find-service' '-Recover needs -ServiceName'; Write-Result }
    $result.service.wasRunning = $true
    Start-FastService $svc 'recovery after the caller had to end a rotation'
    Write-Result
}

$rotated = $false
try {
    # 2. Stop the service so it closes its cache files: a request, then a bounded wait, then the last resort.
    if ($svc -and $result.service.wasRunning) {
        if ($WhatIf) { $result.did += "would stop service $($svc.Name) (at most $ServiceTimeoutSeconds s, then kill its process)" }
        else {
            $t0 = [DateTime]::UtcNow
            try { $svc.Stop() } catch { throw "stop-service|service $($svc.Name) refused the stop request: $($_.Exception.Message)" }
            if (Wait-Status $svc 'Stopped' $timeout) {
                $result.service.stopped = $true
                $result.did += ('stopped service {0} in {1:0.0} s' -f $svc.Name, ([DateTime]::UtcNow - $t0).TotalSeconds)
            }
            else {
                $procId = Get-OwnProcessId $svc.Name
                if (-not $procId) { throw "stop-service|service $($svc.Name) did not stop within $ServiceTimeoutSeconds s and shares its process (or has none): not killed" }
                $result.did += "service $($svc.Name) did not stop within $ServiceTimeoutSeconds s: killing its process $procId (last resort)"
                try { Stop-Process -Id $procId -Force } catch { throw "stop-service|kill of process $procId failed: $($_.Exception.Message)" }
                $result.service.killedPid = $procId
                if (-not (Wait-Status $svc 'Stopped' ([TimeSpan]::FromSeconds(15)))) { throw "stop-service|service $($svc.Name) is still $($svc.Status) 15 s after its process was killed" }
                $result.service.stopped = $true
                $result.did += "service $($svc.Name) stopped after its process $procId was killed"
            }
        }
    }

    # 3. Rotate: rename the folder (instant, keeps the old cache for inspection) and create it empty.
    $hasContent = (Test-Path -LiteralPath $full) -and ($null -ne (Get-ChildItem -LiteralPath $full -Force | Select-Object -First 1))
    if ($hasContent) {
        # Invariant culture: a th-TH workstation would otherwise stamp Buddhist-calendar years.
        $stamp = [DateTime]::UtcNow.ToString('yyyyMMddTHHmmssZ', [Globalization.CultureInfo]::InvariantCulture)
        $name = "$leaf.rotated-$stamp"
        $n = 1
        while (Test-Path -LiteralPath (Join-Path $parent $name)) { $name = "$leaf.rotated-$stamp-$n"; $n++ }
        if (-not $WhatIf) {
            try { Rename-Item -LiteralPath $full -NewName $name }
            catch { throw "rotate|rename $full failed: $($_.Exception.Message) (files in use? close Petrel; is FAST stopped?)" }
        }
        $result.rotatedTo = Join-Path $parent $name
        $result.did += "${verb}rename $full to $name"
    }
    else {
        $result.did += "$full was absent or empty: nothing to rotate"
    }
    if (-not $WhatIf -and -not (Test-Path -LiteralPath $full)) {
        try { New-Item -ItemType Directory -Path $full | Out-Null } catch { throw "rotate|create empty $full failed: $($_.Exception.Message)" }
        $result.did += "created empty $full"
    }
    $rotated = $true
}
catch {
    $text = "$_"
    if ($text -match '^(stop-service|rotate)\|(.*)$') { Add-Failure $Matches[1] $Matches[2] } else { Add-Failure 'rotate' $text }
    if ($result.failedStep -eq 'stop-service') { $result.did += 'the cache was not rotated (FAST did not stop)' }
}
finally {
    # 4. Start the service again if it was running, whatever failed above, before anything slow.
    if ($svc -and $result.service.wasRunning) { Start-FastService $svc 'it was running before' }
}

# 5. Only now, with FAST serving again: keep the newest $Keep rotations, delete older ones (only names matching
#    $pattern), however long that takes.
if ($rotated) {
    try {
        # Never a junction or symbolic link: this may run as SYSTEM in a parent folder other users can write, and a
        # planted link named like a rotation would point the delete anywhere.
        $rotations = @(Get-ChildItem -LiteralPath $parent -Directory -Force |
                Where-Object { $_.Name -match $pattern -and -not ($_.Attributes -band [IO.FileAttributes]::ReparsePoint) } |
                ForEach-Object { $_.FullName })
        if ($WhatIf -and $result.rotatedTo) { $rotations += $result.rotatedTo }
        $rotations = @($rotations | Sort-Object -Descending -Unique)
        $result.kept = @($rotations | Select-Object -First $Keep)
        foreach ($old in @($rotations | Select-Object -Skip $Keep)) {
            if (-not $WhatIf) {
                # rmdir /s removes links inside the tree without following them (Windows PowerShell 5.1's
                # Remove-Item -Recurse may follow a junction and delete what it points to).
                try {
                    & cmd.exe /d /c rmdir /s /q "`"$old`"" 2>&1 | Out-Null
                    if (Test-Path -LiteralPath $old) { throw "rmdir /s /q left $old in place (exit $LASTEXITCODE)" }
                }
                catch { Add-Failure 'prune' "delete $old : $($_.Exception.Message)"; continue }
            }
            $result.removed += $old
            $result.did += "${verb}delete $old"
        }
    }
    catch { Add-Failure 'prune' "$_" }
}

Write-Result
