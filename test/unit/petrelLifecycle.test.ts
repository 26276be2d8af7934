import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { attachToLaunched, pickMainWindow, type InterstitialSeen } from '../../extension/core/campaign/attachTarget';
import { parseTasklistCsv, parseWmicProcesses, waitImageGone } from '../../extension/core/campaign/targetGone';
import { closeTargetSteps, launchTarget, type LaunchedTarget } from '../../extension/core/campaign/targetProcess';
import { workflowRefs } from '../../extension/core/campaign/plan';
import { petrelTemplate } from '../../extension/core/campaign/templates';
import { validateConfigText } from '../../extension/core/config/configFile';
import type { DriverClient } from '../../extension/core/driver/driverClient';
import type { WindowInfo } from '../../extension/shared/driverProtocol';
import { REPO_ROOT } from './fixturePaths';

// Petrel's life cycle in the campaign engine, against fakes where the real part cannot run here (a driver whose
// window list is scripted over time) and real processes where it can (closing: a child process that plays an app
// with a "save?" prompt). The real Win32 path is test/wine/campaign.test.ts with target.exe's --petrel-* flags.

const win = (handle: string, title: string, o: Partial<WindowInfo> = {}): WindowInfo => ({
  handle,
  title,
  className: 'HwndWrapper[Petrel.exe;;6a1c]',
  pid: process.pid,
  processImage: 'C:\\Program Files\\Schlumberger\\Petrel 2024\\Petrel.exe',
  visible: true,
  rect: { x: 0, y: 0, width: 800, height: 600 },
  clientRect: { x: 8, y: 30, width: 784, height: 562 },
  dpiScale: 1,
  ...o,
});

test('main window: matched by process image and title, never by window class; interstitials and other processes excluded', () => {
  const pids = new Set([process.pid]);
  const main = win('1', 'Petrel 2024 - Demo.pet', { className: 'HwndWrapper[Petrel.exe;;0f3e]', clientRect: { x: 0, y: 0, width: 1900, height: 1000 } });
  const splash = win('2', 'Petrel 2024 splash', { className: main.className, clientRect: { x: 0, y: 0, width: 1920, height: 1080 } });
  const other = win('3', 'Petrel 2024 - Other.pet', { pid: 999_999_999, clientRect: { x: 0, y: 0, width: 2500, height: 1400 } });
  const otherImage = win('4', 'Petrel 2024 - Notes', { processImage: 'C:\\Windows\\notepad.exe', clientRect: { x: 0, y: 0, width: 2400, height: 1300 } });
  const spec = { processImage: 'Petrel.exe', titlePattern: '^Petrel', interstitials: [{ titlePattern: 'splash$', action: 'wait' as const }] };
  assert.equal(pickMainWindow([splash, other, otherImage, main], pids, spec)?.handle, '1');
  // The class name is never consulted: the same windows with any class give the same answer.
  const renamed = [splash, other, otherImage, main].map((w) => ({ ...w, className: `Some.Other.Class${w.handle}` }));
  assert.equal(pickMainWindow(renamed, pids, spec)?.handle, '1');
  assert.equal(pickMainWindow([win('5', 'Untitled', { className: 'Petrel' })], pids, spec), undefined, 'a class name that looks right matches nothing');
});

/** A driver whose window list follows a script over time; it records the keys pressed into each window. */
function fakeDriver(script: (ms: number, pressed: Map<string, string[]>) => WindowInfo[]) {
  const t0 = Date.now();
  const pressed = new Map<string, string[]>();
  const log: string[] = [];
  const driver = {
    async request(method: string, params: { handle?: string; events?: { kind: string; key: string }[] }) {
      if (method === 'windows/list') return script(Date.now() - t0, pressed);
      if (method === 'window/foreground') {
        log.push(`foreground ${params.handle}`);
        return { ok: true };
      }
      if (method === 'input/inject') {
        const keys = (params.events ?? []).filter((e) => e.kind === 'key_down').map((e) => e.key);
        pressed.set(params.handle!, [...(pressed.get(params.handle!) ?? []), keys.join('+')]);
        log.push(`keys ${keys.join('+')} -> ${params.handle}`);
        return { sent: params.events?.length ?? 0 };
      }
      throw new Error(`unexpected ${method}`);
    },
  };
  return { driver: driver as unknown as DriverClient, pressed, log };
}

