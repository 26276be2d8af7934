import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { applyCachePolicy } from '../../extension/core/cache/cachePolicy';
import { directRunner, HELPER_TASK, helperRunner, invokeHelper, windowsColdRoute, type ToolRun, type WindowsColdRunner } from '../../extension/core/cache/coldHelper';
import { reopenAloneUnbuffered } from '../../extension/core/cache/releaseFile';
import { PsTimeoutError, runPsScript } from '../../extension/core/cache/windowsScripts';
import { buildPlan } from '../../extension/core/campaign/plan';
import { preflight } from '../../extension/core/campaign/preflight';
import { loadConfig } from '../../extension/core/config/configFile';
import { REPO_ROOT, tempDir } from './harness';

// The Node side of the Windows Cold path and of the cold helper, against stand-ins for powershell.exe and
// schtasks.exe (real processes that record their arguments and play their part); the scripts themselves are
// Pester-tested on Windows (ps/tests, .github/workflows/windows.yml) and syntax-checked in psScripts.test.ts.

const PS = path.join(REPO_ROOT, 'ps');

function fakeExe(dir: string, name: string, body: string): string {
  const exe = path.join(dir, name);
  writeFileSync(
    exe,
    `#!${process.execPath}\nconst args = process.argv.slice(2);\nconst fs = require('fs'), path = require('path');\nfs.appendFileSync(${JSON.stringify(path.join(dir, `${name}.calls.jsonl`))}, JSON.stringify(args) + '\\n');\n${body}\n`,
  );
  chmodSync(exe, 0o755);
  return exe;
}
const calls = (dir: string, name: string) =>
  existsSync(path.join(dir, `${name}.calls.jsonl`))
    ? readFileSync(path.join(dir, `${name}.calls.jsonl`), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as string[])
    : [];

/** A helper folder as the install leaves it (requests/, results/, helper.json). */
function helperFolder(dir: string, install: Record<string, unknown> = {}): string {
  const folder = path.join(dir, 'helper');
  mkdirSync(path.join(folder, 'requests'), { recursive: true });
  mkdirSync(path.join(folder, 'results'), { recursive: true });
  writeFileSync(
    path.join(folder, 'helper.json'),
    JSON.stringify({
      version: 1,
      cacheFolder: 'D:\\FASTCache',
      serviceName: 'FASTService',
      keep: 2,
      serviceTimeoutSeconds: 60,
      installedAt: 'x',
      allowedUser: 'CORP\\geo',
      scripts: {},
      ...install,
    }),
  );
  return folder;
}

/** schtasks.exe standing in for the task: answers each pending request the way ColdHelper.ps1 does. */
function fakeScheduler(dir: string, folder: string, answer: string): string {
  return fakeExe(
    dir,
    'schtasks',
    `if (args[0] === '/query') process.exit(0);
const req = path.join(${JSON.stringify(folder)}, 'requests');
for (const f of fs.readdirSync(req)) {
  const r = JSON.parse(fs.readFileSync(path.join(req, f), 'utf8'));
  fs.rmSync(path.join(req, f));
  const out = path.join(${JSON.stringify(folder)}, 'results', r.id + '.json');
  setTimeout(() => { fs.writeFileSync(out + '.tmp', JSON.stringify(${answer})); fs.renameSync(out + '.tmp', out); }, 150);
}`,
  );
}

test('runPsScript: a script that outlasts its timeout is ended and reported as a timeout (its finally never ran)', async () => {
  const dir = tempDir('ps-timeout');
  const exe = fakeExe(dir, 'powershell', `setTimeout(() => console.log(JSON.stringify({ ok: true })), 5000);`);
  const t0 = Date.now();
  await assert.rejects(runPsScript('Rotate-FastCache.ps1', { CacheFolder: 'D:\\C' }, { exe, scriptsFolder: PS, timeoutMs: 300 }), (e: Error) => {
    assert.ok(e instanceof PsTimeoutError, e.message);
    assert.match(e.message, /^Rotate-FastCache\.ps1: no answer within 0 s; .*powershell was ended$/);
    return true;
  });
  assert.ok(Date.now() - t0 < 3000, 'ended at the timeout, not when the script would have finished');
});

