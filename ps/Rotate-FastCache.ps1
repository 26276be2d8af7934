<#
.SYNOPSIS
    Cold FAST cache for a FastBench run: stops the FAST service, renames its cache folder with a timestamp,
    creates it empty, keeps the newest K rotations and starts the service again.

.DESCRIPTION
    CacheFolder is renamed to "<CacheFolder>.rotated-yyyyMMddTHHmmssZ" (UTC; "-N" added when that exists).
    Only the configured folder and its own rotations (siblings named exactly "<leaf>.rotated-<timestamp>")
    are ever renamed or deleted; nothing else is touched. Refuses drive roots, the user profile, Windows and
    Program Files folders, relative paths and junctions/symbolic links.
    The service is started again only if it was running before, also when the rotation failed.

    Prints exactly one JSON object on stdout:
      {"ok":bool,"whatIf":bool,"folder":"...","rotatedTo":"..."|null,"kept":[...],"removed":[...],
       "service":{"name":...,"wasRunning":bool,"stopped":bool,"started":bool}|null,"did":[...],"couldNot":[...]}
    Exit code 0 when every step worked, 1 otherwise. Needs rights to stop the service (usually admin).

.PARAMETER CacheFolder
    The FAST cache / pre-fetch folder (absolute path), e.g. D:\FastCache.
.PARAMETER Keep
    How many rotated folders to keep (default 2; 0 deletes the one just rotated too).
.PARAMETER ServiceName
    The FAST Windows service to stop and start around the rotation (optional).
.PARAMETER ServiceTimeoutSeconds
    How long to wait for the service to stop or start (default 60).
.PARAMETER WhatIf
    Say what would be done; change nothing.

.EXAMPLE
    powershell -NoProfile -ExecutionPolicy Bypass -File Rotate-FastCache.ps1 -CacheFolder D:\FastCache -Keep 2 -ServiceName FAST
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)][string]$CacheFolder,
    [ValidateRange(0, 1000)][int]$Keep = 2,
    [string]$ServiceName = '',
    [ValidateRange(1, 3600)][int]$ServiceTimeoutSeconds = 60,
    [switch]$WhatIf
)

Set-StrictMode -Version 3
$ErrorActionPreference = 'Stop'

$result = [ordered]@{
    ok        = $false
    whatIf    = [bool]$WhatIf
    folder    = $CacheFolder
    rotatedTo = $null
    kept      = @()
    removed   = @()
    service   = $null
    did       = @()
    couldNot  = @()
}

function Write-Result {
    $result.ok = ($result.couldNot.Count -eq 0)
    [Console]::Out.WriteLine(($result | ConvertTo-Json -Compress -Depth 4))
    if ($result.ok) { exit 0 } else { exit 1 }
}