const alive = (): LaunchedTarget => ({ child: undefined as never, pid: process.pid, exitReason: () => undefined, exited: new Promise(() => {}), stderrTail: () => '' });

test('attach waits out a splash, dismisses the licence dialog with its key once, and attaches only when the main window is up alone and stable', async () => {
  let licenceAcceptedAt: number | undefined;
  const { driver, log } = fakeDriver((ms, pressed) => {
    const out: WindowInfo[] = [];
    if (ms < 250) out.push(win('10', 'Petrel 2024 splash'));
    // The main window exists behind the licence dialog already: it must not be attached while the dialog is up.
    if (ms >= 150) out.push(win('30', 'Petrel 2024 - Demo.pet', { clientRect: { x: 0, y: 0, width: 1900, height: 1000 } }));
    if (ms >= 250 && pressed.has('20')) licenceAcceptedAt ??= ms;
    if (ms >= 250 && (licenceAcceptedAt === undefined || ms < licenceAcceptedAt + 150)) out.push(win('20', 'Petrel licence'));
    return out;
  });
  const seen: InterstitialSeen[] = [];
  const t0 = Date.now();
  const w = await attachToLaunched(driver, alive(), {
    processImage: 'Petrel.exe',
    titlePattern: '^Petrel 2024 - ',
    timeoutMs: 10_000,
    stableMs: 200,
    pollMs: 10,
    interstitials: [
      { name: 'splash', titlePattern: 'splash$', action: 'wait' },
      { name: 'licence', titlePattern: '^Petrel licence$', action: 'key', key: 'Alt+a' },
    ],
    seen,
  });
  const took = Date.now() - t0;
  assert.equal(w.handle, '30');
  assert.deepEqual(log, ['foreground 20', 'keys Alt+a -> 20'], 'the licence dialog got its key once, after being brought to the front');
  assert.deepEqual(
    seen.map((s) => [s.name, s.title, s.action, s.pressed]),
    [
      ['splash', 'Petrel 2024 splash', 'wait', undefined],
      ['licence', 'Petrel licence', 'key', 'Alt+a'],
    ],
  );
  assert.ok(
    seen.every((s) => s.goneMs !== undefined && s.goneMs >= s.firstMs),
    'each interstitial is recorded with when it went',
  );
  assert.ok(
    licenceAcceptedAt !== undefined && took >= licenceAcceptedAt + 150 + 200,
    `attached ${took} ms in: after the licence went (${licenceAcceptedAt} + 150 ms) and stableMs`,
  );
});

test('an interstitial that never goes fails the attach after interstitialTimeoutS, naming it', async () => {
  const { driver } = fakeDriver(() => [win('20', 'Petrel licence'), win('30', 'Petrel 2024 - Demo.pet')]);
  await assert.rejects(
    attachToLaunched(driver, alive(), {
      titlePattern: '^Petrel 2024 - ',
      timeoutMs: 10_000,
      stableMs: 50,
      pollMs: 10,
      interstitialTimeoutMs: 300,
      interstitials: [{ name: 'licence', titlePattern: 'licence$', action: 'key', key: 'Enter' }],
    }),
    /^Error: interstitial window\(s\) still up after 0 s \(target\.interstitialTimeoutS\): "Petrel licence" \(licence, pressed Enter\)$/,
  );
});

/**
 * A real child process playing an application with a "save changes?" prompt: on the close key (a file) or SIGTERM
 * (WM_CLOSE) it shows the prompt (another file) unless told to quit at once; "No" (a file) lets it exit.
 */
