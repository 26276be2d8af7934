# Pester 5 tests for Rotate-FastCache.ps1 (Windows CI). The script runs in a child powershell.exe, as
# FastBench runs it, so its `exit` and its one-line JSON contract are tested as they are used.
BeforeAll {
    $script:Rotate = Join-Path (Split-Path -Parent $PSScriptRoot) 'Rotate-FastCache.ps1'
    function Invoke-Rotate([string[]]$Arguments) {
        $lines = @(& powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File $script:Rotate @Arguments)
        [pscustomobject]@{ Exit = $LASTEXITCODE; Lines = $lines; Json = ($lines[-1] | ConvertFrom-Json) }
    }
}

Describe 'Rotate-FastCache.ps1' {
    BeforeEach {
        $root = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $cache = Join-Path $root 'FastCache'
        New-Item -ItemType Directory -Path $cache | Out-Null
        Set-Content -LiteralPath (Join-Path $cache 'demo.fbcache') -Value 'cached bricks'
        New-Item -ItemType Directory -Path (Join-Path $root 'Other') | Out-Null
        Set-Content -LiteralPath (Join-Path $root 'Other\keep.txt') -Value 'not ours'
    }

    It 'renames the folder with a UTC timestamp and leaves an empty folder, printing one JSON line' {
        $r = Invoke-Rotate @('-CacheFolder', $cache)
        $r.Exit | Should -Be 0
        $r.Lines.Count | Should -Be 1
        $r.Json.ok | Should -BeTrue
        $r.Json.rotatedTo | Should -Match 'FastCache\.rotated-\d{8}T\d{6}Z$'
        Test-Path -LiteralPath (Join-Path $r.Json.rotatedTo 'demo.fbcache') | Should -BeTrue
        @(Get-ChildItem -LiteralPath $cache -Force).Count | Should -Be 0
        Test-Path -LiteralPath (Join-Path $root 'Other\keep.txt') | Should -BeTrue
    }

    It 'keeps the newest K rotations and deletes only its own older rotations' {
        foreach ($n in 'FastCache.rotated-20200101T000000Z', 'FastCache.rotated-20210101T000000Z', 'FastCache.rotated-manual', 'FastCacheX.rotated-20200101T000000Z') {
            New-Item -ItemType Directory -Path (Join-Path $root $n) | Out-Null
        }
        $r = Invoke-Rotate @('-CacheFolder', $cache, '-Keep', '1')
        $r.Json.ok | Should -BeTrue
        @($r.Json.kept).Count | Should -Be 1
        $r.Json.kept[0] | Should -Be $r.Json.rotatedTo
        @($r.Json.removed | ForEach-Object { Split-Path -Leaf $_ }) | Sort-Object | Should -Be @('FastCache.rotated-20200101T000000Z', 'FastCache.rotated-20210101T000000Z')
        foreach ($n in 'FastCache.rotated-manual', 'FastCacheX.rotated-20200101T000000Z', 'Other') {
            Test-Path -LiteralPath (Join-Path $root $n) | Should -BeTrue
        }
    }

    It '-WhatIf reports the plan and changes nothing' {
        New-Item -ItemType Directory -Path (Join-Path $root 'FastCache.rotated-20200101T000000Z') | Out-Null
        $r = Invoke-Rotate @('-CacheFolder', $cache, '-Keep', '0', '-WhatIf')
        $r.Json.ok | Should -BeTrue
        $r.Json.whatIf | Should -BeTrue
        $r.Json.rotatedTo | Should -Not -BeNullOrEmpty
        @($r.Json.removed).Count | Should -Be 2
        Test-Path -LiteralPath (Join-Path $cache 'demo.fbcache') | Should -BeTrue
        Test-Path -LiteralPath (Join-Path $root 'FastCache.rotated-20200101T000000Z') | Should -BeTrue
        Test-Path -LiteralPath $r.Json.rotatedTo | Should -BeFalse
    }

    It 'an empty or absent folder: nothing to rotate, the folder exists afterwards' {
        $absent = Join-Path $root 'NewCache'
        $r = Invoke-Rotate @('-CacheFolder', $absent)
        $r.Json.ok | Should -BeTrue
        $r.Json.rotatedTo | Should -BeNullOrEmpty
        Test-Path -LiteralPath $absent | Should -BeTrue
    }

    It 'refuses <case> and changes nothing' -TestCases @(
        @{ case = 'a drive root'; folder = 'C:\' ; why = 'drive root' }
        @{ case = 'a relative path'; folder = 'FastCache' ; why = 'absolute path' }
        @{ case = 'the user profile'; folder = $env:USERPROFILE ; why = 'profile' }
        @{ case = 'the Windows folder'; folder = $env:SystemRoot ; why = 'system' }
    ) {
        $r = Invoke-Rotate @('-CacheFolder', $folder)
        $r.Exit | Should -Be 1
        $r.Json.ok | Should -BeFalse
        ($r.Json.couldNot -join ' ') | Should -Match $why
        @($r.Json.did).Count | Should -Be 0
    }

    It 'refuses a junction' {
        $link = Join-Path $root 'Link'
        New-Item -ItemType Junction -Path $link -Target $cache | Out-Null
        $r = Invoke-Rotate @('-CacheFolder', $link)
        $r.Json.ok | Should -BeFalse
        ($r.Json.couldNot -join ' ') | Should -Match 'junction'
        Test-Path -LiteralPath (Join-Path $cache 'demo.fbcache') | Should -BeTrue
    }

    It 'never follows a planted link: a junction named like an old rotation, and one inside an old rotation' {
        $victim = Join-Path $root 'Other'
        New-Item -ItemType Junction -Path (Join-Path $root 'FastCache.rotated-19990101T000000Z') -Target $victim | Out-Null
        $old = Join-Path $root 'FastCache.rotated-20000101T000000Z'
        New-Item -ItemType Directory -Path $old | Out-Null
        New-Item -ItemType Junction -Path (Join-Path $old 'inside') -Target $victim | Out-Null
        $r = Invoke-Rotate @('-CacheFolder', $cache, '-Keep', '1')
        $r.Json.ok | Should -BeTrue
        @($r.Json.removed | ForEach-Object { Split-Path -Leaf $_ }) | Should -Be @('FastCache.rotated-20000101T000000Z')
        Test-Path -LiteralPath (Join-Path $victim 'keep.txt') | Should -BeTrue
    }

    It 'an unknown service: says so and rotates nothing' {
        $r = Invoke-Rotate @('-CacheFolder', $cache, '-ServiceName', 'FastBenchNoSuchService')
        $r.Json.ok | Should -BeFalse
        ($r.Json.couldNot -join ' ') | Should -Match "service 'FastBenchNoSuchService' not found"
        Test-Path -LiteralPath (Join-Path $cache 'demo.fbcache') | Should -BeTrue
    }

    It 'stops a running service around the rotation and starts it again' -Skip:(-not (Get-Service -Name Spooler -ErrorAction SilentlyContinue)) {
        # The print spooler stands in for FAST: a service the CI runner may stop and start.
        $spooler = Get-Service -Name Spooler
        if ($spooler.Status -ne 'Running') { Start-Service Spooler; $spooler.WaitForStatus('Running', [TimeSpan]::FromSeconds(30)) }
        $r = Invoke-Rotate @('-CacheFolder', $cache, '-ServiceName', 'Spooler')
        $r.Json.ok | Should -BeTrue
        $r.Json.service.wasRunning | Should -BeTrue
        $r.Json.service.stopped | Should -BeTrue
        $r.Json.service.started | Should -BeTrue
        $r.Json.service.killedPid | Should -BeNullOrEmpty
        $r.Json.failedStep | Should -BeNullOrEmpty
        (Get-Service -Name Spooler).Status | Should -Be 'Running'
    }

    It 'starts the service again BEFORE deleting old rotations' -Skip:(-not (Get-Service -Name Spooler -ErrorAction SilentlyContinue)) {
        New-Item -ItemType Directory -Path (Join-Path $root 'FastCache.rotated-20200101T000000Z') | Out-Null
        $r = Invoke-Rotate @('-CacheFolder', $cache, '-ServiceName', 'Spooler', '-Keep', '0')
        $r.Json.ok | Should -BeTrue
        $did = @($r.Json.did)
        $started = [array]::FindIndex([string[]]$did, [Predicate[string]] { param($d) $d -like 'started service*' })
        $deleted = [array]::FindIndex([string[]]$did, [Predicate[string]] { param($d) $d -like 'delete *' })
        $started | Should -BeGreaterThan -1
        $deleted | Should -BeGreaterThan $started
    }

    It '-Recover starts a stopped service and touches no folder' -Skip:(-not (Get-Service -Name Spooler -ErrorAction SilentlyContinue)) {
        Stop-Service Spooler -Force
        $r = Invoke-Rotate @('-ServiceName', 'Spooler', '-Recover')
        $r.Json.ok | Should -BeTrue
        $r.Json.service.started | Should -BeTrue
        (Get-Service -Name Spooler).Status | Should -Be 'Running'
        Test-Path -LiteralPath (Join-Path $cache 'demo.fbcache') | Should -BeTrue
    }

    It 'refuses a service name with wildcards (failedStep find-service) and rotates nothing' {
        $r = Invoke-Rotate @('-CacheFolder', $cache, '-ServiceName', 'Spool*')
        $r.Json.ok | Should -BeFalse
        $r.Json.failedStep | Should -Be 'find-service'
        Test-Path -LiteralPath (Join-Path $cache 'demo.fbcache') | Should -BeTrue
    }

    It 'refuses a folder above a profile (C:\Users) and a drive-relative path' {
        $r = Invoke-Rotate @('-CacheFolder', (Split-Path -Parent $env:USERPROFILE))
        $r.Json.failedStep | Should -Be 'refused'
        $r = Invoke-Rotate @('-CacheFolder', 'C:FastCache')
        ($r.Json.couldNot -join ' ') | Should -Match 'absolute path'
    }
}
