import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { collectRunEnvironment } from '../../extension/core/campaign/runEnvironment';
import type { SessionFacts } from '../../extension/shared/driverProtocol';
import { DriverClient } from './driverClient';
import { isWine, lane, laneUnavailable } from './lane';

// The driver's session facts (WTS connect state, input desktop, remote session, monitors with their DPI), keeping the
// machine awake, and the run environment a campaign writes into run.json, from the real Win32 code. Wine's
// powershell.exe is a stub that prints nothing, so there the PowerShell facts must come out as "unknown: …", each one.

const skip = laneUnavailable();
let d: DriverClient;
before(async () => {
  if (!skip) d = await DriverClient.start(lane.driver);
});
after(async () => {
  await d?.shutdown();
});

test('system/session: an unlocked console session, its monitors with their DPI', { skip }, async () => {
  const s = (await d.request('system/session', {})) as SessionFacts;
  assert.equal(s.state, 'active', s.detail);
  assert.match(s.detail, /input desktop Default/i);
  assert.equal(s.remote, false);
  assert.ok(s.monitors.length >= 1, JSON.stringify(s));
  const primary = s.monitors.find((m) => m.primary)!;
  assert.ok(primary.width > 0 && primary.height > 0, JSON.stringify(primary));
  if (isWine) assert.deepEqual([primary.width, primary.height, primary.dpi], [1280, 1024, 96], 'Xvfb 1280x1024 at 96 DPI');
  else assert.ok(primary.dpi === null || primary.dpi >= 96, JSON.stringify(primary));
});

test('system/keepAwake: on, then off', { skip }, async () => {
  const on = (await d.request('system/keepAwake', { on: true })) as { ok: boolean; detail: string };
  assert.equal(on.ok, true, on.detail);
  const off = (await d.request('system/keepAwake', { on: false })) as { ok: boolean; detail: string };
  assert.equal(off.ok, true, off.detail);
});

test('the run environment: every fact is a value or "unknown: why", the session from the driver', { skip }, async () => {
  const env = await collectRunEnvironment({ dataPaths: [lane.work], session: () => d.request('system/session', {}) as Promise<SessionFacts>, timeoutMs: 60_000 });
  const keys = ['os_build', 'display_language', 'power_plan', 'smb_client', 'antivirus', 'gpu_driver', 'session', 'monitors'];
  for (const k of keys) {
    const v = env[k];
    assert.ok((typeof v === 'string' && v.length > 0) || (typeof v === 'object' && v !== null), `${k}: ${JSON.stringify(v)}`);
  }
  assert.equal((env.session as { state: string }).state, 'active');
  if (isWine) for (const k of ['os_build', 'power_plan', 'antivirus']) assert.match(String(env[k]), /^unknown: PowerShell: /, k);
  else {
    // A real Windows: the PowerShell facts are there (the runner may lack Defender or SMB cmdlets: those say why).
    assert.match(String((env.os_build as { build?: string }).build), /^\d+\.\d+$/);
    assert.match(String((env.power_plan as { guid?: string }).guid), /^[0-9a-f-]{36}$/i);
  }
  console.log(`run environment collected in ${env.collect_ms} ms: ${JSON.stringify(env).slice(0, 400)}`);
});