test('S1-5: a rotation that timed out is followed by a recovery start of FAST (-Recover), recorded as its own step', async () => {
  const dir = tempDir('ps-recover');
  const exe = fakeExe(dir, 'powershell', `console.log(JSON.stringify({ ok: true, did: ['service FASTService was already running (recovery)'], couldNot: [] }));`);
  const direct = directRunner({ exe, scriptsFolder: PS });
  const runner: WindowsColdRunner = {
    via: 'direct',
    run: (script, params, timeoutMs) =>
      script === 'Rotate-FastCache.ps1' && !params.Recover
        ? Promise.reject(new PsTimeoutError('Rotate-FastCache.ps1: no answer within 255 s; powershell.exe was ended'))
        : direct.run(script, params, timeoutMs),
  };
  const report = await applyCachePolicy({
    policy: 'Cold',
    mode: 'B_fast',
    dataFiles: ['F:\\fast\\vol.zgy'],
    cacheFolder: 'D:\\FASTCache',
    serviceName: 'FASTService',
    platform: 'win32',
    windows: runner,
    release: (file) => ({ file, ok: false, inUse: true, detail: `${file} is open in another process` }),
  });
  assert.deepEqual(
    report.steps.map((s) => [s.step, s.ok]),
    [
      ['rotate-cache', false],
      ['recover-service', true],
      // The FAST path held by FAST itself is expected in B_fast; it does not fail the policy.
      ['release-data', true],
      ['os-cache', true],
    ],
  );
  assert.deepEqual(
    calls(dir, 'powershell').map((c) => [path.basename(c[5]!), ...c.slice(6)]),
    [['Rotate-FastCache.ps1', '-ServiceName', 'FASTService', '-ServiceTimeoutSeconds', '60', '-Recover'], ['Clear-WindowsCache.ps1']],
  );
  // On the NAS, a data file someone still holds fails the Cold policy (its pages would survive the purge).
  const a = await applyCachePolicy({
    policy: 'Cold',
    mode: 'A_shared',
    dataFiles: ['\\\\nas\\s\\vol.zgy'],
    platform: 'win32',
    windows: runner,
    release: (file) => ({ file, ok: false, inUse: true, detail: `${file} is open in another process` }),
  });
  assert.deepEqual(
    a.steps.map((s) => [s.step, s.ok]),
    [
      ['release-data', false],
      ['os-cache', true],
    ],
  );
  assert.equal(a.ok, false);
});

test('releaseFile: a sharing violation says the file is held; opened alone it passes; the open asks for NO_BUFFERING and exclusive sharing', () => {
  let flagsSeen = 0;
  const busy = reopenAloneUnbuffered('\\\\nas\\s\\vol.zgy', (_f, flags) => {
    flagsSeen = flags;
    throw Object.assign(new Error('EBUSY: resource busy or locked'), { code: 'EBUSY' });
  });
  assert.equal(flagsSeen & 0x02000000, 0x02000000, 'UV_FS_O_DIRECT (FILE_FLAG_NO_BUFFERING)');
  assert.equal(flagsSeen & 0x10000000, 0x10000000, 'UV_FS_O_EXLOCK (share mode 0)');
  assert.deepEqual(busy, {
    file: '\\\\nas\\s\\vol.zgy',
    ok: false,
    inUse: true,
    detail: '\\\\nas\\s\\vol.zgy is open in another process (sharing violation): its cached pages would survive the purge',
  });
  const gone = reopenAloneUnbuffered('X:\\none', () => {
    throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
  });
  assert.equal(gone.inUse, false);
  assert.match(gone.detail, /cannot open it alone unbuffered \(ENOENT\)/);
});

test('cold helper: a request is an id, an operation and whatIf (nothing else); the task is started with schtasks /run; the answer is read back', async () => {
  const dir = tempDir('helper-ok');
  const folder = helperFolder(dir);
  const schtasks = fakeScheduler(
    dir,
    folder,
    `{ ok: true, did: ['standby list 812 MiB -> 3 MiB'], couldNot: [], helper: { op: r.op, id: r.id, runAs: 'NT AUTHORITY\\\\SYSTEM' }, echo: r }`,
  );
  const r = await helperRunner(folder, { schtasks, pollMs: 20 }).run('Clear-WindowsCache.ps1', { WhatIf: true }, 10_000);
  assert.equal(r.ok, true);
  assert.deepEqual(calls(dir, 'schtasks'), [['/run', '/tn', HELPER_TASK]]);
  const echo = r.echo as Record<string, unknown>;
  assert.deepEqual(Object.keys(echo).sort(), ['id', 'op', 'whatIf']);
  assert.match(String(echo.id), /^[0-9a-f]{32}$/);
  assert.equal(echo.op, 'purge');
  assert.equal(echo.whatIf, true);
  assert.deepEqual(readdirSync(path.join(folder, 'requests')), [], 'the task took the request');
  const rot = await helperRunner(folder, { schtasks, pollMs: 20 }).run('Rotate-FastCache.ps1', { CacheFolder: 'Z:\\elsewhere', ServiceName: 'Other' }, 10_000);
  assert.equal((rot.echo as Record<string, unknown>).op, 'rotate', 'rotate asks for the installed folder and service, never the ones passed');
  assert.equal(JSON.stringify(rot.echo).includes('elsewhere'), false);
});

