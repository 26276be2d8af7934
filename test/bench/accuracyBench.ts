import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { DriverRequestError, type DriverClient } from '../../extension/core/driver/driverClient';
import { renderStep, waitForColour } from '../../extension/core/workflows/renderWait';
import type { ChangeWaitResult, ClientRegion, WindowInfo } from '../../extension/shared/driverProtocol';
import { STATUS_PATCH, statusRgb, type ViewerStep } from '../../extension/shared/standinStatus';
import { generateVolume } from '../../extension/standin/volume/generate';
import { REPO_ROOT, startDriver, startXvfb } from '../x11/xHarness';
import { median, percentile } from '../../extension/shared/statistics';
import { procUsage } from './stats';

// npm run bench:accuracy — how exact is render detection? The stand-in viewer logs when each step's final frame
// reached the X server (FASTBENCH_STANDIN_TRUTH_LOG: after XPutImage + XSync, process.hrtime, the clock the driver
// stamps its grabs with). On a private Xvfb the bench drives PageDown scrubs and A, click + H, E steps, and times
// each step three ways, side by side in one run, in interleaved blocks (D Q P P Q D …) so drift cancels:
//   damage   grabBaseline → key → window/waitForChange on the view (E: the status text, until 'restored'), the
//            driver told by X DAMAGE when the window is drawn; "rendered" = settledAt_mono_ms, the grab time of
//            the first grab of the final content.
//   poll     the same with DAMAGE off in a second driver (FASTBENCH_X11_NO_DAMAGE=1): XShm reads every ~2 ms, as on
//            Windows (no damage reports there) or on an X server without DAMAGE.
//   patch    key → waitForColour on the stand-in's status patch (client-side polling of pixels/probe, 5 ms);
//            "rendered" = when the matching probe's reply arrived.
// Per method: per-step error against the truth (median/p95 of |error|, signed median), scrub total against the
// truth's, the driver's CPU while the method's steps ran (/proc/<pid>/stat, % of one core) and the bench's own.
// Goals (X11), for the generic ways: |error| median ≤ 2 ms, p95 ≤ 8 ms; scrub within 1 %; driver CPU ≤ 5 %. Then
// the CPU cost of watching a still region per region size for each way of reading pixels.
// BLOCK_STEPS sets the PageDowns per block (default 25: 100 per method).

const BLOCK_STEPS = Number(process.env.BLOCK_STEPS ?? 25);
const ORDER = ['damage', 'poll', 'patch', 'patch', 'poll', 'damage', 'damage', 'poll', 'patch', 'patch', 'poll', 'damage'] as const;
const METHODS = ['damage', 'poll', 'patch'] as const;
const WIDTH = 900;
const HEIGHT = 700;
const BAR = STATUS_PATCH.height;
const DIMS: [number, number, number] = [ORDER.length * BLOCK_STEPS + 16, 160, 192];

type Method = (typeof METHODS)[number];
type Drivers = Record<Method, DriverClient>;
type Step = { method: Method; block: number; kind: ViewerStep; count: number; sent: number; detected: number; wait?: ChangeWaitResult };
type Truth = { put: number; presented: number };
type Cpu = { driverS: number; benchS: number; wallS: number };

