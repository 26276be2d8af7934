import path from 'node:path';
import { DriverClient } from '../../core/driver/driverClient';
import { Recorder, type RecorderStatus } from '../../core/recording/recorder';
import { loadRecording } from '../../core/recording/recordingFile';
import { Replayer } from '../../core/replay/replayer';
import { MarkerWriter } from '../../core/runs/markerWriter';
import { systemClock } from '../../core/ports/clock';
import { RECORDING_FILE_SUFFIX } from '../../shared/names';
import { cliLogger } from '../cliLogger';
import { EXIT, JSON_OPTION, type Command, type ParsedArgs } from '../command';

function windowMatch(args: ParsedArgs, fallback?: { processImage?: string | undefined; titlePattern?: string | undefined }) {
  const titlePattern = (args.values.title as string | undefined) ?? fallback?.titlePattern;
  const processImage = (args.values.process as string | undefined) ?? fallback?.processImage;
  return { titlePattern, processImage };
}

function seconds(args: ParsedArgs, name: string, fallback: number): number {
  const raw = args.values[name];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name}: expected a number of seconds ≥ 0, found ${JSON.stringify(raw)}`);
  return v;
}

const fmtMs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export const recordCommand: Command = {
  words: ['record'],
  summary: 'Record a mouse/keyboard session against a window into a .fbrec.json file',
  usage: 'fastbench record (--title REGEX | --process NAME) --out FILE.fbrec.json [--start] [--timeout S] [--no-checkpoints] [--json]',
  details: `Keys in the target window: F9 starts, then pauses/resumes; F6/F7/F8 drop markers (with a pixel
checkpoint of the view); F12 — or Ctrl-C here — stops and saves. --start begins at once without F9.
The file is rewritten atomically every second while recording, so a crash loses at most one second.`,
  options: {
    ...JSON_OPTION,
    title: { type: 'string' },
    process: { type: 'string' },
    out: { type: 'string' },
    start: { type: 'boolean' },
    timeout: { type: 'string' },
    'no-checkpoints': { type: 'boolean' },
  },
  positionals: { min: 0, max: 0 },
  run: async (args, io) => {
    const match = windowMatch(args);
    const out = args.values.out as string | undefined;
    if ((!match.titlePattern && !match.processImage) || !out) {
      io.err(`fastbench record: give --title and/or --process, and --out\nUsage: ${recordCommand.usage}`);
      return EXIT.badInput;
    }
    if (!out.endsWith(RECORDING_FILE_SUFFIX)) io.err(`warning: ${out} does not end in ${RECORDING_FILE_SUFFIX}; editors will not validate it`);
    const timeoutMs = seconds(args, 'timeout', 180) * 1000;
    const log = cliLogger(io);
    const driver = await DriverClient.start({ log });
    try {
      const window = await driver.request('window/attach', { ...match, timeoutMs });
      const recorder = new Recorder({
        driver,
        window,
        out: path.resolve(io.cwd, out),
        target: { ...(window.processImage ? { processImage: window.processImage } : {}), ...(match.titlePattern ? { titlePattern: match.titlePattern } : {}) },
        startImmediately: Boolean(args.values.start),
        checkpointRegion: args.values['no-checkpoints'] ? 'none' : undefined,
        log,
        onStatus: (s: RecorderStatus) => {
          if (!args.values.json && process.stderr.isTTY) process.stderr.write(`\r${s.state.padEnd(9)} ${fmtMs(s.elapsedMs)}  ${s.events} events   `);
        },
      });
      io.signal.addEventListener('abort', () => void recorder.stop(), { once: true });
      await recorder.start();
      if (!args.values.json) {
        io.err(`attached to "${window.title}" (window ${window.handle}, client ${window.clientRect.width}x${window.clientRect.height})`);
        io.err(args.values.start ? 'recording… F9 pauses, F6/F7/F8 mark, F12 or Ctrl-C stops' : 'press F9 in the window to start; F6/F7/F8 mark, F12 or Ctrl-C stops');
      }
      const recording = await recorder.stopped;
      const last = recording.events[recording.events.length - 1]?.t_ms ?? 0;
      const summary = {
        file: out,
        events: recording.events.length,
        markers: recording.events.filter((e) => e.type === 'marker').length,
        durationMs: last,
      };
      if (args.values.json) io.out(JSON.stringify(summary, null, 2));
      else io.out(`\nsaved ${out}: ${summary.events} events, ${summary.markers} markers, ${fmtMs(last)}`);
      return EXIT.ok;
    } finally {
      await driver.close();
    }
  },
};

export const replayCommand: Command = {
  words: ['replay'],
  summary: 'Replay a recording into its window with tight timing, checkpoints and a failsafe',
  usage:
    'fastbench replay FILE [--title REGEX | --process NAME] [--speed X] [--markers OUT.tsv] [--checkpoint-timeout S] [--on-checkpoint-miss fail|warn] [--timeout S] [--dry-run] [--json]',
  details: `The window defaults to the one named in the recording. Input is sent only while the window is in
