import { existsSync } from 'node:fs';
import path from 'node:path';
import { applyCachePolicy, type PolicyReport } from '../../core/cache/cachePolicy';
import { DriverClient } from '../../core/driver/driverClient';
import { MetricsAgentClient } from '../../core/metrics/agentClient';
import { systemClock } from '../../core/ports/clock';
import { MarkerWriter } from '../../core/runs/markerWriter';
import { RunFolder } from '../../core/runs/runFolderWriter';
import { scrubInlines } from '../../core/workflows/scrub';
import { waitForColour } from '../../core/workflows/renderWait';
import { CACHE_POLICIES, MODES, type CachePolicy, type Mode } from '../../shared/names';
import { STATUS_PATCH, statusRgb } from '../../shared/standinStatus';
import { FastcacheClient } from '../../standin/fastcache/fastcacheClient';
import { standinHome, standinPaths, type StandinPaths } from '../../standin/volume/standinPaths';
import { cliLogger } from '../cliLogger';
import { EXIT, JSON_OPTION, type CliIo, type Command } from '../command';
import { ensureDisplay, launchViewer, startServices, VIEWER_TITLE, writeProject } from '../standin/standinSession';
import { fastcacheService } from './cacheCommands';

type RunRow = {
  run: string;
  mode: Mode;
  policy: CachePolicy;
  repeat: number;
  status: string;
  open_s: number | null;
  scrub_s: number | null;
  inline_p50_ms: number | null;
  inline_p95_ms: number | null;
};

const pct = (v: number[], p: number) => {
  const s = [...v].sort((a, b) => a - b);
  const r = (p / 100) * (s.length - 1);
  return s[Math.floor(r)]! + (s[Math.ceil(r)]! - s[Math.floor(r)]!) * (r - Math.floor(r));
};
const median = (v: number[]) => (v.length ? pct(v, 50) : NaN);

function listOption<T extends string>(raw: unknown, allowed: readonly T[], name: string): T[] {
  if (raw === undefined) return [...allowed];
  const items = String(raw).split(',').map((s) => s.trim());
  for (const i of items) if (!(allowed as readonly string[]).includes(i)) throw new Error(`--${name}: expected a comma list of ${allowed.join(', ')}, found ${JSON.stringify(i)}`);
  return items as T[];
}

/** Cold before a run: the volume leaves the page cache (A); the cache folder is rotated and the "cloud" evicted (B). */
async function applyCold(mode: Mode, paths: StandinPaths): Promise<PolicyReport> {
  if (mode === 'A_shared') return applyCachePolicy({ policy: 'Cold', mode, dataFiles: [paths.volume] });
  const client = await FastcacheClient.connect(paths.endpoint, 2000);
  try {
    return await applyCachePolicy({
      policy: 'Cold',
      mode,
      dataFiles: [],
      cacheFolder: paths.cacheFolder,
      keepRotated: 2,
      extraPaths: [paths.azuriteFolder],
      service: fastcacheService(client),
    });
  } finally {
    client.close();
  }
}

