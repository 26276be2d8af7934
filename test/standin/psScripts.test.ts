import assert from 'node:assert/strict';
import { chmodSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { before, test } from 'node:test';
import { applyCachePolicy } from '../../extension/core/cache/cachePolicy';
import { psArguments, runPsScript } from '../../extension/core/cache/windowsScripts';
import { REPO_ROOT, tempDir } from './harness';

// No PowerShell can be installed here: the scripts' syntax is checked with tree-sitter-powershell
// (installed by test/standin/install.sh), their behaviour by the Pester tests on the Windows CI workflow.
// The Node side that calls them runs against a stand-in interpreter that records its arguments.

const PS = path.join(REPO_ROOT, 'ps');
const TOOLS = path.join(REPO_ROOT, '.test-tools', 'ps-syntax', 'node_modules');
type TsNode = { type: string; isMissing: boolean; hasError: boolean; text: string; startPosition: { row: number; column: number }; children: TsNode[] };
let parse: (source: string) => TsNode;

before(async () => {
  let ts: { Parser: { init(): Promise<void>; new (): { setLanguage(l: unknown): void; parse(s: string): { rootNode: TsNode } } }; Language: { load(p: string): Promise<unknown> } };
  try {
    ts = createRequire(path.join(TOOLS, 'x.js'))('web-tree-sitter');
  } catch {
    throw new Error(`web-tree-sitter is missing under ${TOOLS}: run "bash test/standin/install.sh"`);
  }
  await ts.Parser.init();
  const language = await ts.Language.load(path.join(TOOLS, 'tree-sitter-powershell', 'tree-sitter-powershell.wasm'));
  const parser = new ts.Parser();
  parser.setLanguage(language);
  parse = (s) => parser.parse(s).rootNode;
});

function syntaxErrors(source: string): string[] {
  const out: string[] = [];
  const walk = (n: TsNode) => {
    if (n.type === 'ERROR' || n.isMissing)
      out.push(`${n.startPosition.row + 1}:${n.startPosition.column + 1}: ${n.isMissing ? `missing ${n.type}` : `unexpected ${JSON.stringify(n.text.slice(0, 50))}`}`);
    else if (n.hasError) n.children.forEach(walk);
  };
  walk(parse(source));
  return out;
}

const scripts = [
  ...readdirSync(PS)
    .filter((f) => f.endsWith('.ps1'))
    .map((f) => path.join(PS, f)),
  ...readdirSync(path.join(PS, 'tests')).map((f) => path.join(PS, 'tests', f)),
];

test('every script and Pester test under ps/ parses as PowerShell (and the check does catch errors)', () => {
  assert.ok(scripts.length >= 4, scripts.join(', '));
  for (const file of scripts) assert.deepEqual(syntaxErrors(readFileSync(file, 'utf8')), [], file);
  assert.notDeepEqual(syntaxErrors('function f {\n  if ($x { 1 }\n}\n'), [], 'a broken script is flagged');
  assert.notDeepEqual(syntaxErrors('$a = @{ x = 1 \n'), [], 'an unclosed hashtable is flagged');
});

test("lint of the scripts' source (no pwsh here; their behaviour is Pester-tested in .github/workflows/windows.yml): help, -WhatIf, one JSON print with ok/did/couldNot/whatIf, junctions refused", () => {
  for (const name of ['Clear-WindowsCache.ps1', 'Rotate-FastCache.ps1', 'ColdHelper.ps1', 'Install-ColdHelper.ps1']) {
    const text = readFileSync(path.join(PS, name), 'utf8');
    assert.match(text, /^<#\s*\n\.SYNOPSIS/m, `${name}: comment-based help`);
    // PowerShell 5.1 is what every workstation has: no PowerShell 7 operators.
    assert.doesNotMatch(text.replace(/#.*$/gm, '').replace(/'[^'\n]*'/g, "''"), /\?\?|\?\.|&&|\|\|/, `${name}: PowerShell 5.1 syntax only`);
    assert.match(text, /OutputEncoding = New-Object Text\.UTF8Encoding \$false/, `${name}: UTF-8 stdout`);
    assert.equal(text.match(/\[Console\]::Out\.WriteLine/g)?.length, 1, `${name}: exactly one place prints`);
    assert.doesNotMatch(text, /Write-Host|Write-Output/, `${name}: nothing else on stdout`);
    if (name === 'ColdHelper.ps1' || name === 'Install-ColdHelper.ps1') continue;
    assert.match(text, /\[switch\]\$WhatIf/, `${name}: -WhatIf`);
    assert.match(text, /ConvertTo-Json -Compress/, `${name}: one JSON line`);
    for (const key of ['ok', 'did', 'couldNot', 'whatIf']) assert.match(text, new RegExp(`^\\s+${key}\\s+=`, 'm'), `${name}: result.${key}`);
  }
  const rotate = readFileSync(path.join(PS, 'Rotate-FastCache.ps1'), 'utf8');
  assert.match(rotate, /\.rotated-\\d\{8\}T\\d\{6\}Z\(-\\d\+\)\?\$/, 'deletes only its own timestamped rotations (same pattern as rotateFolder.ts)');
  assert.match(rotate, /ReparsePoint/, 'refuses junctions');
  // S1-5: FAST is never left stopped.
  assert.doesNotMatch(rotate, /Stop-Service|Start-Service/, 'no unbounded Stop-Service/Start-Service: a request, then WaitForStatus with a timeout');
  assert.match(rotate, /\$svc\.Stop\(\)[\s\S]*Wait-Status \$svc 'Stopped' \$timeout/, 'stop = request + bounded wait');
  assert.match(rotate, /Stop-Process -Id \$procId -Force/, 'last resort: kill the service process');
  assert.match(rotate, /ServiceType -ne 'Own Process'/, 'never kills a shared svchost');
  const finallyAt = rotate.indexOf('finally {');
  const startAt = rotate.indexOf("Start-FastService $svc 'it was running before'");
  const pruneAt = rotate.indexOf('# 5. Only now');
  assert.ok(finallyAt > 0 && startAt > finallyAt && pruneAt > startAt, 'the service is started in finally, before old rotations are pruned');
  for (const step of ['find-service', 'stop-service', 'rotate', 'start-service', 'prune']) assert.match(rotate, new RegExp(`'${step}'`), `failedStep ${step}`);
  const helper = readFileSync(path.join(PS, 'ColdHelper.ps1'), 'utf8');
  assert.match(helper, /Get-FileHash -LiteralPath \$file -Algorithm SHA256/, 'the helper checks each script against its install-time hash');
  assert.match(helper, /\^\[0-9a-f\]\{32\}\$/, 'request ids are 32 hex digits');
  assert.doesNotMatch(helper, /\$req\.(cacheFolder|serviceName|path|file|script)/i, 'a request names no folder, service, file or script');
  const install = readFileSync(path.join(PS, 'Install-ColdHelper.ps1'), 'utf8');
  assert.match(install, /-UserId 'S-1-5-18' -LogonType ServiceAccount -RunLevel Highest/, 'task principal: SYSTEM, highest');
  assert.match(install, /SetAccessRuleProtection\(\$true, \$false\)/, 'inheritance cut on the helper folder');
  assert.match(install, /SetSecurityDescriptor\("D:\(A;;FA;;;SY\)\(A;;FA;;;BA\)\(A;;GRGX;;;\$sid\)"/, 'the user may read and run the task, not change it');
});

/** A stand-in for powershell.exe: records its arguments, prints what the test asks for. */
function fakePowerShell(dir: string, body: string): string {
  const exe = path.join(dir, 'fake-powershell');
  writeFileSync(
    exe,
    `#!${process.execPath}\nconst args = process.argv.slice(2);\nrequire('fs').appendFileSync(${JSON.stringify(path.join(dir, 'calls.jsonl'))}, JSON.stringify(args) + '\\n');\n${body}\n`,
  );
  chmodSync(exe, 0o755);
  return exe;
}

test('runPsScript: builds -File and -Name value arguments, reads the last stdout line as the result', async () => {
  const dir = tempDir('ps');
  const exe = fakePowerShell(dir, `console.log('WARNING: something chatty'); console.log(JSON.stringify({ ok: true, did: ['x'], couldNot: [], echo: args }));`);
  const r = await runPsScript('Rotate-FastCache.ps1', { CacheFolder: 'D:\\Fast Cache', Keep: 2, ServiceName: undefined, WhatIf: true }, { exe, scriptsFolder: PS });
  assert.equal(r.ok, true);
  assert.deepEqual(r.echo, [
    '-NoProfile',
    '-NonInteractive',
    '-ExecutionPolicy',
    'Bypass',
    '-File',
    path.join(PS, 'Rotate-FastCache.ps1'),
    '-CacheFolder',
    'D:\\Fast Cache',
    '-Keep',
    '2',
    '-WhatIf',
  ]);
  assert.deepEqual(psArguments({ A: false, B: true, C: 0 }), ['-B', '-C', '0']);
});

test('runPsScript: non-JSON output, a missing interpreter, a failing exit code all give clear results', async () => {
  const dir = tempDir('ps-bad');
  const garbage = fakePowerShell(dir, `console.error('Add-Type : cannot compile'); console.log('not json'); process.exit(1);`);
  await assert.rejects(
    runPsScript('Clear-WindowsCache.ps1', {}, { exe: garbage, scriptsFolder: PS }),
    /Clear-WindowsCache\.ps1: expected one JSON object with "ok" on stdout, found "not json" \(output: Add-Type : cannot compile\)/,
  );
  await assert.rejects(runPsScript('Clear-WindowsCache.ps1', {}, { exe: path.join(dir, 'nope'), scriptsFolder: PS }), /cannot run .*nope \(not found\)/);
  await assert.rejects(runPsScript('Missing.ps1', {}, { exe: garbage, scriptsFolder: PS }), /Missing\.ps1: script not found/);
  const lying = fakePowerShell(dir, `console.log(JSON.stringify({ ok: true, did: [], couldNot: [] })); process.exit(3);`);
  const r = await runPsScript('Clear-WindowsCache.ps1', {}, { exe: lying, scriptsFolder: PS });
  assert.equal(r.ok, false, 'a non-zero exit is never ok');
});

test('Cold B_fast on Windows: rotation (with the service) first, then the OS cache purge; the report says what each did', async () => {
  const dir = tempDir('ps-cold');
  const exe = fakePowerShell(
    dir,
    `const rotate = args[5].endsWith('Rotate-FastCache.ps1');
console.log(JSON.stringify(rotate
  ? { ok: true, did: ['stopped service FAST', 'rename D:\\\\FastCache to FastCache.rotated-20240501T120000Z', 'started service FAST'], couldNot: [] }
  : { ok: false, admin: false, did: [], couldNot: ['not elevated: run from an administrator PowerShell'] }));
process.exit(rotate ? 0 : 1);`,
  );
  const report = await applyCachePolicy({
    policy: 'Cold',
    mode: 'B_fast',
    dataFiles: ['F:\\fast\\demo.zgy'],
    cacheFolder: 'D:\\FastCache',
    keepRotated: 3,
    serviceName: 'FAST',
    platform: 'win32',
    ps: { exe, scriptsFolder: PS },
    release: (file) => ({ file, ok: true, inUse: false, detail: `${file}: opened alone (fake)` }),
  });
  const calls = readFileSync(path.join(dir, 'calls.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as string[]);
  assert.deepEqual(
    calls.map((c) => path.basename(c[5]!)),
    ['Rotate-FastCache.ps1', 'Clear-WindowsCache.ps1'],
  );
  assert.deepEqual(calls[0]!.slice(6), ['-CacheFolder', 'D:\\FastCache', '-Keep', '3', '-ServiceName', 'FAST', '-ServiceTimeoutSeconds', '60']);
  assert.equal(report.ok, false);
  assert.deepEqual(report.steps, [
    { step: 'rotate-cache', ok: true, detail: 'did: stopped service FAST; rename D:\\FastCache to FastCache.rotated-20240501T120000Z; started service FAST' },
    { step: 'release-data', ok: true, detail: 'F:\\fast\\demo.zgy: opened alone (fake)' },
    { step: 'os-cache', ok: false, detail: 'did nothing — could not: not elevated: run from an administrator PowerShell' },
  ]);
});