front, unmoved and under the pointer; otherwise the replay pauses and aborts after 2 s. Esc, or the pointer
in the screen's top-left corner, aborts at once. Exit code 1 when the replay aborted.`,
  options: {
    ...JSON_OPTION,
    title: { type: 'string' },
    process: { type: 'string' },
    speed: { type: 'string' },
    markers: { type: 'string' },
    'checkpoint-timeout': { type: 'string' },
    'on-checkpoint-miss': { type: 'string' },
    timeout: { type: 'string' },
    'dry-run': { type: 'boolean' },
  },
  positionals: { min: 1, max: 1 },
  run: async (args, io) => {
    const file = args.positionals[0]!;
    const recording = await loadRecording(path.resolve(io.cwd, file));
    const speed = args.values.speed === undefined ? 1 : Number(args.values.speed);
    if (!(speed > 0 && speed <= 100)) {
      io.err(`fastbench replay: --speed: expected a number in (0, 100], found ${JSON.stringify(args.values.speed)}`);
      return EXIT.badInput;
    }
    const policy = (args.values['on-checkpoint-miss'] as string | undefined) ?? 'fail';
    if (policy !== 'fail' && policy !== 'warn') {
      io.err(`fastbench replay: --on-checkpoint-miss: expected fail or warn, found ${JSON.stringify(policy)}`);
      return EXIT.badInput;
    }
    const match = windowMatch(args, recording.target);
    if (!match.titlePattern && !match.processImage) {
      io.err(`fastbench replay: ${file} names no target window; give --title or --process`);
      return EXIT.badInput;
    }
    const log = cliLogger(io);
    const counts = recording.events.reduce<Record<string, number>>((acc, e) => ((acc[e.type] = (acc[e.type] ?? 0) + 1), acc), {});
    const driver = await DriverClient.start({ log });
    try {
      const window = await driver.request('window/attach', { ...match, timeoutMs: seconds(args, 'timeout', args.values['dry-run'] ? 0 : 180) * 1000 });
      if (args.values['dry-run']) {
        const plan = {
          file,
          window: { handle: window.handle, title: window.title, client: window.clientRect },
          recordedClient: recording.client,
          scale: { x: window.clientRect.width / recording.client.width, y: window.clientRect.height / recording.client.height },
          events: counts,
          durationMs: (recording.events[recording.events.length - 1]?.t_ms ?? 0) / speed,
        };
        if (args.values.json) io.out(JSON.stringify(plan, null, 2));
        else {
          io.out(`${file}: valid; would replay ${recording.events.length} events over ${fmtMs(plan.durationMs)} into "${window.title}"`);
          io.out(
            `  ${Object.entries(counts)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')}; scale ${plan.scale.x.toFixed(3)} x ${plan.scale.y.toFixed(3)}`,
          );
        }
        return EXIT.ok;
      }
      const markersFile = args.values.markers as string | undefined;
      const markers = markersFile ? new MarkerWriter(path.resolve(io.cwd, markersFile), systemClock.mono()) : undefined;
      const replayer = new Replayer({
        driver,
        recording,
        window,
        speed,
        ...(markers ? { markers } : {}),
        checkpointTimeoutMs: seconds(args, 'checkpoint-timeout', 10) * 1000,
        checkpointPolicy: policy,
        log,
        signal: io.signal,
      });
      const result = await replayer.run();
      if (args.values.json) io.out(JSON.stringify(result, null, 2));
      else {
        const l = result.lateness;
        io.out(
          `${result.aborted ? `aborted: ${result.aborted}` : 'replay complete'}: ${result.eventsSent} events sent, ${result.eventsSkipped} skipped (outside the window), ${fmtMs(result.durationMs)}`,
        );
        if (l) io.out(`  lateness p50 ${l.p50.toFixed(2)} ms, p95 ${l.p95.toFixed(2)} ms, p99 ${l.p99.toFixed(2)} ms, max ${l.max.toFixed(2)} ms`);
        io.out(`  checkpoints: ${result.checkpoints.met} met, ${result.checkpoints.missed} missed, ${result.checkpoints.skipped} skipped`);
      }
      return result.aborted ? (io.signal.aborted ? EXIT.interrupted : EXIT.failed) : EXIT.ok;
    } finally {
      await driver.close();
    }
  },
};
