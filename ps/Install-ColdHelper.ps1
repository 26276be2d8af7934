<#
.SYNOPSIS
    Installs, removes or checks the FastBench cold helper: a scheduled task that runs the Cold steps needing
    elevation (OS cache purge, FAST service stop/rotate/start) for campaigns started from a normal VS Code.

.DESCRIPTION
    install (as administrator, once per workstation and FAST layout):
      1. %ProgramData%\FastBench and its helper\ folder are (re)created owned by Administrators with inheritance
         cut: SYSTEM and Administrators full control, Users read and execute. A folder a user made there before
         (any user may create folders under ProgramData) is removed first, with whatever rights it carried.
      2. ColdHelper.ps1, Clear-WindowsCache.ps1 and Rotate-FastCache.ps1 are copied there (and Authenticode-signed
         with -SigningCertificateThumbprint, for AllSigned machines); helper.json records the cache folder, service,
         keep count, timeout and each script's SHA-256, which ColdHelper.ps1 checks before running one.
      3. requests\ lets Users create files (the campaign's requests); results\ is read-only for them.
      4. Task \FastBench\ColdHelper: action = powershell.exe -File <that fixed ColdHelper.ps1>, principal SYSTEM
         (S-1-5-18, service account logon, highest run level), no trigger (on demand), one instance at a time,
         30 min limit. Its security descriptor lets the campaign user (-AllowedUser, default the console user)
         read and run it, not change it.
      Why SYSTEM and not the user's own account with "highest privileges": on a locked-down workstation the
      campaign user is not an administrator, and highest privileges of a standard account is still a standard
      token; a task under another admin account would need its password stored. SYSTEM needs no password, holds
      the two privileges the purge enables, and can control services. It runs in session 0, which is fine: the
      helper does no input, hooks or screen capture (those stay in the user's session).
    uninstall (as administrator): unregisters the task and deletes %ProgramData%\FastBench\helper.
    status (any user): task present, files present and matching their hashes, execution policies, language mode.

    Prints exactly one JSON object on stdout:
      {"ok":bool,"action":"...","did":[...],"couldNot":[...],"helper":{...}|null}
    Exit code 0 when every step worked, 1 otherwise.

.PARAMETER Action
    install, uninstall or status.
.PARAMETER CacheFolder
    The FAST cache folder the helper may rotate (modes.B_fast.cacheFolder); empty: purge only.
.PARAMETER ServiceName
    The FAST service the helper may stop and start (modes.B_fast.serviceName).
.PARAMETER Keep
    Rotated folders to keep (modes.B_fast.keepRotated).
.PARAMETER ServiceTimeoutSeconds
    The longest a stop or start may take before the last resort.
.PARAMETER AllowedUser
    Account (DOMAIN\name) allowed to start the task; default: the user logged on at the console.
.PARAMETER SigningCertificateThumbprint
    Code-signing certificate (LocalMachine\My or CurrentUser\My) to sign the copied scripts with (AllSigned).
.PARAMETER SourceFolder
    Where the scripts are copied from (default: this script's folder).

.EXAMPLE
    powershell -NoProfile -ExecutionPolicy Bypass -File Install-ColdHelper.ps1 -Action install -CacheFolder D:\FASTCache -ServiceName FASTService
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)][ValidateSet('install', 'uninstall', 'status')][string]$Action,
    [string]$CacheFolder = '',
    [string]$ServiceName = '',
    [ValidateRange(0, 1000)][int]$Keep = 2,
    [ValidateRange(1, 3600)][int]$ServiceTimeoutSeconds = 60,
    [string]$AllowedUser = '',
    [string]$SigningCertificateThumbprint = '',
    [string]$SourceFolder = ''
)

Set-StrictMode -Version 3
$ErrorActionPreference = 'Stop'
try { [Console]::OutputEncoding = New-Object Text.UTF8Encoding $false } catch { }

