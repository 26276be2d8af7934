import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { windowsOpenFilesLister } from '../../extension/driver/win32/openHandles';
import { DriverClient, type InputEventData } from './driverClient';
import { calibrateClocks, isWine, lane, laneUnavailable, quantile, Target, XHelper } from './lane';
import { pdhBench } from './pdhBench';

// Figures for the Win32 driver under Wine (bash test/wine/run.sh --bench):
//   driver start -> hello; capture latency xdotool -> hook event (p50/p95/p99); hook callback time (p50/p99/max);
//   injection position error (px) and inject -> target latency; xdotool -> target latency for comparison;
//   the open-files handle scan per agent tick (target holding 2 and 200 files).
// Clocks: the hook stamps with process.hrtime (QueryPerformanceCounter); xdotool's send time is Linux
// CLOCK_MONOTONIC, mapped onto QPC by an NTP-style calibration over loopback (its error bound is printed).

const N_START = Number(process.env.BENCH_STARTS ?? 5);
const N_MOVES = Number(process.env.BENCH_MOVES ?? 300);
const N_KEYS = Number(process.env.BENCH_KEYS ?? 60);
const N_CLICKS = Number(process.env.BENCH_CLICKS ?? 200);

const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
const summary = (xs: number[]) => ({ n: xs.length, p50: quantile(xs, 0.5), p95: quantile(xs, 0.95), p99: quantile(xs, 0.99), max: Math.max(...xs) });
const row = (name: string, xs: number[], unit = 'ms') => {
  const s = summary(xs);
  console.log(`${name.padEnd(44)} n=${String(s.n).padStart(4)}  p50 ${fmt(s.p50)}  p95 ${fmt(s.p95)}  p99 ${fmt(s.p99)}  max ${fmt(s.max)} ${unit}`);
  return s;
};

async function main(): Promise<void> {
  const why = laneUnavailable();
  if (why) {
    console.log(`bench skipped: ${why}`);
    return;
  }
  const result: Record<string, unknown> = { wine: isWine };
  if (process.env.BENCH_ONLY === 'pdh') {
    console.log(`metrics agent tick cost (${isWine ? 'Wine' : 'Windows'}, node ${process.version})`);
    result.pdh = await pdhBench();
    console.log(`bench-result ${JSON.stringify(result)}`);
    return;
  }
  console.log(`Win32 driver bench (${isWine ? 'Wine' : 'Windows'}, node ${process.version})`);

  // ---------------------------------------------------------------- start -> hello
  const starts: number[] = [];
  for (let i = 0; i < N_START; i++) {
    const d = await DriverClient.start(lane.driver);
    starts.push(d.startMs);
    await d.shutdown();
  }
  result.startToHello = row('driver start -> hello', starts);

  const target = await Target.start({ x: 100, y: 80, w: 900, h: 700, title: `FastBench Bench Target ${process.pid}` });
  const d = await DriverClient.start(lane.driver, { FASTBENCH_DRIVER_DEBUG: '1', FASTBENCH_HOOK_WATCHDOG_MS: '0' });
  try {
    const w = await d.request('window/attach', { titlePattern: target.title, timeoutMs: 10_000 });
    await d.request('window/foreground', { handle: w.handle });
    const client = w.clientRect;

    // ---------------------------------------------------------------- injection accuracy + latency
    const errors: number[] = [];
    const injectToTarget: number[] = [];
    let exact = 0;
    for (let i = 0; i < N_CLICKS; i++) {
      const x = Math.floor(Math.random() * client.width);
      const y = Math.floor(Math.random() * client.height);
      const from = target.lines().length;
      const t0 = Number(process.hrtime.bigint()) / 1e6;
      await d.request('input/inject', {
        handle: w.handle,
        coordinates: 'client',
        events: [
          { kind: 'down', button: 'left', x, y },
          { kind: 'up', button: 'left', x, y },
        ],
      });
      const [down] = await target.waitLines(from, ['down'], 1);
      const err = Math.hypot(Number(down!.f.x) - x, Number(down!.f.y) - y);
      errors.push(err);
      if (err === 0) exact++;
      injectToTarget.push(down!.t - t0);
    }
    result.injectPositionErrorPx = row('injection position error', errors, 'px');
    console.log(`${''.padEnd(44)} exact: ${exact}/${N_CLICKS}`);
    result.injectToTarget = row('inject request -> target WM_LBUTTONDOWN', injectToTarget);

    // ---------------------------------------------------------------- capture latency
    if (!isWine || !lane.xhelperPort) {
      console.log('capture latency: needs xdotool under Wine (run.sh --bench); skipped');
    } else {
      const x = await XHelper.connect();
      const clock = await calibrateClocks(x);
      result.clock = clock;
      console.log(`clock calibration (Linux CLOCK_MONOTONIC -> QPC): offset ${clock.offset.toFixed(3)} ms, error <= ${clock.error.toFixed(3)} ms`);
      if (!(await x.focus(target.title))) throw new Error('xdotool could not focus the target');
      await d.request('input/captureStart', { handle: w.handle });
      const seen = (from: number, match: (e: InputEventData) => boolean) => d.until(() => d.inputs().slice(from).some(match), 5000, 'captured event');

      const moveLatency: number[] = [];
      const moveToTarget: number[] = [];
      for (let i = 0; i < N_MOVES; i++) {
        const cx = 20 + (i % 2) * 300 + (i % 97);
        const cy = 30 + (i % 7) * 40;
        const from = d.inputs().length;
        const fromTarget = target.lines().length;
        const sent = await x.x(`mousemove ${client.x + cx} ${client.y + cy}`);
        const match = (e: InputEventData) => e.kind === 'move' && e.x === cx && e.y === cy;
        await seen(from, match);
        const hook = d.inputs().slice(from).find(match)!;
        moveLatency.push(hook.t_mono_ms - (sent.t + clock.offset));
        const [line] = await target.waitLines(fromTarget, ['move'], 1);
        moveToTarget.push(line!.t - (sent.t + clock.offset));
      }
      result.captureMove = row('capture: xdotool mousemove -> hook event', moveLatency);
      const keyLatency: number[] = [];
      for (let i = 0; i < N_KEYS; i++) {
        const from = d.inputs().length;
        const sent = await x.x('keydown a');
        const match = (e: InputEventData) => e.kind === 'key_down' && e.key === 'a';
        await seen(from, match);
        keyLatency.push(d.inputs().slice(from).find(match)!.t_mono_ms - (sent.t + clock.offset));
        await x.x('keyup a');
      }
      result.captureKey = row('capture: xdotool keydown -> hook event', keyLatency);
      result.xdotoolToTarget = row('xdotool mousemove -> target WM_MOUSEMOVE', moveToTarget);
      result.all = row('capture: all xdotool -> hook', [...moveLatency, ...keyLatency]);
      await d.request('input/captureStop', {});
      x.close();
    }
  } finally {
    await d.shutdown();
    await target.stop();
  }
  const stats = /driver-stats (\{.*\})/.exec(d.stderr);
  if (stats) {
    const s = JSON.parse(stats[1]!) as { hookCallbacks: number; hookP50Ms: number; hookP99Ms: number; hookMaxMs: number; taggedIgnored: number };
    result.hook = s;
    console.log(
      `${'hook callback time (inside the hook thread)'.padEnd(44)} n=${String(s.hookCallbacks).padStart(4)}  p50 ${fmt(s.hookP50Ms)}  p99 ${fmt(s.hookP99Ms)}  max ${fmt(s.hookMaxMs)} ms`,
    );
  }
  result.openFiles = await openFilesBench();
  result.pdh = await pdhBench();
  console.log(`bench-result ${JSON.stringify(result)}`);
}

