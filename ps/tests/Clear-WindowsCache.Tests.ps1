# Pester 5 tests for Clear-WindowsCache.ps1 (Windows CI; GitHub's Windows runners are elevated).
BeforeAll {
    $script:Clear = Join-Path (Split-Path -Parent $PSScriptRoot) 'Clear-WindowsCache.ps1'
    function Invoke-Clear([string[]]$Arguments = @()) {
        $lines = @(& powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File $script:Clear @Arguments)
        [pscustomobject]@{ Exit = $LASTEXITCODE; Lines = $lines; Json = ($lines[-1] | ConvertFrom-Json) }
    }
    $script:IsAdmin = ([Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent()).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
    function Get-StandbyBytes {
        $c = Get-Counter -Counter '\Memory\Standby Cache Core Bytes', '\Memory\Standby Cache Normal Priority Bytes', '\Memory\Standby Cache Reserve Bytes'
        ($c.CounterSamples | Measure-Object -Property CookedValue -Sum).Sum
    }
}

Describe 'Clear-WindowsCache.ps1' {
    It '-WhatIf lists the three steps it would take and prints one JSON line' {
        $r = Invoke-Clear @('-WhatIf')
        $r.Lines.Count | Should -Be 1
        $r.Json.whatIf | Should -BeTrue
        @($r.Json.did).Count | Should -Be 3
        @($r.Json.did | Where-Object { $_ -like 'would *' }).Count | Should -Be 3
        $r.Json.admin | Should -Be $script:IsAdmin
        # Evidence is gathered read-only, also with -WhatIf.
        $r.Json.evidence.languageMode | Should -Be 'FullLanguage'
        $r.Json.evidence.standbyBefore.standbyBytes | Should -BeGreaterThan 0
        "$($r.Json.evidence.sysMain)" | Should -Not -BeNullOrEmpty
    }

    It 'elevated: flushes the file cache and purges the standby list (standby bytes drop)' -Skip:(-not $script:IsAdmin) {
        # Fill the standby list with a file's pages first, so the purge has something to show.
        $file = Join-Path $TestDrive 'fill.bin'
        $buffer = New-Object byte[] (64MB)
        (New-Object Random 1).NextBytes($buffer)
        $stream = [IO.File]::OpenWrite($file)
        for ($i = 0; $i -lt 4; $i++) { $stream.Write($buffer, 0, $buffer.Length) }
        $stream.Close()
        [IO.File]::ReadAllBytes($file) | Out-Null
        $before = Get-StandbyBytes
        $r = Invoke-Clear
        $after = Get-StandbyBytes
        $r.Exit | Should -Be 0
        $r.Json.ok | Should -BeTrue
        @($r.Json.couldNot).Count | Should -Be 0
        @($r.Json.did | Where-Object { $_ -match '^(flush|purge)' }).Count | Should -Be 3
        @($r.Json.did | Where-Object { $_ -match '^standby list [\d,.]+ MiB -> [\d,.]+ MiB$' }).Count | Should -Be 1
        $r.Json.evidence.standbyAfter.standbyBytes | Should -BeLessThan $r.Json.evidence.standbyBefore.standbyBytes
        $after | Should -BeLessThan ($before - 134217728)  # 128 MiB less
    }

    It 'not elevated: says so and clears nothing' -Skip:$script:IsAdmin {
        $r = Invoke-Clear
        $r.Exit | Should -Be 1
        $r.Json.ok | Should -BeFalse
        ($r.Json.couldNot -join ' ') | Should -Match 'administrator'
        @($r.Json.did).Count | Should -Be 0
    }
}