$taskPath = '\FastBench\'
$taskName = 'ColdHelper'
$base = Join-Path $env:ProgramData 'FastBench'
$dir = Join-Path $base 'helper'
$scripts = @('ColdHelper.ps1', 'Clear-WindowsCache.ps1', 'Rotate-FastCache.ps1')
if (-not $SourceFolder) { $SourceFolder = $PSScriptRoot }

$result = [ordered]@{
    ok       = $false
    action   = $Action
    did      = @()
    couldNot = @()
    helper   = $null
}

function Write-Result {
    $result.ok = ($result.couldNot.Count -eq 0)
    [Console]::Out.WriteLine(($result | ConvertTo-Json -Compress -Depth 5))
    if ($result.ok) { exit 0 } else { exit 1 }
}

function Test-Admin {
    $id = [Security.Principal.WindowsIdentity]::GetCurrent()
    return ([Security.Principal.WindowsPrincipal]$id).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
}

# Owner Administrators, inheritance cut, exactly these rules (anything a user put there before is gone).
function Set-ProtectedAcl([string]$path, [object[]]$extra = @()) {
    $acl = New-Object Security.AccessControl.DirectorySecurity
    $acl.SetOwner((New-Object Security.Principal.SecurityIdentifier 'S-1-5-32-544'))
    $acl.SetAccessRuleProtection($true, $false)
    $inherit = [Security.AccessControl.InheritanceFlags]'ContainerInherit, ObjectInherit'
    $none = [Security.AccessControl.PropagationFlags]::None
    foreach ($r in @(@('S-1-5-18', 'FullControl'), @('S-1-5-32-544', 'FullControl'), @('S-1-5-32-545', 'ReadAndExecute'))) {
        $acl.AddAccessRule((New-Object Security.AccessControl.FileSystemAccessRule((New-Object Security.Principal.SecurityIdentifier $r[0]), $r[1], $inherit, $none, 'Allow')))
    }
    foreach ($r in $extra) { $acl.AddAccessRule($r) }
    Set-Acl -LiteralPath $path -AclObject $acl
}

function Get-Status {
    $h = [ordered]@{ folder = $dir; task = "$taskPath$taskName"; taskPresent = $false; config = $null; scripts = [ordered]@{}; executionPolicy = [ordered]@{}; languageMode = "$($ExecutionContext.SessionState.LanguageMode)" }
    & schtasks.exe /query /tn "$taskPath$taskName" *> $null
    $h.taskPresent = ($LASTEXITCODE -eq 0)
    $cfgFile = Join-Path $dir 'helper.json'
    if (Test-Path -LiteralPath $cfgFile) { $h.config = Get-Content -LiteralPath $cfgFile -Raw | ConvertFrom-Json }
    foreach ($s in $scripts) {
        $f = Join-Path $dir $s
        $state = 'missing'
        if (Test-Path -LiteralPath $f) {
            $hash = (Get-FileHash -LiteralPath $f -Algorithm SHA256).Hash
            $state = if ($h.config -and $h.config.scripts.$s -eq $hash) { 'hash ok' } else { 'CHANGED since install' }
            $sig = Get-AuthenticodeSignature -LiteralPath $f
            $state += "; signature $($sig.Status)"
        }
        $h.scripts[$s] = $state
    }
    foreach ($p in Get-ExecutionPolicy -List) { $h.executionPolicy["$($p.Scope)"] = "$($p.ExecutionPolicy)" }
    return $h
}

if ($Action -eq 'status') {
    $result.helper = Get-Status
    if (-not $result.helper.taskPresent) { $result.couldNot += "task $taskPath$taskName is not registered (or not readable by this user): run the install as administrator" }
    if (-not $result.helper.config) { $result.couldNot += "$dir\helper.json is missing: run the install as administrator" }
    foreach ($k in @($result.helper.scripts.Keys)) { if ($result.helper.scripts[$k] -notlike 'hash ok*') { $result.couldNot += "${k}: $($result.helper.scripts[$k])" } }
    if ($result.helper.executionPolicy['MachinePolicy'] -eq 'AllSigned' -or $result.helper.executionPolicy['UserPolicy'] -eq 'AllSigned') {
        foreach ($k in @($result.helper.scripts.Keys)) { if ($result.helper.scripts[$k] -notlike '*signature Valid') { $result.couldNot += "${k}: AllSigned by policy but the script is not validly signed (reinstall with -SigningCertificateThumbprint)" } }
    }
    Write-Result
}