/**
 * What listing the target's open files costs the agent per tick: the handle scan (system handle table, duplicate,
 * type check, name on the worker) for a target holding 2 files and one holding 200, side by side; the ratio to the
 * 1000 ms tick is the share of one core it takes.
 */
async function openFilesBench(): Promise<Record<string, unknown>> {
  const dir = path.join(lane.work, 'bench-openfiles');
  mkdirSync(dir, { recursive: true });
  const files = Array.from({ length: 200 }, (_, i) => path.join(dir, `f${i}.bin`));
  for (const f of files) writeFileSync(f, 'x');
  const out: Record<string, unknown> = {};
  for (const n of [2, 200]) {
    const ready = path.join(dir, `ready-${n}.txt`);
    rmSync(ready, { force: true });
    const child = spawn(lane.target, ['--hold', ready, '120000', ...files.slice(0, n)], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 400 && !existsSync(ready); i++) await new Promise((r) => setTimeout(r, 25));
      const pid = Number(/pid=(\d+)/.exec(readFileSync(ready, 'utf8'))?.[1]);
      const lister = windowsOpenFilesLister();
      await lister.list(pid); // the worker's start-up is not a tick's cost
      const ms: number[] = [];
      let seen = 0;
      for (let i = 0; i < 50; i++) {
        const t0 = performance.now();
        seen = (await lister.list(pid))?.length ?? 0;
        ms.push(performance.now() - t0);
      }
      lister.close?.();
      const s = row(`open files per tick, target holding ${n} files`, ms);
      console.log(`${''.padEnd(44)} files named ${seen}; p50 = ${((s.p50 / 1000) * 100).toFixed(2)} % of a 1 s tick`);
      out[`hold${n}`] = { ...s, named: seen };
    } finally {
      child.kill();
    }
  }
  return out;
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`bench failed: ${(e as Error).stack ?? String(e)}`);
    process.exit(1);
  },
);
