<#
.SYNOPSIS
    The FastBench cold helper's task action: runs the Cold steps that need elevation for a campaign that has none.

.DESCRIPTION
    Installed by Install-ColdHelper.ps1 into %ProgramData%\FastBench\helper and run ONLY by the scheduled task
    \FastBench\ColdHelper (as SYSTEM, highest privileges), which a normal user may start but not change. It takes
    no parameters. It reads each request file in requests\ (written by the campaign: {"id":"<32 hex>","op":
    "purge"|"rotate"|"recover","whatIf":bool}), deletes it, runs the matching script from its own folder with the
    values fixed at install in helper.json (cache folder, service, keep, timeout), and writes the script's JSON
    object to results\<id>.json (aside, then moved into place). A request names nothing else, so a user cannot
    point SYSTEM at another folder, service or file.

    What keeps an unprivileged user from making SYSTEM run something else:
    - the task's action is this file's fixed path; the folder and its files are owned by Administrators, with
      inheritance cut: SYSTEM and Administrators full control, Users read and execute only; requests\ alone
      lets Users add files;
    - before running a script it compares its SHA-256 with helper.json (written at install, admin-only); with
      AllSigned it also requires a valid Authenticode signature;
    - request files are data only (JSON, validated field by field; their content is never echoed into results,
      so a request that is a link to a secret file leaks nothing); links and junctions are refused.

    Writes one JSON line to stdout too (for a person running it by hand; the task's output goes nowhere).
#>
[CmdletBinding()]
param()

Set-StrictMode -Version 3
$ErrorActionPreference = 'Stop'
try { [Console]::OutputEncoding = New-Object Text.UTF8Encoding $false } catch { }

$here = $PSScriptRoot
$requests = Join-Path $here 'requests'
$results = Join-Path $here 'results'
$summary = [ordered]@{ ok = $true; handled = @(); did = @(); couldNot = @() }

function Write-Answer([string]$id, $answer) {
    $tmp = Join-Path $results ".$id.tmp"
    $final = Join-Path $results "$id.json"
    [IO.File]::WriteAllText($tmp, ($answer | ConvertTo-Json -Compress -Depth 6), (New-Object Text.UTF8Encoding $false))
    Move-Item -LiteralPath $tmp -Destination $final -Force
}

function Test-Script([string]$name, $config) {
    $file = Join-Path $here $name
    if (-not (Test-Path -LiteralPath $file)) { return "$file is missing: reinstall the helper" }
    $want = $config.scripts.$name
    $have = (Get-FileHash -LiteralPath $file -Algorithm SHA256).Hash
    if (-not $want -or $have -ne $want) { return "$name does not match the hash recorded at install (changed since?): refusing to run it; reinstall the helper" }
    $policy = Get-ExecutionPolicy
    if ($policy -eq 'AllSigned') {
        $sig = Get-AuthenticodeSignature -LiteralPath $file
        if ($sig.Status -ne 'Valid') { return "$name has no valid signature ($($sig.Status)) and the execution policy is AllSigned: reinstall with -SigningCertificateThumbprint" }
    }
    return $null
}

function Invoke-Script([string]$name, [hashtable]$arguments, $config) {
    $bad = Test-Script $name $config
    if ($bad) { return [ordered]@{ ok = $false; did = @(); couldNot = @($bad) } }
    $exe = Join-Path $PSHOME 'powershell.exe'
    if (-not (Test-Path -LiteralPath $exe)) { $exe = Join-Path $PSHOME 'pwsh.exe' }
    $list = @('-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', (Join-Path $here $name))
    foreach ($k in $arguments.Keys) {
        $v = $arguments[$k]
        if ($v -is [bool]) { if ($v) { $list += "-$k" } }
        elseif ($null -ne $v -and "$v" -ne '') { $list += "-$k"; $list += "$v" }
    }
    $lines = @(& $exe @list)
    $last = if ($lines.Count) { $lines[-1] } else { '' }
    try { return ($last | ConvertFrom-Json) }
    catch { return [ordered]@{ ok = $false; did = @(); couldNot = @("$name printed no JSON result (exit $LASTEXITCODE)") } }
}

try {
    $config = Get-Content -LiteralPath (Join-Path $here 'helper.json') -Raw | ConvertFrom-Json
    foreach ($dir in @($here, $requests, $results)) {
        if ((Get-Item -LiteralPath $dir -Force).Attributes -band [IO.FileAttributes]::ReparsePoint) { throw "$dir is a junction or link: refusing to work (reinstall the helper)" }
    }
    # Drop answers nobody collected within a day.
    Get-ChildItem -LiteralPath $results -File -Force | Where-Object { $_.LastWriteTimeUtc -lt [DateTime]::UtcNow.AddDays(-1) } | Remove-Item -Force -ErrorAction SilentlyContinue

    # Requests that arrive while this instance runs are handled too (a second schtasks /run is ignored meanwhile).
    for ($round = 0; $round -lt 50; $round++) {
        $pending = @(Get-ChildItem -LiteralPath $requests -Filter '*.json' -File -Force | Sort-Object LastWriteTimeUtc)
        if (-not $pending.Count) { break }
        foreach ($f in $pending) {
            $id = [IO.Path]::GetFileNameWithoutExtension($f.Name)
            $isLink = [bool]($f.Attributes -band [IO.FileAttributes]::ReparsePoint)
            $text = if ($isLink -or $f.Length -gt 4096) { '' } else { Get-Content -LiteralPath $f.FullName -Raw -ErrorAction SilentlyContinue }
            Remove-Item -LiteralPath $f.FullName -Force -ErrorAction SilentlyContinue
            if ($id -notmatch '^[0-9a-f]{32}$') { $summary.couldNot += "ignored request file $($f.Name): not <32 hex>.json"; continue }
            $req = $null
            try {
                $req = $text | ConvertFrom-Json
                # StrictMode: a missing property throws, which also makes the request invalid.
                if ($req.id -ne $id -or @('purge', 'rotate', 'recover') -notcontains $req.op -or ($req.whatIf -isnot [bool])) { $req = $null }
            }
            catch { $req = $null }
            $answer = $null
            # One request's failure is that request's answer: the others, already taken from requests\, still get theirs.
            try {
                if (-not $req) {
                    # The content is not echoed: the file may be a copy of something the user may not read.
                    $answer = [ordered]@{ ok = $false; did = @(); couldNot = @('the request is not {"id","op":"purge"|"rotate"|"recover","whatIf":bool}') }
                }
                elseif ($req.op -eq 'purge') {
                    $answer = Invoke-Script 'Clear-WindowsCache.ps1' @{ WhatIf = [bool]$req.whatIf } $config
                }
                elseif (-not $config.cacheFolder -and $req.op -eq 'rotate') {
                    $answer = [ordered]@{ ok = $false; did = @(); couldNot = @('the helper was installed without a cache folder: reinstall with --config naming modes.B_fast') }
                }
                elseif ($req.op -eq 'rotate') {
                    $answer = Invoke-Script 'Rotate-FastCache.ps1' @{ CacheFolder = $config.cacheFolder; Keep = $config.keep; ServiceName = $config.serviceName; ServiceTimeoutSeconds = $config.serviceTimeoutSeconds; WhatIf = [bool]$req.whatIf } $config
                }
                else {
                    $answer = Invoke-Script 'Rotate-FastCache.ps1' @{ ServiceName = $config.serviceName; ServiceTimeoutSeconds = $config.serviceTimeoutSeconds; Recover = $true } $config
                }
                $about = [ordered]@{ op = $(if ($req) { "$($req.op)" } else { $null }); id = $id; runAs = [Security.Principal.WindowsIdentity]::GetCurrent().Name }
                if ($answer -is [Collections.IDictionary]) { $answer['helper'] = $about }
                else { $answer | Add-Member -NotePropertyName helper -NotePropertyValue $about -Force }
                Write-Answer $id $answer
                $summary.handled += $id
            }
            catch {
                $summary.couldNot += "request ${id}: $_"
                try { Write-Answer $id ([ordered]@{ ok = $false; did = @(); couldNot = @("the helper failed on this request: $_") }) } catch { $summary.ok = $false }
            }
        }
    }
}
catch {
    $summary.ok = $false
    $summary.couldNot += "$_"
}
[Console]::Out.WriteLine(($summary | ConvertTo-Json -Compress -Depth 4))
if ($summary.ok) { exit 0 } else { exit 1 }
