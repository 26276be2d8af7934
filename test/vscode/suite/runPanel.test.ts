import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import { figure, test, waitFor } from './harness';
import { control, docsShot, fastbench, screenshot, sleep } from './ui';

// The run panel, checked by what it shows (headline cards, chart datasets and axis ticks read back by the view).

const fixture = (p: string) => path.join(vscode.extensions.getExtension('fastbench.fastbench')!.extensionPath, 'test', 'fixtures', p);

test('the run panel puts the headline figures first: open, workflow time, source, FAST hits/misses and latency', async () => {
  const api = await fastbench();
  const folder = fixture('runs-analysis/site-a/camp-1/cold-B-1');
  await vscode.commands.executeCommand('fastbench.openRun', folder);
  const shown = await waitFor('the run panel to render', () => api.runPanel.shown(folder), 30_000);
  const h = Object.fromEntries(shown.headline);
  assert.equal(h['open → first pixel'], '20.0 s');
  assert.equal(h['scrub-100'], '62.0 s');
  assert.equal(h['observed source'], 'FAST_cache ✓');
  assert.equal(h['FAST hits / misses'], '2 / 2', 'reads in the window: hit, hit, miss, miss (fast_log.tsv)');
  assert.match(h['FAST latency p50 / p95'] ?? '', /^2\.5 \/ /);
  const metrics = shown.charts.find((c) => c.id === 'run_timeline');
  assert.ok(metrics, 'a metrics timeline');
  assert.deepEqual(
    metrics.datasets.map((d) => d.label),
    ['system CPU %', 'process CPU % (of one core)', 'process read MB/s', 'RAM used GiB'],
    'no GPU series: metrics.csv has no GPU source for this run',
  );
  assert.equal(metrics.datasets.find((d) => d.label === 'RAM used GiB')?.hidden, true, 'RAM starts hidden (a toggle shows it)');
  const page = await waitFor('the open files by class', async () => {
    const frames = (await (await fetch(`${control()}/frames`)).json()) as { text: string }[];
    return frames.map((f) => f.text).find((t) => t.includes('Open files by class'));
  });
  assert.match(page, /FAST_cache · 1 file\s+C:\\FAST\\cache\\vol\.zgy/);
  const markers = shown.charts.find((c) => c.id === 'markers');
  assert.deepEqual(
    markers?.axes.find((a) => a.id === 'y')?.ticks,
    ['open_start', 'first_pixel', 'scrub_start', 'scrub_end', 'session_end'],
    'every marker row is named on the y axis',
  );
}, 40_000);

test('a one-hour run: step p50/p95 from the step markers, a decimated timeline, render timed', async () => {
  const api = await fastbench();
  const folder = oneHourRun();
  await vscode.commands.executeCommand('fastbench.openRun', folder);
  const shown = await waitFor('the one-hour run panel to render', () => api.runPanel.shown(folder), 30_000);
  console.log(`run panel, one-hour run (3,600 metrics rows, 1,000 step markers): rendered in ${shown.renderMs.toFixed(1)} ms (message to painted)`);
  const h = Object.fromEntries(shown.headline);
  // inline steps #1..#1000 took 1..1000 ms: p50 = 500.5, p95 = 950.05 (linear interpolation).
  assert.equal(h['inline step p50 / p95 (n 1000)'], '500.5 / 950.0 ms');
  const metrics = shown.charts.find((c) => c.id === 'run_timeline');
  assert.ok(metrics && metrics.datasets.every((d) => d.points <= 300), `decimated: ${JSON.stringify(metrics?.datasets)}`);
  assert.deepEqual(
    metrics.datasets.map((d) => `${d.label}${d.hidden ? ' (hidden)' : ''}`),
    ['system CPU %', 'process CPU % (of one core)', 'process read MB/s', 'GPU %', 'RAM used GiB (hidden)'],
  );
  const steps = shown.charts.find((c) => c.id === 'steps');
  assert.deepEqual(
    steps?.datasets.map((d) => [d.label, d.points]),
    [['inline (ms)', 400]],
    'step durations, decimated to 400 points',
  );
  assert.deepEqual(shown.charts.find((c) => c.id === 'markers')?.axes.find((a) => a.id === 'y')?.ticks, ['open_start', 'first_pixel', 'scrub_start', 'scrub_end', 'session_end']);
  figure('run panel, one-hour run, render', shown.renderMs, 300);
  await sleep(500);
  await screenshot(docsShot('run-panel.png'));
}, 60_000);

/** An hour of 1 Hz metrics and 1,000 timed inline steps (step i took i ms). */
function oneHourRun(): string {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'fb-hour-')), 'hour-B_fast-Warm');
  mkdirSync(dir, { recursive: true });
  const t0 = 1764500000000;
  writeFileSync(
    path.join(dir, 'run.json'),
    JSON.stringify({
      schema_version: 1,
      run_id: 'hour-B_fast-Warm',
      mode: 'B_fast',
      cache_policy: 'Warm',
      workflow: 'W_scrub100',
      repeat: 1,
      started_at: new Date(t0).toISOString(),
      ended_at: new Date(t0 + 3_602_000).toISOString(),
      status: 'complete',
      machine: { hostname: 'ws-bench', os: 'Windows 11', cores: 8, ram_gb: 32 },
      tool: { name: 'fastbench', version: '0.1.0' },
      warm: { method: 'pass', by_run: 'hour-B_fast-Warm-previous' },
    }),
  );
  const m = (ms: number, name: string, detail = '') => `${t0 + Math.round(ms)}\t${ms.toFixed(3)}\t${name}\t${detail}`;
  const rows = ['t_unix_ms\tt_run_ms\tname\tdetail', m(1000, 'open_start'), m(6000, 'first_pixel'), m(7000, 'scrub_start')];
  for (let i = 1; i <= 1000; i++) rows.push(m(7000 + i * 3500, 'inline', `#${i} ${i}.0 ms`));
  rows.push(m(3_510_000, 'scrub_end'), m(3_601_000, 'session_end'));
  writeFileSync(path.join(dir, 'markers.tsv'), rows.join('\n') + '\n');
  const header =
    't_unix_ms,cpu_pct,cpu_core_max_pct,ram_used_mb,ram_avail_mb,proc_cpu_pct,proc_rss_mb,proc_read_bps,proc_write_bps,disk_read_mbps,disk_write_mbps,net_rx_mbps,net_tx_mbps,gpu_util_pct,gpu_mem_mb';
  const metrics = [header];
  for (let s = 0; s <= 3602; s++) metrics.push(`${t0 + s * 1000},${20 + (s % 60)},,8000,24000,${50 + (s % 30)},900,${(s % 100) * 1e6},0,,,,,${10 + (s % 20)},`);
  writeFileSync(path.join(dir, 'metrics.csv'), metrics.join('\n') + '\n');
  return dir;
}
