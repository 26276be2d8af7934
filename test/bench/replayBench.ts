import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Recorder } from '../../extension/core/recording/recorder';
import { Replayer } from '../../extension/core/replay/replayer';
import { silentLogger } from '../../extension/core/ports/logger';
import type { Recording } from '../../extension/shared/recording';
import { sleep, startDriver, startProgram, startXvfb } from '../x11/xHarness';
import { goal, procUsage } from './stats';

// npm run bench:replay [-- --seconds 120] — replay lateness over a recording with dense mouse moves
// (125 Hz), and the recorder's cost (this process + its driver) idle and while capturing 125 Hz input.

const secondsArg = process.argv.indexOf('--seconds');
const SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 120;

function denseRecording(seconds: number): Recording {
  const events: Recording['events'] = [];
  for (let t = 0; t < seconds * 1000; t += 8) {
    const a = t / 1000;
    events.push({ t_ms: t, type: 'move', x: Math.round(200 + 150 * Math.cos(a)), y: Math.round(150 + 100 * Math.sin(a * 1.3)) });
    if (t % 2000 === 0) {
      events.push({ t_ms: t + 1, type: 'down', button: 'left', x: 200, y: 150 });
      events.push({ t_ms: t + 3, type: 'up', button: 'left', x: 200, y: 150 });
    }
  }
  return { version: 2, target: {}, client: { width: 400, height: 300, dpiScale: 1 }, events };
}

const cpuOfSelf = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function main(): Promise<void> {
  const x = await startXvfb();
  const xev = startProgram(x.display, 'xev', ['-geometry', '400x300+50+60']);
  const dir = mkdtempSync(path.join(tmpdir(), 'fb-replay-bench-'));
  try {
    const driver = await startDriver(x.display);
    const win = await driver.request('window/attach', { titlePattern: '^Event Tester$', timeoutMs: 10_000 });

    // Recorder cost: idle (armed, capture running) and while a second driver injects 125 Hz moves.
    const out = path.join(dir, 'bench.fbrec.json');
    const recorder = new Recorder({ driver, window: win, out, target: {}, startImmediately: true, checkpointRegion: 'none', log: silentLogger });
    await recorder.start();
    const measure = async (ms: number, during?: () => Promise<void>) => {
      const s0 = cpuOfSelf();
      const d0 = procUsage(driver.pid!);
      const t0 = performance.now();
      await (during ? during() : sleep(ms));
      const wall = (performance.now() - t0) / 1000;
      const d1 = procUsage(driver.pid!);
      return { selfPct: ((cpuOfSelf() - s0) / wall) * 100, driverPct: ((d1.cpuS - d0.cpuS) / wall) * 100, rss: d1.rssMiB, wall };
    };
    const idle = await measure(5000);
    console.log(`recorder idle (capturing, no input): recorder ${idle.selfPct.toFixed(2)} % + driver ${idle.driverPct.toFixed(2)} % of a core`);
    const injector = await startDriver(x.display);
    const busy = await measure(0, async () => {
      const end = performance.now() + 15_000;
      for (let i = 0; performance.now() < end; i++) {
        await injector.request('input/inject', { handle: win.handle, coordinates: 'client', events: [{ kind: 'move', x: 100 + (i % 200), y: 100 + (i % 97) }] });
        await sleep(8);
      }
    });
    const recording = await recorder.stop();
    const bytes = statSync(out).size;
    const minutes = busy.wall / 60;
    console.log(
      `recorder capturing ~125 Hz moves: recorder ${busy.selfPct.toFixed(2)} % + driver ${busy.driverPct.toFixed(2)} % of a core; ` +
        `${recording.events.length} events in ${busy.wall.toFixed(1)} s; file ${(bytes / 1024 / minutes).toFixed(0)} KiB per minute`,
    );
    await injector.close();

    const rec = denseRecording(SECONDS);
    console.log(`replaying ${rec.events.length} events over ${SECONDS} s (moves every 8 ms)…`);
    const result = await new Replayer({ driver, recording: rec, window: win, log: silentLogger }).run();
    const l = result.lateness!;
    // The replayer's own measure (send time − deadline), not when the input reached the window (see the x11 tests' xev oracle).
    console.log(
      `replay send lateness: p50 ${l.p50.toFixed(3)} ms, p95 ${l.p95.toFixed(3)} ms, p99 ${l.p99.toFixed(3)} ms, max ${l.max.toFixed(3)} ms (n=${l.n}); ${goal('p99 ≤ 5 ms', l.p99 <= 5)}; seed plan ±50 ms`,
    );
    console.log(`replay: ${result.eventsSent} sent, aborted: ${result.aborted ?? 'no'}, took ${(result.durationMs / 1000).toFixed(2)} s for ${SECONDS} s of recording`);
    await driver.close();
  } finally {
    xev.stop();
    x.stop();
  }
}

main().catch((e: unknown) => {
  console.error(`bench:replay failed: ${(e as Error).message}`);
  process.exit(1);
});