const mono = () => Number(process.hrtime.bigint()) / 1e6;
const f = (v: number, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : '–');

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fb-accuracy-'));
  const x = await startXvfb();
  let viewer: ChildProcess | undefined;
  let driver: DriverClient | undefined;
  let pollDriver: DriverClient | undefined;
  try {
    console.log(
      `load average at start: ${loadavg()
        .map((v) => v.toFixed(2))
        .join(' ')}`,
    );
    const volume = path.join(dir, 'bench.fbvol');
    await generateVolume(volume, { dims: DIMS, sampleFormat: 'int16', brickSize: 64, seed: 11 });
    writeFileSync(
      path.join(dir, 'bench.fbproj.json'),
      JSON.stringify({ name: 'accuracy', mode: 'A_shared', volume, exportFolder: 'export', startInline: 0, window: { width: WIDTH, height: HEIGHT } }),
    );
    const truthFile = path.join(dir, 'truth.tsv');
    viewer = spawn(process.execPath, [path.join(REPO_ROOT, 'dist', 'standin-viewer.js'), '--project', path.join(dir, 'bench.fbproj.json')], {
      env: { ...process.env, DISPLAY: x.display, FASTBENCH_STANDIN_TRUTH_LOG: truthFile },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    driver = await startDriver(x.display);
    const win = await driver.request('window/attach', { titlePattern: '^FastBench Stand-in — accuracy', timeoutMs: 20_000 });
    const fg = await driver.request('window/foreground', { handle: win.handle });
    if (!fg.ok) throw new Error(`cannot focus the viewer: ${fg.reason}`);
    await waitForColour(driver, win.handle, STATUS_PATCH, statusRgb('open', 1), { timeoutMs: 20_000 });
    pollDriver = await startDriverWith(x.display, { FASTBENCH_X11_NO_DAMAGE: '1' });

    const steps = await runSteps({ damage: driver, poll: pollDriver, patch: driver }, win);
    const truth = readTruth(truthFile);
    report(steps.steps, truth, steps.cpu);
    await grabCosts(x.display, win);
    console.log(
      `load average at end: ${loadavg()
        .map((v) => v.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    viewer?.kill('SIGTERM');
    await driver?.close();
    await pollDriver?.close();
    x.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runSteps(drivers: Drivers, win: WindowInfo): Promise<{ steps: Step[]; cpu: Record<Method, Cpu> }> {
  const handle = win.handle;
  const view: ClientRegion = { x: 0, y: BAR, width: WIDTH, height: HEIGHT - BAR };
  // The status text (right of the patch): "busy" while exporting, as it was before once done.
  const statusText: ClientRegion = { x: STATUS_PATCH.width + 8, y: 0, width: WIDTH - STATUS_PATCH.width - 8, height: BAR };
  const counts: Record<ViewerStep, number> = { open: 1, inline: 0, attribute: 0, horizon: 0, export: 0, select: 0 };
  const cpu = Object.fromEntries(METHODS.map((m) => [m, { driverS: 0, benchS: 0, wallS: 0 }])) as Record<Method, Cpu>;
  const steps: Step[] = [];
  let driver = drivers.damage;
  const key = (k: string) => () =>
    driver.request('input/inject', {
      handle,
      coordinates: 'client',
      events: [
        { kind: 'key_down', key: k },
        { kind: 'key_up', key: k },
      ],
    });
  const click = (cx: number, cy: number) => () =>
    driver.request('input/inject', {
      handle,
      coordinates: 'client',
      events: [
        { kind: 'down', button: 'left', x: cx, y: cy },
        { kind: 'up', button: 'left', x: cx, y: cy },
      ],
    });

  const step = async (method: Method, block: number, kind: ViewerStep, send: () => Promise<unknown>) => {
    const count = ++counts[kind];
    driver = drivers[method];
    const d0 = procUsage(driver.pid!).cpuS;
    const b0 = process.cpuUsage();
    const w0 = mono();
    let sent: number;
    let detected: number;
    let wait: ChangeWaitResult | undefined;
    if (method !== 'patch') {
      const regions = kind === 'export' ? [statusText] : [view];
      const r = await renderStep(driver, handle, regions, send, { timeoutMs: 30_000, until: kind === 'export' ? 'restored' : 'changed' }).catch((e: Error) => {
        throw new Error(`${method} block ${block + 1}, ${kind} ${count}: ${e.message}`);
      });
      [sent, detected, wait] = [r.sentAt_mono_ms, r.settledAt_mono_ms, r];
    } else {
      sent = mono();
      await send();
      detected = await waitForColour(driver, handle, STATUS_PATCH, statusRgb(kind, count), { timeoutMs: 30_000 });
    }
    const c = cpu[method];
    c.wallS += (mono() - w0) / 1000;
    c.driverS += procUsage(driver.pid!).cpuS - d0;
    const b = process.cpuUsage(b0);
    c.benchS += (b.user + b.system) / 1e6;
    steps.push({ method, block, kind, count, sent, detected, ...(wait ? { wait } : {}) });
  };

  for (const [block, method] of ORDER.entries()) {
    for (let i = 0; i < BLOCK_STEPS; i++) await step(method, block, 'inline', key('Next'));
    await step(method, block, 'attribute', key('a'));
    // A different seed each block, so the seed marker and the horizon always change the view.
    await step(method, block, 'select', click(100 + ((block * 67) % 700), BAR + 120 + ((block * 41) % 450)));
    await step(method, block, 'horizon', key('h'));
    await step(method, block, 'export', key('e'));
    process.stdout.write(`block ${block + 1}/${ORDER.length} (${method}) done\n`);
  }
  return { steps, cpu };
}

function readTruth(file: string): Map<string, Truth> {
  const truth = new Map<string, Truth>();
  for (const line of readFileSync(file, 'utf8').trim().split('\n').slice(1)) {
    const [frame, step, count, , put, presented] = line.split('\t');
    if (frame === 'done') truth.set(`${step} ${count}`, { put: Number(put), presented: Number(presented) });
  }
  return truth;
}

function report(steps: Step[], truth: Map<string, Truth>, cpu: Record<Method, Cpu>): void {
  const missing = steps.filter((s) => !truth.has(`${s.kind} ${s.count}`));
  if (missing.length) throw new Error(`the truth log lacks ${missing.length} step(s), e.g. ${missing[0]!.kind} ${missing[0]!.count}`);
  const all = [...truth.values()];
  const spread = all.map((t) => t.presented - t.put);
  console.log(`\ntruth: frame presented (after XSync) − put (before XPutImage): median ${f(median(spread), 3)} ms, p95 ${f(percentile(spread, 95), 3)} ms (n=${spread.length})`);
  const missed: string[] = [];
  for (const method of METHODS) {
    const mine = steps.filter((s) => s.method === method);
    const err = (s: Step) => s.detected - truth.get(`${s.kind} ${s.count}`)!.presented;
    const abs = mine.map((s) => Math.abs(err(s)));
    const signed = mine.map(err);
    const title = {
      damage: 'generic, damage-driven (window/waitForChange)',
      poll: 'generic, polling (window/waitForChange, DAMAGE off)',
      patch: 'status patch (waitForColour, client-side probes)',
    };
    console.log(`\n${title[method]}`);
    const medAbs = median(abs);
    const p95Abs = percentile(abs, 95);
    console.log(`  per-step |error| vs truth: median ${f(medAbs)} ms (n=${abs.length}), p95 ${f(p95Abs)} ms, max ${f(Math.max(...abs))} ms; signed median ${f(median(signed))} ms`);
    for (const kind of ['inline', 'attribute', 'select', 'horizon', 'export'] as const) {
      const k = mine.filter((s) => s.kind === kind).map((s) => Math.abs(err(s)));
      if (k.length) console.log(`    ${kind.padEnd(9)} median ${f(median(k))} ms (n=${k.length}), p95 ${f(percentile(k, 95))} ms`);
    }
    // The scrub as a KPI: each block's PageDowns from the first key to the last one rendered (what scrub_start →
    // scrub_end spans when scrub_end is the last step's rendered time), against the same span to the truth's frame.
    const scrub = mine.filter((s) => s.kind === 'inline');
    const truthOf = (s: Step) => truth.get(`${s.kind} ${s.count}`)!.presented;
    let span = 0;
    let truthSpan = 0;
    for (const block of new Set(scrub.map((s) => s.block))) {
      const b = scrub.filter((s) => s.block === block);
      span += b.at(-1)!.detected - b[0]!.sent;
      truthSpan += truthOf(b.at(-1)!) - b[0]!.sent;
    }
    const scrubErr = ((span - truthSpan) / truthSpan) * 100;
    console.log(
      `  scrub (${scrub.length} PageDowns, first key → last rendered per block): ${f(span / 1000, 3)} s vs truth ${f(truthSpan / 1000, 3)} s: ${scrubErr >= 0 ? '+' : ''}${f(scrubErr)} %`,
    );
    // Stricter: the sum of the per-step times (key → rendered), where every step's detection lag adds up.
    const sum = scrub.reduce((a, s) => a + (s.detected - s.sent), 0);
    const truthSum = scrub.reduce((a, s) => a + (truthOf(s) - s.sent), 0);
    console.log(
      `  sum of per-step times: ${f(sum / 1000, 3)} s vs truth ${f(truthSum / 1000, 3)} s: ${sum >= truthSum ? '+' : ''}${f(((sum - truthSum) / truthSum) * 100)} % (mean step ${f(truthSum / scrub.length, 1)} ms)`,
    );
    const c = cpu[method];
    const driverPct = (c.driverS / c.wallS) * 100;
    console.log(
      `  harness CPU while its steps ran (${f(c.wallS, 1)} s): driver ${f(driverPct, 1)} % of a core (${f((c.driverS * 1000) / mine.length)} ms per step), bench process ${f((c.benchS / c.wallS) * 100, 1)} %`,
    );
    if (method !== 'patch') {
      const waits = mine.map((s) => s.wait!).filter(Boolean);
      const polled = waits.filter((w) => w.watch === 'poll');
      const hz = polled.map((w) => w.grabHz);
      console.log(
        `  watching: ${waits.length - polled.length} step(s) by X damage reports, ${polled.length} by polling${
          polled.length
            ? ` (${f(median(hz), 0)} Hz median, min ${f(Math.min(...hz), 0)}; largest gap p95 ${f(
                percentile(
                  polled.map((w) => w.maxGapMs),
                  95,
                ),
              )} ms)`
            : ''
        }; ${waits.reduce((a, w) => a + w.grabs, 0)} reads; ${[...new Set(waits.map((w) => w.method))].join(', ')}`,
      );
      if (polled.length && Math.min(...hz) < 200) missed.push(`${method}: a polled wait sampled at ${f(Math.min(...hz), 0)} Hz (< 200)`);
      if (medAbs > 2) missed.push(`${method}: |error| median ${f(medAbs)} ms > 2 ms`);
      if (p95Abs > 8) missed.push(`${method}: |error| p95 ${f(p95Abs)} ms > 8 ms`);
      if (Math.abs(scrubErr) > 1) missed.push(`${method}: scrub ${f(scrubErr)} % off (> 1 %)`);
      if (driverPct > 5) missed.push(`${method}: driver CPU ${f(driverPct, 1)} % of a core (> 5 %)`);
    }
  }
  console.log(missed.length ? `\nGOALS MISSED:\n  ${missed.join('\n  ')}` : '\nall goals met (|error| median ≤ 2 ms, p95 ≤ 8 ms, scrub within 1 %, driver CPU ≤ 5 %, ≥ 200 Hz)');
}

/** CPU per sample of a still region for each way of reading pixels: a wait that never ends, timed by its grabs. */
async function grabCosts(display: string, win: WindowInfo): Promise<void> {
  console.log('\ncost of one sample (driver CPU per sample, still region, 2 s each):');
  const sizes: ClientRegion[] = [
    { x: 0, y: BAR, width: 32, height: 32 },
    { x: 0, y: BAR, width: 300, height: 200 },
    { x: 0, y: BAR, width: WIDTH, height: HEIGHT - BAR },
  ];
  const ways: [string, NodeJS.ProcessEnv][] = [
    ['xshm + damage', {}],
    ['xshm', { FASTBENCH_X11_NO_DAMAGE: '1' }],
    ['xgetimage', { FASTBENCH_X11_NO_DAMAGE: '1', FASTBENCH_X11_NO_SHM: '1' }],
  ];
  for (const [name, env] of ways) {
    const driver = await startDriverWith(display, env);
    try {
      const cells: string[] = [];
      for (const region of sizes) {
        const d0 = procUsage(driver.pid!).cpuS;
        const w0 = mono();
        let grabs = 0;
        try {
          await driver.request('window/waitForChange', { handle: win.handle, regions: [region], timeoutMs: 2000 });
        } catch (e) {
          if (!(e instanceof DriverRequestError) || e.code !== 'never_changed') throw e;
          grabs = Number(e.detail.grabs);
        }
        const cpuMs = (procUsage(driver.pid!).cpuS - d0) * 1000;
        const wall = mono() - w0;
        cells.push(`${region.width}x${region.height}: ${f(cpuMs / grabs, 3)} ms/sample at ${f(grabs / (wall / 1000), 0)} Hz (${f((cpuMs / wall) * 100, 1)} % CPU)`);
      }
      console.log(`  ${name.padEnd(14)} ${cells.join('; ')}`);
    } finally {
      await driver.close();
    }
  }
}

function startDriverWith(display: string, env: NodeJS.ProcessEnv): Promise<DriverClient> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return startDriver(display);
  } finally {
    for (const k of Object.keys(env)) if (!(k in saved)) delete process.env[k];
  }
}

main().catch((e: Error) => {
  console.error(`bench:accuracy: ${e.stack ?? e.message}`);
  process.exitCode = 1;
});