async function app(dir: string, behaviour: 'quits' | 'prompts' | 'hangs'): Promise<LaunchedTarget> {
  const script = path.join(dir, 'app.js');
  writeFileSync(
    script,
    `const fs = require('fs'), p = (n) => require('path').join(${JSON.stringify(dir)}, n);
const mode = ${JSON.stringify(behaviour)};
const close = () => { if (mode === 'quits') process.exit(0); if (mode === 'prompts') fs.writeFileSync(p('prompt'), ''); };
process.on('SIGTERM', close);
setInterval(() => { if (fs.existsSync(p('close-key'))) { fs.rmSync(p('close-key')); close(); } if (fs.existsSync(p('answer-no'))) process.exit(0); }, 20);
fs.writeFileSync(p('ready'), '');`,
  );
  return launchTarget(process.execPath, [script], process.env);
}

function promptWatcher(dir: string) {
  return async () => {
    if (!existsSync(path.join(dir, 'prompt')) || existsSync(path.join(dir, 'answer-no'))) return undefined;
    writeFileSync(path.join(dir, 'answer-no'), '');
    return 'answering "Save changes?" with n';
  };
}

test('close sequence: close keys, then the save prompt answered No, then WM_CLOSE, then a kill — and which step ended it', async () => {
  const cases: { behaviour: 'quits' | 'prompts' | 'hangs'; keys: boolean; how: RegExp; endedBy: string; prompts: number }[] = [
    { behaviour: 'quits', keys: true, how: /^closed by its close keys$/, endedBy: 'close-keys', prompts: 0 },
    { behaviour: 'prompts', keys: true, how: /^closed by its close keys, after answering "Save changes\?" with n$/, endedBy: 'save-prompt', prompts: 1 },
    { behaviour: 'prompts', keys: false, how: /^closed on request \(SIGTERM to the process group\), after answering "Save changes\?" with n$/, endedBy: 'save-prompt', prompts: 1 },
    { behaviour: 'quits', keys: false, how: /^closed on request \(SIGTERM to the process group\)$/, endedBy: 'wm-close', prompts: 0 },
    { behaviour: 'hangs', keys: true, how: /^killed after 0 s \(SIGKILL to the process group; asked first with SIGTERM to the process group\)$/, endedBy: 'kill', prompts: 0 },
  ];
  for (const c of cases) {
    const dir = mkdtempSync(path.join(tmpdir(), 'fb-close-'));
    const t = await app(dir, c.behaviour);
    // Its handlers are installed once it says so (a loaded machine may take seconds to start node).
    for (const deadline = Date.now() + 20_000; !existsSync(path.join(dir, 'ready')) && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
    const out = await closeTargetSteps(t, {
      timeoutMs: 400,
      pollMs: 20,
      watch: promptWatcher(dir),
      ...(c.keys ? { politeClose: async () => writeFileSync(path.join(dir, 'close-key'), '') } : {}),
    });
    const what = `${c.behaviour}, ${c.keys ? 'with' : 'without'} close keys`;
    assert.match(out.how, c.how, what);
    assert.equal(out.endedBy, c.endedBy, what);
    assert.equal(out.prompts.length, c.prompts, what);
    assert.ok(t.exitReason(), `${what}: the process has exited`);
  }
});

test('before a Cold purge: no process of the target image may run (tasklist CSV parsed; bounded wait; the pids named)', async () => {
  assert.deepEqual(parseTasklistCsv('"System Idle Process","0","Services","0","8 K"\r\n"Petrel.exe","4242","Console","1","2,345,678 K"\r\nINFO: nothing\r\n'), [
    { image: 'System Idle Process', pid: 0, session: 0 },
    { image: 'Petrel.exe', pid: 4242, session: 1 },
  ]);
  const wmic = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Name          ProcessId  \r\nservices.exe  56         \r\nPetrel Launcher.exe  4243 \r\n\r\n', 'utf16le')]);
  assert.deepEqual(parseWmicProcesses(wmic), [
    { image: 'services.exe', pid: 56 },
    { image: 'Petrel Launcher.exe', pid: 4243 },
  ]);
  let calls = 0;
  const exitsSoon = async () => (++calls < 3 ? [{ pid: 4242, image: 'PETREL.EXE' }] : [{ pid: 1, image: 'explorer.exe' }]);
  assert.match(await waitImageGone('Petrel.exe', { timeoutMs: 5000, pollMs: 10, list: exitsSoon }), /^no Petrel\.exe process running after \d+\.\d s$/);
  const stays = async () => [
    { pid: 4242, image: 'Petrel.exe' },
    { pid: 77, image: 'petrel' },
  ];
  await assert.rejects(
    waitImageGone('C:\\Program Files\\Petrel.exe', { timeoutMs: 100, pollMs: 10, list: stays }),
    /^Error: C:\\Program Files\\Petrel\.exe is still running \(pid 4242, 77\) 0 s after the previous run closed it: its open files would survive the Cold purge/,
  );
  assert.equal(await waitImageGone('Petrel.exe', { timeoutMs: 100, list: async () => [] }), 'no Petrel.exe process running');
});

test('docs/fastbench.petrel.sample.json validates, is what "fastbench init --template petrel" writes, and uses every Petrel field', () => {
  const file = path.join(REPO_ROOT, 'docs', 'fastbench.petrel.sample.json');
  const text = readFileSync(file, 'utf8');
  const r = validateConfigText(file, text);
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.problems));
  const { $schema: _s, ...sample } = JSON.parse(text) as Record<string, unknown>;
  const { $schema: _t, ...template } = petrelTemplate() as Record<string, unknown>;
  assert.deepEqual(sample, JSON.parse(JSON.stringify(template)), 'the sample is the template (regenerate it when the template changes)');
  const t = r.value.target;
  assert.ok(t.arguments.includes('/nosplashscreen') && t.arguments.includes('{project}'));
  assert.deepEqual(t.batch?.arguments.slice(1, 5), ['/runWorkflow', '{workflow}', '/quiet', '/exit']);
  assert.deepEqual(Object.keys(t.window).sort(), ['processImage', 'titlePattern'], 'matched by image and title, no class');
  assert.deepEqual(
    t.interstitials.map((i) => i.action),
    ['wait', 'key'],
  );
  assert.equal(t.close.savePrompt?.key, 'n');
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  for (const field of [
    'interstitials',
    'interstitialTimeoutS',
    'savePrompt',
    'batch.arguments',
    'batch.timeoutS',
    'close.keys',
    'processImage',
    'titlePattern',
    'cold-helper install',
  ])
    assert.ok(readme.includes(field), `README documents ${field}`);
});

