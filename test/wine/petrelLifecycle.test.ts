import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { reopenAloneUnbuffered } from '../../extension/core/cache/releaseFile';
import { listProcesses, waitImageGone } from '../../extension/core/campaign/targetGone';
import { closeTarget, launchTarget } from '../../extension/core/campaign/targetProcess';
import type { Logger } from '../../extension/core/ports/logger';
import { parseMarkersTsv } from '../../extension/core/runs/markersFile';
import { lane } from './lane';
import { laneCampaignUnavailable, runLaneCampaign } from './laneCampaign';

// Petrel's life cycle through the Win32 path, as a campaign drives it: target.exe --petrel-splash-ms shows a splash,
// --petrel-licence a licence window that wants Enter, --petrel-save-prompt answers WM_CLOSE with a "Save changes?"
// window. The campaign (runCampaign, this process) must wait the splash out, dismiss the licence with its key,
// attach only to the main window, run the workflow, then close with the close keys, answer the prompt "n" and
// record which step ended the target — checked against the target's own log. Also: the pre-purge proofs that work
// without elevation (the data file opened alone and unbuffered; no process of the target image left).

const skip = laneCampaignUnavailable();

const lines = (file: string) =>
  (existsSync(file) ? readFileSync(file, 'utf8') : '')
    .split(/\r?\n/)
    .filter(Boolean)
    .map((l) => l.split(' ')[1]!);

