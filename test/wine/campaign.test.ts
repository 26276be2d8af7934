import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CampaignOutcome, CampaignProgress } from '../../extension/core/campaign/campaign';
import { closeTarget, launchTarget } from '../../extension/core/campaign/targetProcess';
import type { Logger } from '../../extension/core/ports/logger';
import { parseMarkersTsv } from '../../extension/core/runs/markersFile';
import type { MarkerRow } from '../../extension/shared/markers';
import { runManifestSchema, type RunManifest } from '../../extension/shared/runManifest';
import { isWine, lane, type TargetLine } from './lane';
import { laneCampaignUnavailable, runLaneCampaign } from './laneCampaign';

// The campaign engine (runCampaign, in this process) through the Win32 path, as it will drive Petrel: launch
// target.exe (the mingw oracle) from a fastbench.json, metrics agent, attach to the launched process's window,
// first picture, a workflow whose steps wait for the R key's repaint through the driver's waitForChange, then
// close (taskkill -> WM_CLOSE, or a kill after the timeout). The target's own paint log, stamped with
// QueryPerformanceCounter (this process's hrtime under the same Wine), is the oracle for each step's time.

const skip = laneCampaignUnavailable();
const mono = () => Number(process.hrtime.bigint()) / 1e6;
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The R key repaints the 40x30 block at client (10,10) (target.c); the probe region holds it and some background. */
const probe = { name: 'block', x: 4, y: 4, width: 56, height: 44 };
const W_paint = {
  steps: [{ marker: 'paint_start' }, { repeat: 3, steps: [{ key: 'r', render: true, label: 'paint' }] }, { marker: 'paint_end' }],
  stepTimeoutS: 10,
};

type Manifest = RunManifest & { close?: string; close_ms?: number; target?: { pid: number }; window?: { pid: number }; warm?: { method: string } };

/**
 * A target log's lines, one session per "ready" line (every run's target appends to the same log). The few lines a
 * target writes before its "ready" (its first paint, focus) land at the end of the session before: harmless here.
 */