test('config: a batch workflow enters the plan with its markers; bad interstitial and save-prompt keys are refused with the field named', () => {
  const base = petrelTemplate() as Record<string, any>;
  const withBatch = { ...base, campaign: { ...base.campaign, workflows: ['W_scrub100', { batch: 'FB attribute', name: 'W_attribute', markers: ['attr_start', 'attr_end'] }] } };
  const ok = validateConfigText('fastbench.json', JSON.stringify(withBatch));
  assert.ok(ok.ok);
  assert.deepEqual(workflowRefs(ok.value), [{ name: 'W_scrub100' }, { name: 'W_attribute', batch: 'FB attribute', markers: ['attr_start', 'attr_end'] }]);
  const bad = (edit: (c: Record<string, any>) => void) => {
    const c = JSON.parse(JSON.stringify(base)) as Record<string, any>;
    edit(c);
    const r = validateConfigText('fastbench.json', JSON.stringify(c, null, 2));
    assert.ok(!r.ok);
    return r.problems.map((p) => `${p.path}: ${p.expected}`).join('\n');
  };
  assert.match(
    bad((c) => (c.target.interstitials[1].key = 'Alt+Foo')),
    /target\.interstitials\[1\]\.key: expected a key such as "Enter", "n" or "Alt\+n"/,
  );
  assert.match(
    bad((c) => delete c.target.interstitials[1].key),
    /target\.interstitials\[1\]: expected "key" when action is "key"/,
  );
  assert.match(
    bad((c) => (c.target.close.savePrompt.titlePattern = '(')),
    /target\.close\.savePrompt\.titlePattern: expected a valid JavaScript regular expression/,
  );
  assert.match(
    bad((c) => (c.target.interstitials[0].action = 'click')),
    /target\.interstitials\[0\]\.action: expected/,
  );
});