describe('Petrel life cycle through the Win32 path under Wine: splash, licence, save prompt', { skip }, () => {
  const dir = path.join(lane.work, `petrel-${process.pid}`);
  const problems: string[] = [];
  const log: Logger = { debug() {}, info() {}, warn: (m) => problems.push(`warn: ${m}`), error: (m) => problems.push(`error: ${m}`) };
  before(() => mkdirSync(dir, { recursive: true }));

  test(
    'a campaign run waits out the splash, dismisses the licence with Enter, and closes without saving: close keys, then "n" into the prompt',
    { timeout: 180_000 },
    async (tc) => {
      const logPath = path.join(dir, 'target.log');
      const title = `FB Petrel ${process.pid}`;
      const config = {
        version: 1,
        target: {
          executable: lane.target,
          arguments: [logPath, '--title', title, '--x', '150', '--y', '120', '--w', '400', '--h', '300', '--petrel-splash-ms', '800', '--petrel-licence', '--petrel-save-prompt'],
          // The splash and the licence windows belong to the same process and their titles start like the main
          // window's: only the interstitial rules keep them from being attached.
          window: { processImage: 'target.exe', titlePattern: `^${title}` },
          interstitials: [
            { name: 'splash', titlePattern: ' - Splash$', action: 'wait' },
            { name: 'licence', titlePattern: ' - Licence$', action: 'key', key: 'Enter' },
          ],
          interstitialTimeoutS: 30,
          attachTimeoutS: 60,
          stableMs: 300,
          renderProbe: { regions: [{ name: 'block', x: 4, y: 4, width: 56, height: 44 }], settleMs: 50, openTimeoutS: 20 },
          close: { keys: ['Alt+F4'], savePrompt: { titlePattern: '^Save changes\\? - ', key: 'n' }, timeoutS: 15 },
        },
        modes: { A_shared: { dataPath: lane.target } },
        campaign: { modes: ['A_shared'], cachePolicies: ['Warm'], workflows: ['W_paint'], repeats: 1, warm: 'preread' },
        workflows: { W_paint: { steps: [{ marker: 'paint_start' }, { key: 'r', render: true, label: 'paint' }, { marker: 'paint_end' }], stepTimeoutS: 10 } },
        runsFolder: 'runs',
      };
      const outcome = await runLaneCampaign(path.join(dir, 'fastbench.json'), config, path.join(dir, 'runs'), log);
      const run = outcome.results[0]!;
      const seen = lines(logPath);
      assert.equal(run.status, 'complete', `the run completed (${run.reason ?? ''}); target log: ${seen.join(' ')}; ${problems.slice(-3).join(' | ')}`);
      const manifest = JSON.parse(readFileSync(path.join(run.folder, 'run.json'), 'utf8')) as {
        window: { title: string; pid: number };
        interstitials: { name: string; title: string; pressed?: string; goneMs?: number }[];
        close: string;
        close_ended_by: string;
      };
      assert.equal(manifest.window.title, title, 'attached to the main window, not the splash or the licence');
      assert.deepEqual(
        manifest.interstitials.map((i) => [i.name, i.title, i.pressed ?? null, typeof i.goneMs]),
        [
          ['splash', `${title} - Splash`, null, 'number'],
          ['licence', `${title} - Licence`, 'Enter', 'number'],
        ],
        'run.json records each interstitial, the key pressed and when it went',
      );
      // The target's own log is the oracle of the order: splash, licence accepted, main window, the work, the prompt
      // answered "no", exit — and no cancelled prompt (a WM_CLOSE would have been Cancel).
      const order = ['splash_shown', 'splash_gone', 'licence_shown', 'licence_accepted', 'ready', 'painted', 'save_prompt_shown', 'save_prompt_answered', 'exit'];
      let at = -1;
      for (const kind of order) {
        const i = seen.indexOf(kind, at + 1);
        assert.ok(i > at, `target log has ${kind} after ${order[order.indexOf(kind) - 1] ?? 'start'}: ${seen.join(' ')}`);
        at = i;
      }
      assert.ok(!seen.includes('save_prompt_cancelled'), 'the prompt was answered, not cancelled');
      assert.match(manifest.close, /^closed by its close keys, after answering "Save changes\? - FB Petrel \d+" with n$/);
      assert.equal(manifest.close_ended_by, 'save-prompt');
      const markers = parseMarkersTsv('markers.tsv', readFileSync(path.join(run.folder, 'markers.tsv'), 'utf8')).map((m) => m.name);
      assert.deepEqual(markers, ['open_start', 'first_pixel', 'paint_start', 'paint', 'paint_end', 'session_end']);
      tc.diagnostic(`interstitials: ${JSON.stringify(manifest.interstitials)}; close: ${manifest.close}`);
    },
  );

  test('batch mode (/runWorkflow … /exit): a run is timed by the process exit with the configured markers; a non-zero exit fails it', { timeout: 180_000 }, async () => {
    const logPath = path.join(dir, 'batch.log');
    const config = {
      version: 1,
      target: {
        executable: lane.target,
        arguments: ['never used in batch mode'],
        // target.exe stands in for Petrel's batch mode: it opens, "works" for the time given and exits 0; with a
        // "log file" it cannot open (a folder) it exits 2, as a failing workflow would.
        batch: { arguments: ['{project}', '--title', 'FB Batch {workflow}', '--exit-after-ms', '700'], timeoutS: 60 },
        project: logPath,
        window: { processImage: 'target.exe' },
      },
      modes: { A_shared: { dataPath: lane.target }, B_fast: { dataPath: lane.target, cacheFolder: dir, project: dir } },
      campaign: {
        modes: ['A_shared', 'B_fast'],
        cachePolicies: ['Warm'],
        workflows: [{ batch: 'Attribute RMS', name: 'W_attribute', markers: ['attr_start', 'attr_end'] }],
        repeats: 1,
        warm: 'preread',
      },
      runsFolder: 'runs-batch',
    };
    writeFileSync(logPath, '');
    const outcome = await runLaneCampaign(path.join(dir, 'fastbench-batch.json'), config, path.join(dir, 'runs-batch'), log);
    const byMode = new Map(outcome.results.map((r) => [JSON.parse(readFileSync(path.join(r.folder, 'run.json'), 'utf8')).mode as string, r]));
    const ok = byMode.get('A_shared')!;
    assert.equal(ok.status, 'complete', ok.reason);
    const markers = parseMarkersTsv('markers.tsv', readFileSync(path.join(ok.folder, 'markers.tsv'), 'utf8'));
    assert.deepEqual(
      markers.map((m) => m.name),
      ['open_start', 'attr_start', 'attr_end', 'session_end'],
    );
    const took = markers[2]!.t_run_ms - markers[1]!.t_run_ms;
    assert.ok(took >= 650 && took < 20_000, `timed by the exit: ${took} ms for a 700 ms batch`);
    assert.ok(lines(logPath).includes('exit'), 'the target ran its course and exited by itself');
    const manifest = JSON.parse(readFileSync(path.join(ok.folder, 'run.json'), 'utf8')) as { batch: { workflow: string; exit: string } };
    assert.deepEqual(manifest.batch, { workflow: 'Attribute RMS', exit: 'exit code 0' });
    const bad = byMode.get('B_fast')!;
    assert.equal(bad.status, 'failed');
    assert.match(bad.reason ?? '', /^batch workflow Attribute RMS ended with exit code 2/);
  });

  test('before a purge: a data file held open is reported as held (sharing violation); once closed it opens alone and unbuffered', () => {
    const data = path.join(dir, 'volume.zgy');
    writeFileSync(data, Buffer.alloc(1 << 20, 7));
    const held = openSync(data, 'r');
    try {
      const busy = reopenAloneUnbuffered(data);
      assert.equal(busy.inUse, true, busy.detail);
      assert.equal(busy.ok, false);
    } finally {
      closeSync(held);
    }
    const free = reopenAloneUnbuffered(data);
    assert.equal(free.ok, true, free.detail);
  });

  test('before a purge: a running target image is named with its pid (bounded wait), and seen gone once it has exited', { timeout: 90_000 }, async (tc) => {
    const rows = await listProcesses();
    tc.diagnostic(`process list: ${rows.length} processes, e.g. ${JSON.stringify(rows.slice(0, 3))}`);
    assert.ok(
      rows.some((r) => r.pid === process.pid && /node/i.test(r.image)),
      `the list holds this node.exe (pid ${process.pid}) among ${rows.length} processes`,
    );
    const t = await launchTarget(lane.target, [path.join(dir, 'gone.log'), '--title', `FB Gone ${process.pid}`], process.env);
    try {
      await assert.rejects(waitImageGone('target.exe', { timeoutMs: 500, pollMs: 100 }), new RegExp(`^Error: target\\.exe is still running \\(pid [\\d, ]*\\b${t.pid}\\b`));
    } finally {
      tc.diagnostic(`closed: ${await closeTarget(t, { timeoutMs: 10_000 })}`);
    }
    assert.match(await waitImageGone('target.exe', { timeoutMs: 20_000 }), /^no target\.exe process running/);
  });
});
