import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { collectRunEnvironment, cpuGovernors, sessionProblem } from '../../extension/core/campaign/runEnvironment';
import type { SessionFacts } from '../../extension/shared/driverProtocol';
import { runManifestSchema } from '../../extension/shared/runManifest';

const active: SessionFacts = {
  state: 'active',
  detail: 'WTS connect state active; input desktop Default',
  remote: false,
  monitors: [{ x: 0, y: 0, width: 1920, height: 1080, dpi: 144, primary: true }],
};

const filled = (v: unknown) => v !== undefined && v !== null && v !== '';

test('Linux: kernel, locale, CPU governor, display and the driver session are never empty', async () => {
  const env = await collectRunEnvironment({ dataPaths: ['/data/vol.zgy'], platform: 'linux', env: { LANG: 'nb_NO.UTF-8', DISPLAY: ':99' }, session: async () => active });
  assert.equal(env.platform, 'linux');
  for (const k of ['kernel', 'locale', 'cpu_governor', 'display', 'session', 'monitors']) assert.ok(filled(env[k]), `${k}: ${JSON.stringify(env[k])}`);
  assert.equal(env.locale, 'nb_NO.UTF-8');
  assert.equal(env.display, 'x11 :99');
  assert.deepEqual(env.monitors, active.monitors);
  const bare = await collectRunEnvironment({ dataPaths: [], platform: 'linux', env: {} });
  assert.match(String(bare.locale), /^unknown: .*unset/);
  assert.match(String(bare.display), /^unknown: /);
  assert.match(String(bare.session), /^unknown: no driver/);
});

test('CPU governors: distinct values, or why there are none', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fb-cpu-'));
  try {
    for (const [cpu, gov] of [
      ['cpu0', 'performance'],
      ['cpu1', 'powersave'],
      ['cpu2', 'performance'],
    ]) {
      mkdirSync(path.join(dir, cpu!, 'cpufreq'), { recursive: true });
      writeFileSync(path.join(dir, cpu!, 'cpufreq', 'scaling_governor'), gov + '\n');
    }
    mkdirSync(path.join(dir, 'cpufreq'));
    assert.deepEqual(cpuGovernors(dir), ['performance', 'powersave']);
    rmSync(path.join(dir, 'cpu0'), { recursive: true });
    rmSync(path.join(dir, 'cpu1'), { recursive: true });
    rmSync(path.join(dir, 'cpu2'), { recursive: true });
    assert.match(String(cpuGovernors(dir)), /^unknown: no cpufreq/);
    assert.match(String(cpuGovernors(path.join(dir, 'missing'))), /^unknown: /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Windows facts degrade one by one to "unknown: why" (here powershell.exe does not exist) and a failing driver is named', async () => {
  const env = await collectRunEnvironment({
    dataPaths: ['\\\\nas01\\seismic\\vol.zgy'],
    platform: 'win32',
    env: { PATH: '/nonexistent' },
    session: () => Promise.reject(new Error('unknown method system/session')),
  });
  for (const k of ['os_build', 'display_language', 'power_plan', 'smb_client', 'antivirus', 'gpu_driver'])
    assert.match(String(env[k]), /^unknown: PowerShell: .*(ENOENT|not found)/, k);
  assert.match(String(env.session), /^unknown: the driver could not tell: unknown method/);
  assert.ok(env.collect_ms >= 0);
});

test('a locked or disconnected session fails the run with the reason; unknown or an older driver does not', async () => {
  assert.match(
    (await sessionProblem(async () => ({ ...active, state: 'locked', detail: 'input desktop Winlogon' }), 'before'))!,
    /locked before the run \(input desktop Winlogon\).*unlock/,
  );
  assert.match((await sessionProblem(async () => ({ ...active, state: 'disconnected' }), 'after'))!, /disconnected after the run/);
  assert.equal(await sessionProblem(async () => active, 'before'), undefined);
  assert.equal(await sessionProblem(async () => ({ ...active, state: 'unknown' }), 'before'), undefined);
  assert.equal(await sessionProblem(() => Promise.reject(new Error('bad_request')), 'before'), undefined);
});

test('run.json: with an environment record it validates, and old run folders without one still do', async () => {
  const base = {
    schema_version: 1,
    run_id: 'r',
    mode: 'A_shared',
    cache_policy: 'Cold',
    workflow: 'W_scrub100',
    repeat: 0,
    started_at: '2026-12-01T10:00:00.000Z',
    status: 'complete',
    tool: { name: 'fastbench', version: '0.1.0' },
  };
  assert.ok(runManifestSchema.safeParse(base).success);
  const environment = await collectRunEnvironment({ dataPaths: [], platform: 'linux', env: { LANG: 'C.UTF-8' } });
  const parsed = runManifestSchema.parse({ ...base, environment });
  assert.equal(parsed.environment?.platform, 'linux');
  assert.equal((parsed.environment as Record<string, unknown>).locale, 'C.UTF-8', 'facts beyond the declared ones survive');
  assert.equal(runManifestSchema.safeParse({ ...base, environment: { platform: 'linux' } }).success, false, 'collected_at is required');
});
