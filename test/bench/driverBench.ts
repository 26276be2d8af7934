import { performance } from 'node:perf_hooks';
import type { InputEvent } from '../../extension/shared/driverProtocol';
import { parseXev, sleep, startDriver, startProgram, startXvfb, waitUntil } from '../x11/xHarness';
import { goal, median, procUsage, summary } from './stats';

// npm run bench:driver — the X11 driver's figures, measured side by side in one run (Xvfb + xev).
// Capture latency: a second driver injects through XTest on its own connection (as a user's device
// would arrive); latency = capture callback time − moment the inject request was written.

async function main(): Promise<void> {
  const x = await startXvfb();
  const xev = startProgram(x.display, 'xev', ['-geometry', '600x400+40+40']);
  try {
    const starts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const d = await startDriver(x.display);
      starts.push(performance.now() - t0);
      await d.close();
    }
    console.log(`driver start → hello: median ${median(starts).toFixed(1)} ms (n=${starts.length}: ${starts.map((s) => s.toFixed(0)).join(', ')})`);

    const capture = await startDriver(x.display);
    const injector = await startDriver(x.display);
    const win = await capture.request('window/attach', { titlePattern: '^Event Tester$', timeoutMs: 10_000 });

    const idle0 = procUsage(capture.pid!);
    await sleep(5000);
    const idle1 = procUsage(capture.pid!);
    console.log(`driver idle: CPU ${(((idle1.cpuS - idle0.cpuS) / 5) * 100).toFixed(2)} % of a core, RSS ${idle1.rssMiB.toFixed(1)} MiB`);

    let resolveNext: ((e: InputEvent) => void) | undefined;
    capture.onEvent((e) => {
      if (e.event === 'input' && resolveNext) resolveNext(e.data);
    });
    await capture.request('input/captureStart', { handle: win.handle });
    const cap0 = procUsage(capture.pid!);
    await sleep(5000);
    const cap1 = procUsage(capture.pid!);
    console.log(`driver capturing, no input: CPU ${(((cap1.cpuS - cap0.cpuS) / 5) * 100).toFixed(2)} % of a core, RSS ${cap1.rssMiB.toFixed(1)} MiB`);

    const latencies: number[] = [];
    for (let i = 0; i < 300; i++) {
      const got = new Promise<InputEvent>((r) => (resolveNext = r));
      const t0 = Number(process.hrtime.bigint()) / 1e6;
      await injector.request('input/inject', { handle: win.handle, coordinates: 'client', events: [{ kind: 'move', x: 100 + (i % 200), y: 100 + (i % 100) }] });
      const event = await got;
      latencies.push(event.t_mono_ms - t0);
      await sleep(5);
    }
    resolveNext = undefined;
    await capture.request('input/captureStop', {});
    console.log(`capture latency (inject request → capture callback): ${summary(latencies, 'ms')}`);

    // Injection accuracy against xev's own log of where each click landed.
    const before = parseXev(xev.output()).filter((e) => e.type === 'ButtonPress').length;
    const points: [number, number][] = [];
    for (let i = 0; i < 50; i++) points.push([70 + ((i * 37) % 520), 70 + ((i * 53) % 320)]);
    for (const [px, py] of points) {
      await injector.request('input/inject', {
        handle: win.handle,
        coordinates: 'client',
        events: [
          { kind: 'down', button: 'left', x: px, y: py },
          { kind: 'up', button: 'left', x: px, y: py },
        ],
      });
    }
    const landed = await waitUntil('xev to log 50 clicks', () => {
      const p = parseXev(xev.output())
        .filter((e) => e.type === 'ButtonPress')
        .slice(before);
      return p.length >= points.length ? p : undefined;
    });
    const errors = points.map(([px, py], i) => {
      const e = landed[i] as { x: number; y: number };
      return Math.hypot(e.x - px, e.y - py);
    });
    console.log(
      `injection position error over ${points.length} clicks: max ${Math.max(...errors)} px, mean ${(errors.reduce((a, b) => a + b, 0) / errors.length).toFixed(2)} px; ${goal('0 px', Math.max(...errors) === 0)}`,
    );
    console.log('hook callback time: Win32 only (see the wine lane bench)');
    await injector.close();
    await capture.close();
  } finally {
    xev.stop();
    x.stop();
  }
}

main().catch((e: unknown) => {
  console.error(`bench:driver failed: ${(e as Error).message}`);
  process.exit(1);
});