function sessions(logPath: string): TargetLine[][] {
  const out: TargetLine[][] = [];
  const text = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
  for (const line of text.split(/\r?\n/).filter(Boolean)) {
    const [t, kind, ...rest] = line.split(' ');
    const l: TargetLine = { t: Number(t), kind: kind!, f: Object.fromEntries(rest.map((kv) => kv.split('=') as [string, string])) };
    if (kind === 'ready' || !out.length) out.push([]);
    out.at(-1)!.push(l);
  }
  return out.filter((s) => s.some((l) => l.kind === 'ready'));
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

describe('the campaign engine through the Win32 path: launch -> attach -> workflow with render waits -> close, under Wine', { skip }, () => {
  const dir = path.join(lane.work, `campaign-${process.pid}`);
  const problems: string[] = [];
  const log: Logger = { debug() {}, info() {}, warn: (m) => problems.push(`warn: ${m}`), error: (m) => problems.push(`error: ${m}`) };
  let n = 0;

  before(() => mkdirSync(dir, { recursive: true }));
  after(() => {
    const protocol = problems.filter((p) => /unexpected message|not JSON|driver (exited|killed)|restart/.test(p));
    assert.deepEqual(protocol, [], 'every driver and agent line matched its protocol, and the driver never died');
  });

  /** Writes a fastbench.json for target.exe and runs its campaign in this process; returns the outcome and the target's log. */
  async function campaign(edit: (c: Record<string, any>) => void): Promise<{ outcome: CampaignOutcome; logPath: string; progress: CampaignProgress[] }> {
    const name = `campaign-${++n}`;
    const logPath = path.join(dir, `${name}-target.log`);
    const title = `FB Campaign ${process.pid}-${n}`;
    const config: Record<string, any> = {
      version: 1,
      target: {
        executable: lane.target,
        arguments: [logPath, '--title', title, '--x', '150', '--y', '120', '--w', '400', '--h', '300'],
        window: { titlePattern: `^${escapeRe(title)}$` },
        attachTimeoutS: 20,
        stableMs: 300,
        renderProbe: { regions: [probe], settleMs: 50, openTimeoutS: 20 },
        close: { timeoutS: 10 },
      },
      // Any existing file will do as the "data": the Warm policy pre-reads it (Cold would run PowerShell).
      modes: { A_shared: { dataPath: lane.target } },
      campaign: { modes: ['A_shared'], cachePolicies: ['Warm'], workflows: ['W_paint'], repeats: 2, warm: 'preread' },
      workflows: { W_paint },
      runsFolder: 'runs',
    };
    edit(config);
    const progress: CampaignProgress[] = [];
    const outcome = await runLaneCampaign(path.join(dir, `${name}.json`), config, path.join(dir, 'runs'), log, (p) => progress.push(p));
    return { outcome, logPath, progress };
  }

  const readRun = (folder: string): { manifest: Manifest; markers: MarkerRow[] } => {
    const parsed = runManifestSchema.safeParse(JSON.parse(readFileSync(path.join(folder, 'run.json'), 'utf8')));
    assert.ok(parsed.success, `${folder}/run.json is a valid run manifest: ${parsed.success ? '' : parsed.error.message}`);
    const markers = parseMarkersTsv(path.join(folder, 'markers.tsv'), readFileSync(path.join(folder, 'markers.tsv'), 'utf8'));
    return { manifest: parsed.data as Manifest, markers };
  };

  /** How the target ended, checked against its own log: "exit" is logged on WM_DESTROY, which a kill never reaches. */
  function assertClosed(manifest: Manifest, session: TargetLine[], what: string): string {
    const close = manifest.close ?? '';
    const pid = manifest.target?.pid;
    assert.ok(pid, `${what}: run.json names the launched target's pid`);
    const politely = /^closed on request|^closed by its close keys/.test(close);
    const killed = /^killed after/.test(close);
    assert.ok(politely || killed, `${what}: the target was closed politely or killed; run.json close = ${JSON.stringify(close)}`);
    assert.equal(
      session.some((l) => l.kind === 'exit'),
      politely,
      `${what}: the target ${politely ? 'closed politely, so its log must end with "exit"' : 'was killed, so its log has no "exit"'} (run.json close = ${JSON.stringify(close)})`,
    );
    assert.ok(!pidAlive(pid), `${what}: process ${pid} has exited after the run (${politely ? 'closed politely' : 'killed'}: ${close})`);
    return close;
  }

  test("two Warm runs of W_paint: both complete, markers in order, each paint step timed against the target's own paint log", { timeout: 180_000 }, async (tc) => {
    // hrtime (QueryPerformanceCounter) minus the wall clock, to put markers.tsv's t_unix_ms on the target's clock.
    // Taken before and after the campaign and interpolated, so a slewed wall clock cannot shift the markers.
    const sample = () => {
      const o = Array.from({ length: 5 }, () => ({ unix: Date.now(), offset: mono() - Date.now() })).sort((a, b) => a.offset - b.offset);
      return o[2]!;
    };
    const o0 = sample();
    const { outcome, logPath, progress } = await campaign(() => {});
    const o1 = sample();
    const offsetAt = (unix: number) => o0.offset + ((o1.offset - o0.offset) * (unix - o0.unix)) / Math.max(1, o1.unix - o0.unix);
    const summary = outcome.results.map((r) => `${r.status}${r.reason ? `: ${r.reason}` : ''}`).join('; ');
    assert.equal(outcome.interrupted, false);
    assert.deepEqual(
      outcome.results.map((r) => r.status),
      ['complete', 'complete'],
      `both runs complete (${summary}); log: ${problems.slice(-5).join(' | ')}`,
    );
    assert.ok(
      progress.some((p) => /run 2\/2: A_shared Warm W_paint #2/.test(p.message)),
      'a progress line per run',
    );
    const perSession = sessions(logPath);
    assert.equal(perSession.length, 2, "one target session per run in the target's log");

    outcome.results.forEach((run, i) => {
      const what = `run ${i + 1}`;
      const { manifest, markers } = readRun(run.folder);
      assert.equal(manifest.status, 'complete');
      assert.equal(manifest.cache_policy, 'Warm');
      assert.equal(manifest.warm?.method, 'preread', 'Warm by pre-reading the data file');
      assert.equal(manifest.campaign?.total, 2);
      // The run environment, collected once by the campaign, with the driver's view of the session it checked.
      assert.equal((manifest.environment as { session?: { state?: string } } | undefined)?.session?.state, 'active', `${what}: run.json environment`);
      assert.deepEqual(
        markers.map((m) => m.name),
        ['open_start', 'first_pixel', 'paint_start', 'paint', 'paint', 'paint', 'paint_end', 'session_end'],
        `${what}: markers in order`,
      );
      assert.ok(
        markers.every((m, k) => k === 0 || m.t_run_ms >= markers[k - 1]!.t_run_ms),
        `${what}: marker times never go back`,
      );
      const session = perSession[i]!;
      const ready = session.find((l) => l.kind === 'ready');
      assert.ok(ready, `${what}: the target logged ready`);
      assert.equal(manifest.window?.pid, Number(ready.f.pid), `${what}: attached to the launched target's window`);

      // Marker times on the target's clock: the run's start on the hrtime scale, from every marker's wall time.
      const starts = markers.map((m) => m.t_unix_ms + offsetAt(m.t_unix_ms) - m.t_run_ms).sort((a, b) => a - b);
      const runStart = starts[Math.floor(starts.length / 2)]!;
      const paints = markers.filter((m) => m.name === 'paint');
      const painted = (shade: number) => session.find((l) => l.kind === 'painted' && Number(l.f.shade) === shade);
      let previousSettled = -Infinity;
      const report: string[] = [];
      paints.forEach((m, k) => {
        const match = /^#(\d+) ([\d.]+) ms$/.exec(m.detail);
        assert.ok(match, `${what}: paint marker detail "#n X ms": ${m.detail}`);
        assert.equal(Number(match[1]), k + 1);
        const settled = runStart + m.t_run_ms;
        const sent = settled - Number(match[2]);
        const paint = painted(k + 1);
        assert.ok(paint, `${what}: the target logged painting shade ${k + 1} (R #${k + 1})`);
        // Clock slack: t_unix_ms is whole ms, and so is the wall/hrtime offset: ±3 ms.
        assert.ok(paint.t > sent - 3, `${what} paint #${k + 1}: the target painted ${(paint.t - sent).toFixed(1)} ms after the key was sent, not before`);
        assert.ok(paint.t > previousSettled - 3, `${what} paint #${k + 1}: painted after the previous step settled`);
        // The settled grab shows the new block: not long before the target logged the paint (it logs after
        // EndPaint and GdiFlush, so under load its pixels may be grabbed some ms before the stamp; -4.5 ms seen),
        // and soon after it.
        const lag = settled - paint.t;
        assert.ok(lag > -50 && lag < 300, `${what} paint #${k + 1}: settled ${lag.toFixed(1)} ms after the target's paint`);
        report.push(`#${k + 1} step ${match[2]} ms, key->paint ${(paint.t - sent).toFixed(1)} ms, paint->settled ${lag.toFixed(1)} ms`);
        previousSettled = settled;
      });
      assert.equal(markers.find((m) => m.name === 'paint_end')!.t_run_ms, paints.at(-1)!.t_run_ms, `${what}: paint_end is the last paint's settled time`);
      // The detail's step time has one decimal: the first key's send time is known to ±0.05 ms.
      const firstSent = paints[0]!.t_run_ms - Number(/ ([\d.]+) ms$/.exec(paints[0]!.detail)![1]);
      const paintStart = markers.find((m) => m.name === 'paint_start')!.t_run_ms;
      assert.ok(Math.abs(paintStart - firstSent) < 0.1, `${what}: paint_start (${paintStart} ms) is the first key's send time (${firstSent.toFixed(3)} ms)`);

      const close = assertClosed(manifest, session, what);
      // Metrics: the agent ran for the run (Wine's pdh.dll has few counters: the rest are empty cells, never a failed run).
      const rows = readFileSync(path.join(run.folder, 'metrics.csv'), 'utf8').trim().split(/\r?\n/);
      assert.ok(rows.length >= 2, `${what}: metrics.csv has a header and rows (${rows.length - 1})`);
      const agent = JSON.parse(readFileSync(path.join(run.folder, 'agent.json'), 'utf8')) as { state: string; rows: number; sampler: string; sources: Record<string, string> };
      assert.equal(agent.state, 'stopped', `${what}: the agent stopped cleanly`);
      // agent.json says where each column came from: a column whose source is "none" has only empty cells.
      const header = rows[0]!.split(',');
      for (const [c, col] of header.entries()) {
        if (col === 't_unix_ms' || !/^none/.test(agent.sources[col] ?? 'none')) continue;
        assert.ok(
          rows.slice(1).every((r) => r.split(',')[c] === ''),
          `${what}: ${col} has no source (${agent.sources[col] ?? 'not named'}), so its cells are empty`,
        );
      }
      tc.diagnostic(
        `${what}: ${report.join('; ')}; close: ${close} in ${manifest.close_ms} ms; agent ${agent.sampler}, ${agent.rows} rows, cpu_pct from ${agent.sources.cpu_pct ?? 'nothing'}`,
      );
    });
  });

  test('a step that never renders fails its run, naming the step; the next run of the campaign completes', { timeout: 180_000 }, async () => {
    const { outcome, logPath } = await campaign((c) => {
      // "a" reaches the target (it logs the key) but paints nothing.
      c.workflows.W_still = { steps: [{ marker: 'still_start' }, { key: 'a', render: true, label: 'nothing' }, { marker: 'still_end' }], stepTimeoutS: 1 };
      c.campaign = { ...c.campaign, workflows: ['W_still', 'W_paint'], repeats: 1 };
    });
    const byWorkflow = new Map(outcome.results.map((r) => [readRun(r.folder).manifest.workflow, r]));
    const still = byWorkflow.get('W_still');
    const paint = byWorkflow.get('W_paint');
    assert.ok(still && paint, `one run per workflow: ${outcome.results.map((r) => r.runId).join(', ')}`);
    assert.equal(still.status, 'failed');
    assert.match(still.reason ?? '', /^step steps\[1\] \(key a, nothing #1\): never changed: region 56x44\+4\+4 of window \S+ stayed as before the step for 1000 ms/);
    assert.equal(paint.status, 'complete', `the campaign went on: ${paint.reason ?? ''}`);
    const perSession = sessions(logPath);
    assert.equal(perSession.length, 2);
    outcome.results.forEach((r, i) => {
      const { manifest, markers } = readRun(r.folder);
      assert.equal(manifest.status, r.status);
      if (r.status === 'failed') {
        assert.equal(manifest.reason, r.reason);
        assert.deepEqual(
          markers.map((m) => m.name),
          ['open_start', 'first_pixel'],
          'the failed run stops at the step',
        );
        assert.ok(
          perSession[i]!.some((l) => l.kind === 'key_down' && Number(l.f.vk) === 0x41),
          'the key did reach the target',
        );
      }
      assertClosed(manifest, perSession[i]!, `${manifest.workflow} run`);
    });
  });

  test('a target that never shows a matching window fails each run after attachTimeoutS, and is closed', { timeout: 180_000 }, async () => {
    const { outcome, logPath } = await campaign((c) => {
      c.target.window = { titlePattern: '^No Such Window$' };
      c.target.attachTimeoutS = 2;
    });
    assert.deepEqual(
      outcome.results.map((r) => r.status),
      ['failed', 'failed'],
      'both repeats ran (the campaign went on) and failed',
    );
    const perSession = sessions(logPath);
    outcome.results.forEach((r, i) => {
      assert.match(
        r.reason ?? '',
        /^no window matching title \/\^No Such Window\$\/ from the launched process \(pid \d+\) stayed up for 300 ms within 2 s \(target\.attachTimeoutS\)$/,
      );
      const { manifest, markers } = readRun(r.folder);
      assert.equal(manifest.status, 'failed');
      assert.equal(manifest.reason, r.reason);
      assert.deepEqual(
        markers.map((m) => m.name),
        ['open_start'],
      );
      assert.ok(perSession[i], `the target of run ${i + 1} did start`);
      assertClosed(manifest, perSession[i]!, `run ${i + 1}`);
    });
  });

  // On real Windows target.exe acts on WM_CLOSE at once, so a 1 ms timeout would race the polite close.
  const killSkip = isWine ? false : 'relies on Wine acting on WM_CLOSE about 2 s late (a kill always wins the race)';
  test('closeTarget on Windows: a target that outlasts the close timeout is killed, and the result says by what', { timeout: 60_000, skip: killSkip }, async () => {
    // Wine's taskkill has no /T; its WM_CLOSE takes the target ~2 s to act on, so a 1 ms timeout means a kill.
    const logPath = path.join(dir, 'kill-target.log');
    const t = await launchTarget(lane.target, [logPath, '--title', `FB Kill ${process.pid}`], process.env);
    const deadline = Date.now() + 20_000;
    while (!sessions(logPath).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(sessions(logPath).length, 1, 'the target logged ready');
    const how = await closeTarget(t, { timeoutMs: 1 });
    assert.match(
      how,
      /^killed after 0 s \(taskkill \/PID \d+ \/T \/F; asked first with taskkill \/PID \d+ \/T\)$|^killed after 0 s \(taskkill \/PID \d+ \/F \(this taskkill refused \/T: the root process only\); asked first with taskkill \/PID \d+ \(this taskkill refused \/T: the root process only\)\)$/,
    );
    assert.ok(t.exitReason(), `the process has exited (${how})`);
    assert.ok(!pidAlive(t.pid), `process ${t.pid} is gone after: ${how}`);
    assert.ok(!sessions(logPath)[0]!.some((l) => l.kind === 'exit'), 'killed, so it never reached WM_DESTROY');
  });
});