if (-not (Test-Admin)) {
    $result.couldNot += "$Action needs an administrator terminal (Run as administrator); nothing was changed"
    Write-Result
}

try {
    if ($Action -eq 'uninstall') {
        if (Get-ScheduledTask -TaskPath $taskPath -TaskName $taskName -ErrorAction SilentlyContinue) {
            Unregister-ScheduledTask -TaskPath $taskPath -TaskName $taskName -Confirm:$false
            $result.did += "unregistered task $taskPath$taskName"
        }
        else { $result.did += "task $taskPath$taskName was not registered" }
        if (Test-Path -LiteralPath $dir) { Remove-Item -LiteralPath $dir -Recurse -Force; $result.did += "deleted $dir" }
        Write-Result
    }

    # install
    foreach ($s in $scripts) { if (-not (Test-Path -LiteralPath (Join-Path $SourceFolder $s))) { throw "$(Join-Path $SourceFolder $s) is missing (incomplete FastBench installation)" } }
    if ($CacheFolder -and $CacheFolder -notmatch '^([A-Za-z]:\\|\\\\)') { throw "CacheFolder: expected an absolute path, found '$CacheFolder'" }
    if ($ServiceName -match '[\*\?\[\]]') { throw "ServiceName: '$ServiceName' holds a wildcard character; name exactly one service" }
    if ($ServiceName -and -not (Get-Service -Name $ServiceName -ErrorAction SilentlyContinue)) { throw "ServiceName: no service '$ServiceName' on this machine (Get-Service)" }

    if (Get-ScheduledTask -TaskPath $taskPath -TaskName $taskName -ErrorAction SilentlyContinue) {
        Unregister-ScheduledTask -TaskPath $taskPath -TaskName $taskName -Confirm:$false
        $result.did += 'removed the previous task'
    }
    # A link or a folder someone else made here first goes, whatever it holds.
    foreach ($p in @($dir, $base)) {
        if (Test-Path -LiteralPath $p) {
            $item = Get-Item -LiteralPath $p -Force
            if ($item.Attributes -band [IO.FileAttributes]::ReparsePoint) { $item.Delete(); $result.did += "removed the link $p" }
        }
    }
    if (Test-Path -LiteralPath $dir) { Remove-Item -LiteralPath $dir -Recurse -Force; $result.did += "removed the previous $dir" }
    if (-not (Test-Path -LiteralPath $base)) { New-Item -ItemType Directory -Path $base | Out-Null }
    Set-ProtectedAcl $base
    New-Item -ItemType Directory -Path $dir | Out-Null
    Set-ProtectedAcl $dir
    foreach ($s in $scripts) { Copy-Item -LiteralPath (Join-Path $SourceFolder $s) -Destination (Join-Path $dir $s) }
    $result.did += "copied $($scripts -join ', ') to $dir (owner Administrators; Users read and execute only)"

    if ($SigningCertificateThumbprint) {
        $cert = @(Get-ChildItem -Path 'Cert:\LocalMachine\My', 'Cert:\CurrentUser\My' -CodeSigningCert | Where-Object { $_.Thumbprint -eq $SigningCertificateThumbprint })[0]
        if (-not $cert) { throw "no code-signing certificate with thumbprint $SigningCertificateThumbprint in LocalMachine\My or CurrentUser\My" }
        foreach ($s in $scripts) {
            $sig = Set-AuthenticodeSignature -LiteralPath (Join-Path $dir $s) -Certificate $cert -HashAlgorithm SHA256
            if ($sig.Status -ne 'Valid') { throw "signing $s gave $($sig.Status): $($sig.StatusMessage)" }
        }
        $result.did += "signed the scripts with $($cert.Subject)"
    }

    $requests = Join-Path $dir 'requests'
    $results = Join-Path $dir 'results'
    New-Item -ItemType Directory -Path $requests, $results | Out-Null
    # requests\: Users may add files (this folder only) and their creator may change what they made; nothing else.
    $users = New-Object Security.Principal.SecurityIdentifier 'S-1-5-32-545'
    $creator = New-Object Security.Principal.SecurityIdentifier 'S-1-3-0'
    $addFiles = New-Object Security.AccessControl.FileSystemAccessRule($users, 'CreateFiles, ReadAndExecute', 'None', 'None', 'Allow')
    $ownFiles = New-Object Security.AccessControl.FileSystemAccessRule($creator, 'Modify', 'ObjectInherit', 'InheritOnly', 'Allow')
    Set-ProtectedAcl $requests @($addFiles, $ownFiles)
    Set-ProtectedAcl $results

    $hashes = [ordered]@{}
    foreach ($s in $scripts) { $hashes[$s] = (Get-FileHash -LiteralPath (Join-Path $dir $s) -Algorithm SHA256).Hash }
    if (-not $AllowedUser) { $AllowedUser = "$((Get-CimInstance -ClassName Win32_ComputerSystem).UserName)" }
    # Never every authenticated user: whoever may start the task can purge caches and restart FAST under someone
    # else's campaign. Without a console user (an install over RDP or from a service) the user must be named.
    if (-not $AllowedUser) { throw 'no interactive user to allow: name the campaign user with -AllowedUser DOMAIN\user' }
    $sid = (New-Object Security.Principal.NTAccount $AllowedUser).Translate([Security.Principal.SecurityIdentifier]).Value
    $config = [ordered]@{
        version               = 1
        cacheFolder           = $(if ($CacheFolder) { $CacheFolder } else { $null })
        serviceName           = $(if ($ServiceName) { $ServiceName } else { $null })
        keep                  = $Keep
        serviceTimeoutSeconds = $ServiceTimeoutSeconds
        installedAt           = [DateTime]::UtcNow.ToString('o', [Globalization.CultureInfo]::InvariantCulture)
        allowedUser           = $(if ($AllowedUser) { $AllowedUser } else { 'Authenticated Users' })
        scripts               = $hashes
    }
    [IO.File]::WriteAllText((Join-Path $dir 'helper.json'), ($config | ConvertTo-Json -Depth 4), (New-Object Text.UTF8Encoding $false))
    $result.did += "wrote helper.json (cache folder $($config.cacheFolder), service $($config.serviceName), keep $Keep, script hashes)"

    $exe = Join-Path $PSHOME 'powershell.exe'
    $action = New-ScheduledTaskAction -Execute $exe -Argument ('-NoProfile -NonInteractive -ExecutionPolicy Bypass -WindowStyle Hidden -File "{0}"' -f (Join-Path $dir 'ColdHelper.ps1'))
    $principal = New-ScheduledTaskPrincipal -UserId 'S-1-5-18' -LogonType ServiceAccount -RunLevel Highest
    $settings = New-ScheduledTaskSettingsSet -MultipleInstances IgnoreNew -ExecutionTimeLimit (New-TimeSpan -Minutes 30) -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries
    Register-ScheduledTask -TaskPath $taskPath -TaskName $taskName -Action $action -Principal $principal -Settings $settings -Description 'FastBench cold helper: OS cache purge and FAST service control for Cold runs, on request only' | Out-Null
    # Read and run for the campaign user; full control stays with SYSTEM and Administrators.
    $scheduler = New-Object -ComObject Schedule.Service
    $scheduler.Connect()
    $task = $scheduler.GetFolder($taskPath.TrimEnd('\')).GetTask($taskName)
    $task.SetSecurityDescriptor("D:(A;;FA;;;SY)(A;;FA;;;BA)(A;;GRGX;;;$sid)", 0)
    $result.did += "registered task $taskPath$taskName (SYSTEM, highest privileges, on demand; $($config.allowedUser) may run it)"
    $result.helper = Get-Status
}
catch {
    $result.couldNot += "$Action failed: $_"
}
Write-Result