async function oneRun(o: {
  io: CliIo;
  driver: DriverClient;
  paths: StandinPaths;
  display: string | undefined;
  runsRoot: string;
  campaignId: string;
  mode: Mode;
  policy: CachePolicy;
  repeat: number;
  inlines: number;
}): Promise<RunRow> {
  const { io, driver, paths, mode, policy } = o;
  const rf = new RunFolder(o.runsRoot, { campaignId: o.campaignId, mode, cachePolicy: policy, workflow: 'W_scrub100', repeat: o.repeat, app: { executable: 'standin-viewer' } });
  const row: RunRow = { run: path.basename(rf.folder), mode, policy, repeat: o.repeat, status: 'failed', open_s: null, scrub_s: null, inline_p50_ms: null, inline_p95_ms: null };
  let viewer: ReturnType<typeof launchViewer> | undefined;
  let agent: MetricsAgentClient | undefined;
  try {
    if (policy === 'Cold') {
      const report = await applyCold(mode, paths);
      rf.note({ cache_policy_report: report });
      if (!report.ok) throw new Error(`the Cold policy failed: ${report.steps.filter((s) => !s.ok).map((s) => s.detail).join('; ')}`);
    }
    const runStart = systemClock.mono();
    const markers = new MarkerWriter(rf.file('markers.tsv'), runStart);
    const project = writeProject(paths, mode, { readLog: rf.file('reads.tsv'), stepLog: rf.file('steps.tsv') });
    markers.mark('open_start', mode, runStart);
    viewer = launchViewer(project, o.display, io.env);
    let viewerErr = '';
    viewer.stderr!.on('data', (d: Buffer) => (viewerErr += d.toString()));
    agent = await MetricsAgentClient.start({
      outDir: rf.folder,
      targetPid: viewer.pid!,
      pathRules: [
        { class: 'NAS', prefix: paths.nasFolder + path.sep },
        { class: 'FAST_cache', prefix: paths.cacheFolder + path.sep },
      ],
    });
    const win = await driver.request('window/attach', { titlePattern: VIEWER_TITLE, timeoutMs: 60_000 }).catch((e: Error) => {
      throw new Error(`${e.message}${viewerErr ? `; the viewer said: ${viewerErr.trim()}` : ''}`);
    });
    const fg = await driver.request('window/foreground', { handle: win.handle });
    if (!fg.ok) throw new Error(`cannot bring the viewer to the front: ${fg.reason}`);
    const first = await waitForColour(driver, win.handle, STATUS_PATCH, statusRgb('open', 1), { timeoutMs: 120_000, signal: io.signal });
    markers.mark('first_pixel', '', first);
    row.open_s = (first - runStart) / 1000;
    const scrub = await scrubInlines({
      driver,
      handle: win.handle,
      count: o.inlines,
      markers,
      signal: io.signal,
      rendered: (n) => waitForColour(driver, win.handle, STATUS_PATCH, statusRgb('inline', n), { timeoutMs: 120_000, signal: io.signal }),
    });
    row.scrub_s = scrub.totalMs / 1000;
    row.inline_p50_ms = pct(scrub.perInlineMs, 50);
    row.inline_p95_ms = pct(scrub.perInlineMs, 95);
    markers.mark('session_end');
    row.status = 'complete';
    rf.finish('complete');
  } catch (e) {
    row.status = io.signal.aborted ? 'aborted' : 'failed';
    rf.finish(io.signal.aborted ? 'aborted' : 'failed', (e as Error).message);
    io.err(`${row.run}: ${row.status}: ${(e as Error).message}`);
  } finally {
    await agent?.stop().catch(() => undefined);
    if (viewer && viewer.exitCode === null) {
      const exited = new Promise((r) => viewer!.once('exit', r));
      viewer.kill('SIGTERM');
      const killer = setTimeout(() => viewer!.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    }
  }
  return row;
}

export const standinDemo: Command = {
  words: ['standin', 'demo'],
  summary: 'Run W_scrub100 on the stand-in for A_shared and B_fast, Cold and Warm, one run folder each',
  usage: 'fastbench standin demo [--inlines N] [--repeats N] [--modes A_shared,B_fast] [--policies Cold,Warm] [--xvfb] [--runs DIR] [--json]',
  details: `Needs the demo data ("fastbench standin data"). Runs interleave modes so drift hits both. Each run:
Cold policy if asked (page cache eviction; cache folder rotation and a cold "cloud" for B_fast), launch the
viewer, metrics agent at 1 Hz, attach, first_pixel, then N PageDowns each timed to its rendered status patch.
Run folders (run.json, markers.tsv, metrics.csv, open_files.tsv, reads.tsv) go to --runs (default
<stand-in home>/runs). Without DISPLAY, or with --xvfb, the viewer runs on a private Xvfb.`,
  options: {
    ...JSON_OPTION,
    inlines: { type: 'string' },
    repeats: { type: 'string' },
    modes: { type: 'string' },
    policies: { type: 'string' },
    xvfb: { type: 'boolean' },
    runs: { type: 'string' },
  },
  positionals: { min: 0, max: 0 },
  run: async (args, io) => {
    const paths = standinPaths(standinHome(io.env));
    let modes: Mode[];
    let policies: CachePolicy[];
    const inlines = args.values.inlines === undefined ? 100 : Number(args.values.inlines);
    const repeats = args.values.repeats === undefined ? 1 : Number(args.values.repeats);
    try {
      modes = listOption(args.values.modes, MODES, 'modes');
      policies = listOption(args.values.policies, CACHE_POLICIES, 'policies');
      if (!Number.isInteger(inlines) || inlines < 1 || inlines > 10_000) throw new Error(`--inlines: expected 1 to 10000, found ${JSON.stringify(args.values.inlines)}`);
      if (!Number.isInteger(repeats) || repeats < 1 || repeats > 100) throw new Error(`--repeats: expected 1 to 100, found ${JSON.stringify(args.values.repeats)}`);
    } catch (e) {
      io.err(`fastbench standin demo: ${(e as Error).message}`);
      return EXIT.badInput;
    }
    if (!existsSync(paths.volume)) {
      io.err(`fastbench standin demo: no demo volume at ${paths.volume}; run "fastbench standin data" first`);
      return EXIT.badInput;
    }
    const runsRoot = path.resolve(io.cwd, (args.values.runs as string | undefined) ?? path.join(paths.home, 'runs'));
    const campaignId = `demo-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`;
    const rows: RunRow[] = [];
    // Each resource is released once it exists, whatever fails after it.
    const display = await ensureDisplay(io, Boolean(args.values.xvfb));
    try {
      const services = modes.includes('B_fast') ? await startServices('B_fast', paths, io) : undefined;
      try {
        const driver = await DriverClient.start({ env: { ...io.env, ...(display.display ? { DISPLAY: display.display } : {}) }, log: cliLogger(io) });
        try {
          const plan: [number, CachePolicy, Mode][] = [];
          for (let r = 1; r <= repeats; r++) for (const p of policies) for (const m of modes) plan.push([r, p, m]);
          for (const [n, [repeat, policy, mode]] of plan.entries()) {
            if (io.signal.aborted) break;
            io.err(`run ${n + 1}/${plan.length}: ${mode} ${policy} W_scrub100 #${repeat}`);
            const row = await oneRun({ io, driver, paths, display: display.display, runsRoot, campaignId, mode, policy, repeat, inlines });
            rows.push(row);
            if (row.status === 'complete') io.err(`  open ${row.open_s!.toFixed(2)} s, scrub ${row.scrub_s!.toFixed(2)} s (inline p50 ${row.inline_p50_ms!.toFixed(1)} ms, p95 ${row.inline_p95_ms!.toFixed(1)} ms)`);
          }
        } finally {
          await driver.close();
        }
      } finally {
        await services?.stop();
      }
    } finally {
      display.stop();
    }
    const scrubOf = (m: Mode, p: CachePolicy) => median(rows.filter((r) => r.mode === m && r.policy === p && r.scrub_s !== null).map((r) => r.scrub_s!));
    const ratios = {
      'B_fast/A_shared Cold scrub': scrubOf('B_fast', 'Cold') / scrubOf('A_shared', 'Cold'),
      'B_fast/A_shared Warm scrub': scrubOf('B_fast', 'Warm') / scrubOf('A_shared', 'Warm'),
      'A_shared Cold/Warm scrub': scrubOf('A_shared', 'Cold') / scrubOf('A_shared', 'Warm'),
      'B_fast Cold/Warm scrub': scrubOf('B_fast', 'Cold') / scrubOf('B_fast', 'Warm'),
    };
    const campaignFolder = path.join(runsRoot, campaignId);
    if (args.values.json) {
      io.out(JSON.stringify({ campaign: campaignFolder, runs: rows, ratios }, null, 2));
    } else {
      io.out(`campaign ${campaignFolder}`);
      io.out('mode      policy  #  status    open_s  scrub_s  inline_p50_ms  inline_p95_ms');
      const f = (v: number | null, w: number, d = 2) => (v === null ? '–' : v.toFixed(d)).padStart(w);
      for (const r of rows) {
        io.out(`${r.mode.padEnd(9)} ${r.policy.padEnd(6)} ${String(r.repeat).padStart(2)}  ${r.status.padEnd(8)} ${f(r.open_s, 7)} ${f(r.scrub_s, 8)} ${f(r.inline_p50_ms, 14, 1)} ${f(r.inline_p95_ms, 14, 1)}`);
      }
      for (const [k, v] of Object.entries(ratios)) if (Number.isFinite(v)) io.out(`${k}: ${v.toFixed(2)}`);
    }
    return rows.every((r) => r.status === 'complete') ? EXIT.ok : io.signal.aborted ? EXIT.interrupted : EXIT.failed;
  },
};