function Test-Refused([string]$full) {
    if (-not [IO.Path]::IsPathRooted($CacheFolder)) { return "expected an absolute path, found '$CacheFolder'" }
    $root = [IO.Path]::GetPathRoot($full)
    if ($full.TrimEnd('\', '/') -eq $root.TrimEnd('\', '/')) { return "refusing to rotate the drive root $root" }
    $protected = @($env:USERPROFILE, $env:SystemRoot, $env:ProgramFiles, ${env:ProgramFiles(x86)}, $env:ProgramData, $env:APPDATA, $env:LOCALAPPDATA) |
        Where-Object { $_ } | ForEach-Object { [IO.Path]::GetFullPath($_).TrimEnd('\') }
    if ($protected -contains $full.TrimEnd('\')) { return "refusing to rotate a system or profile folder ($full)" }
    if (Test-Path -LiteralPath $full) {
        $item = Get-Item -LiteralPath $full -Force
        if (-not $item.PSIsContainer) { return "$full exists but is not a folder" }
        if ($item.Attributes -band [IO.FileAttributes]::ReparsePoint) { return "$full is a junction or symbolic link; configure the real folder" }
    }
    return $null
}

try { $full = [IO.Path]::GetFullPath($CacheFolder) } catch { $full = $CacheFolder }
$result.folder = $full
$refused = Test-Refused $full
if ($refused) {
    $result.couldNot += $refused
    Write-Result
}

$leaf = Split-Path -Leaf $full
$parent = Split-Path -Parent $full
$pattern = '^' + [regex]::Escape($leaf) + '\.rotated-\d{8}T\d{6}Z(-\d+)?$'
$verb = if ($WhatIf) { 'would ' } else { '' }

# 1. Stop the service so it closes its cache files.
$svc = $null
if ($ServiceName) {
    $svc = Get-Service -Name $ServiceName -ErrorAction SilentlyContinue
    if (-not $svc) {
        $result.couldNot += "service '$ServiceName' not found (Get-Service); the cache was not rotated"
        Write-Result
    }
    $result.service = [ordered]@{ name = $svc.Name; wasRunning = ($svc.Status -eq 'Running'); stopped = $false; started = $false }
    if ($result.service.wasRunning) {
        if ($WhatIf) { $result.did += "would stop service $($svc.Name)" }
        else {
            try {
                Stop-Service -InputObject $svc -Force
                $svc.WaitForStatus('Stopped', [TimeSpan]::FromSeconds($ServiceTimeoutSeconds))
                $result.service.stopped = $true
                $result.did += "stopped service $($svc.Name)"
            }
            catch {
                $result.couldNot += "stop service $($svc.Name): $($_.Exception.Message); the cache was not rotated"
                Write-Result
            }
        }
    }
}

try {
    # 2. Rotate: rename the folder (instant, keeps the old cache for inspection) and create it empty.
    $hasContent = (Test-Path -LiteralPath $full) -and ($null -ne (Get-ChildItem -LiteralPath $full -Force | Select-Object -First 1))
    if ($hasContent) {
        $stamp = [DateTime]::UtcNow.ToString('yyyyMMddTHHmmssZ')
        $name = "$leaf.rotated-$stamp"
        $n = 1
        while (Test-Path -LiteralPath (Join-Path $parent $name)) { $name = "$leaf.rotated-$stamp-$n"; $n++ }
        if (-not $WhatIf) {
            try { Rename-Item -LiteralPath $full -NewName $name }
            catch { throw "rename $full failed: $($_.Exception.Message) (files in use? close Petrel; is FAST stopped?)" }
        }
        $result.rotatedTo = Join-Path $parent $name
        $result.did += "${verb}rename $full to $name"
    }
    else {
        $result.did += "$full was absent or empty: nothing to rotate"
    }
    if (-not $WhatIf -and -not (Test-Path -LiteralPath $full)) {
        New-Item -ItemType Directory -Path $full | Out-Null
        $result.did += "created empty $full"
    }

    # 3. Keep the newest $Keep rotations of this folder; delete older ones (only names matching $pattern).
    $rotations = @(Get-ChildItem -LiteralPath $parent -Directory -Force | Where-Object { $_.Name -match $pattern } | ForEach-Object { $_.FullName })
    if ($WhatIf -and $result.rotatedTo) { $rotations += $result.rotatedTo }
    $rotations = @($rotations | Sort-Object -Descending -Unique)
    $result.kept = @($rotations | Select-Object -First $Keep)
    foreach ($old in @($rotations | Select-Object -Skip $Keep)) {
        if (-not $WhatIf) {
            try { Remove-Item -LiteralPath $old -Recurse -Force }
            catch { $result.couldNot += "delete $old : $($_.Exception.Message)"; continue }
        }
        $result.removed += $old
        $result.did += "${verb}delete $old"
    }
}
catch {
    $result.couldNot += "$_"
}
finally {
    # 4. Start the service again if it was running, also after a failed rotation.
    if ($svc -and $result.service.wasRunning) {
        if ($WhatIf) { $result.did += "would start service $($svc.Name)" }
        else {
            try {
                Start-Service -InputObject $svc
                $svc.WaitForStatus('Running', [TimeSpan]::FromSeconds($ServiceTimeoutSeconds))
                $result.service.started = $true
                $result.did += "started service $($svc.Name)"
            }
            catch { $result.couldNot += "start service $($svc.Name): $($_.Exception.Message)" }
        }
    }
}

Write-Result