test('cold helper: no answer in time, a refused schtasks and a malformed answer each give a clear error', async () => {
  const dir = tempDir('helper-bad');
  const folder = helperFolder(dir);
  const silent = fakeExe(dir, 'silent', 'process.exit(0);');
  await assert.rejects(
    invokeHelper('purge', false, { folder, schtasks: silent, timeoutMs: 300, pollMs: 20 }),
    /^Error: cold helper: no purge result within 0 s \(.*results.* never appeared\); check "fastbench cold-helper status"/,
  );
  const refused = fakeExe(dir, 'refused', `console.error('ERROR: Access is denied.'); process.exit(1);`);
  await assert.rejects(
    invokeHelper('rotate', false, { folder, schtasks: refused, timeoutMs: 1000 }),
    /schtasks \/run \/tn \\FastBench\\ColdHelper failed \(exit 1: ERROR: Access is denied\.\); run "fastbench cold-helper install --config fastbench\.json" once from an administrator terminal/,
  );
  const garbage = fakeScheduler(dir, folder, `'not an object'`);
  await assert.rejects(invokeHelper('purge', false, { folder, schtasks: garbage, timeoutMs: 5000, pollMs: 20 }), /expected one JSON object with "ok", found "\\"not an object\\""/);
  await assert.rejects(
    invokeHelper('purge', false, { folder: path.join(dir, 'not-installed'), schtasks: silent, timeoutMs: 300 }),
    /cannot write a request into .*is it installed\? run "fastbench cold-helper install/,
  );
});

test('cold route: elevated → direct; not elevated → the installed helper when it matches the config, else a setup problem with the fix', async () => {
  const dir = tempDir('route');
  const folder = helperFolder(dir);
  const tools =
    (taskThere: boolean, groups = 'Mandatory Label\\Medium Mandatory Level Label S-1-16-8192'): ToolRun =>
    async (exe) =>
      exe === 'whoami.exe' ? { code: 0, stdout: groups, stderr: '' } : { code: taskThere ? 0 : 1, stdout: '', stderr: 'ERROR: The system cannot find the file specified.' };
  const want = { cacheFolder: 'd:\\fastcache\\', serviceName: 'FASTService' };
  assert.deepEqual(await windowsColdRoute(want, { folder, run: tools(false, 'Mandatory Label\\High Mandatory Level Label S-1-16-12288') }), { via: 'direct' });
  const helper = await windowsColdRoute(want, { folder, run: tools(true) });
  assert.equal(helper.via, 'helper', 'case and trailing separators do not matter');
  const missingTask = await windowsColdRoute(want, { folder, run: tools(false) });
  assert.equal(missingTask.via, 'none');
  assert.match(
    missingTask.via === 'none' ? missingTask.why : '',
    /not elevated and no FastBench cold helper is installed \(task \\FastBench\\ColdHelper is missing\): run "fastbench cold-helper install/,
  );
  const other = await windowsColdRoute({ cacheFolder: 'E:\\Other', serviceName: 'FASTService' }, { folder, run: tools(true) });
  assert.match(other.via === 'none' ? other.why : '', /installed for cache folder D:\\FASTCache \(the config says E:\\Other\): run "fastbench cold-helper install/);
  const none = await windowsColdRoute(want, { folder: path.join(dir, 'absent'), run: tools(true) });
  assert.match(none.via === 'none' ? none.why : '', /no .*helper\.json/);
});

test('preflight: "cannot elevate" is ONE setup problem with the fix when the plan has Cold runs on Windows; none for Warm only', async () => {
  const dir = tempDir('preflight');
  const data = path.join(dir, 'vol.zgy');
  writeFileSync(data, 'x');
  const exe = path.join(dir, 'app');
  writeFileSync(exe, '#!/bin/sh\n');
  chmodSync(exe, 0o755);
  const write = (policies: string[]) => {
    const file = path.join(dir, `fastbench-${policies.join('')}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        version: 1,
        target: { executable: exe, window: { processImage: 'Petrel.exe' } },
        modes: { A_shared: { dataPath: data }, B_fast: { dataPath: data, cacheFolder: 'D:\\FASTCache', serviceName: 'FASTService' } },
        campaign: { cachePolicies: policies, workflows: ['W'], repeats: 3 },
        workflows: { W: { steps: [{ waitMs: 1 }] } },
      }),
    );
    return file;
  };
  let asked: unknown;
  const coldRoute = async (w: unknown) => {
    asked = w;
    return { via: 'none' as const, why: 'no helper: run "fastbench cold-helper install --config fastbench.json" once from an administrator terminal' };
  };
  const cold = await loadConfig(write(['Cold', 'Warm']));
  const problems = await preflight(cold, buildPlan(cold.config), { platform: 'win32', coldRoute });
  assert.deepEqual(
    problems.filter((p) => /Cold/.test(p)),
    [`${cold.file}: campaign.cachePolicies has Cold: no helper: run "fastbench cold-helper install --config fastbench.json" once from an administrator terminal`],
    'reported once for the 12 runs, not per run',
  );
  assert.deepEqual(asked, { cacheFolder: 'D:\\FASTCache', serviceName: 'FASTService' }, 'asks for the configured FAST cache folder and service');
  const warm = await loadConfig(write(['Warm']));
  assert.deepEqual(await preflight(warm, buildPlan(warm.config), { platform: 'win32', coldRoute }), []);
  assert.deepEqual(await preflight(cold, buildPlan(cold.config), { platform: 'linux', coldRoute }), [], 'Linux needs no helper');
});
