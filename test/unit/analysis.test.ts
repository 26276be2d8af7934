import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { bruteForceExactTwoSided } from './mannWhitneyOracle';
import { inflateSync } from 'node:zlib';
import { analyzeRuns } from '../../extension/core/analysis/analyze';
import { compareModes, isComparable } from '../../extension/core/analysis/compare';
import { LocalRunStore } from '../../extension/core/analysis/runStore';
import { runCli } from '../../extension/cli/main';
import { crc32 } from '../../extension/core/charts/png';
import { KPI_COLUMNS, FAST_KPI_COLUMNS, type KpiRow } from '../../extension/shared/kpi';
import { CHART_SIZE } from '../../extension/shared/kpiCharts';
import { FIXTURES } from './fixturePaths';

// The hand-made run folders in test/fixtures/runs-analysis (written by make.mjs there, values chosen by hand) and the
// answers worked out by hand from those values, independently of the code under test:
//
// cold-A-1 (the window run): open_start at t+1000, session_end at t+72500 (t_unix_ms). metrics.csv rows inside
//   the window: cpu 10, 20, (empty), 30, 40, 50 → mean 150/5 = 30; proc_cpu 50, (empty), 70, 80, 90, 100 → 390/5 = 78;
//   gpu (empty), 40, (empty), 60, (empty), (empty) → 50; proc_read_bps/1e6 = 1, 2, 3, 4, 5, (empty) → p95 with
//   h = (5 − 1)·0.95 = 3.8 → 4 + 0.8·(5 − 4) = 4.8. The rows before open_start and after session_end carry 100 % CPU
//   and 9 GB/s and must not move any of these. Line 5 (4 cells) and line 8 (cpu "abc", inside the window) are
//   malformed: 2 rows.
// Durations (t_run_ms): open = first_pixel − open_start = the chosen open seconds; scrub likewise.
// Cold comparable runs: A = cold-A-1..3 (cold-A-3 has no open_files.tsv: source none, kept), B = cold-B-1..3 and
//   cold-B-nomarkers (complete, source FAST_cache, but no first_pixel/scrub_end → no open/scrub value).
//   Left out: cold-A-warmup (warm-up), cold-A-aborted (aborted), cold-B-nas (read NAS), cold-B-mixed (NAS + FAST).
//   open: A 10, 11, 12 vs B 20, 21, 23 → no ties, 3 vs 3 exact: all B above all A, P(U ≥ 9) = 1/C(6,3) = 1/20,
//   two-sided p = 0.1; ratio 21/11 = 1.909091.
//   scrub: A 60, 62, 64 vs B 62, 70, 75 → tie at 62; ranks 1, 2.5, 2.5, 4, 5, 6; R_A = 7.5, U1 = 1.5, U = 7.5;
//   σ = √(9/12 · (7 − 6/30)) = √5.1; z = (7.5 − 4.5 − 0.5)/√5.1 = 1.107019…; p = 2·P(Z > z) = 0.268286 (normal tail
//   by Simpson integration below; scipy 1.17.1, run once by hand, also gives 0.26828587…).
// Warm (site-b/ws-test/camp-2, one level deeper): open A 5.0..5.7, B 7.0..7.7 (step 0.1) → 8 vs 8, all B above all A:
//   p = 2/C(16,8) = 2/12870 = 0.0001554; ratio 7.35/5.35 = 1.373832; bootstrap ratios lie within [7.0/5.7, 7.7/5.0].
//   scrub A 30, 32, …, 44 vs B 31, 33, …, 45 → U1 = Σ_{a} #(b < a) = 0+1+…+7 = 28, U = 36; p by brute-force
//   enumeration of the C(16,8) rank sets below.
// cold-B-1's fast_log.tsv: reads in the window 1, 2, 3, 10 ms (hit, hit, miss, miss), one read before open_start
//   (999 ms, ignored), a fetch (not a read), one bad line (req "x", line 7) → 4 requests, hit ratio 0.5,
//   p50 = (2 + 3)/2 = 2.5, p95: h = 3·0.95 = 2.85 → 3 + 0.85·7 = 8.95.

const RUNS = path.join(FIXTURES, 'runs-analysis');
const out = mkdtempSync(path.join(tmpdir(), 'fb-analysis-'));
after(() => rmSync(out, { recursive: true, force: true }));

const close = (actual: number | null | undefined, expected: number, tol: number, what: string) =>
  assert.ok(actual !== null && actual !== undefined && Math.abs(actual - expected) <= tol, `${what}: expected ${expected} ± ${tol}, got ${actual}`);

function simpsonTail(z: number): number {
  const n = 20_000;
  const h = 12 / n;
  const phi = (t: number) => Math.exp((-t * t) / 2) / Math.sqrt(2 * Math.PI);
  let s = phi(z) + phi(z + 12);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * phi(z + i * h);
  return (s * h) / 3;
}

async function cli(args: string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runCli(args, { out: (t) => stdout.push(t), err: (t) => stderr.push(t), cwd: out, env: {}, signal: new AbortController().signal });
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

const analysed = analyzeRuns([new LocalRunStore(RUNS)]);
const kpi = async (id: string) => {
  const row = (await analysed).result.kpis.find((k) => k.run_id === id);
  assert.ok(row, `run ${id} analysed`);
  return row;
};
const comparison = async (policy: string, k: string) => {
  const row = (await analysed).result.comparisons.find((c) => c.cache_policy === policy && c.kpi === k);
  assert.ok(row, `comparison ${policy} ${k}`);
  return row;
};

test('the run window: spikes outside it do not count; empty cells are ignored; p95 is numpy-linear', async () => {
  const a1 = await kpi('cold-A-1');
  assert.equal(a1.cpu_mean, 30);
  assert.equal(a1.proc_cpu_mean, 78);
  assert.equal(a1.gpu_mean, 50);
  close(a1.read_MB_s_p95, 4.8, 1e-9, 'read p95');
  assert.equal((await kpi('cold-A-2')).gpu_mean, null, 'all GPU cells empty → empty KPI');
  assert.equal(a1.open_time_s, 10);
  assert.equal(a1.scrub_time_s, 60);
});

test('malformed rows are counted and named with file:line, not fatal', async () => {
  const { result } = await analysed;
  const metrics = result.malformed.find((m) => m.file.endsWith(path.join('cold-A-1', 'metrics.csv')));
  assert.ok(metrics);
  assert.equal(metrics.count, 2);
  assert.match(metrics.examples[0]!, /metrics\.csv:5: expected 15 comma-separated cells as in the header, found 4$/);
  assert.match(metrics.examples[1]!, /metrics\.csv:8: cpu_pct: expected a number or an empty cell, found "abc"$/);
  const fast = result.malformed.find((m) => m.file.endsWith('fast_log.tsv'));
  assert.match(fast!.examples[0]!, /fast_log\.tsv:7: req: expected an integer ≥ 0, found "x"$/);
  assert.ok(result.flags.some((f) => f.run_id === 'cold-A-1' && f.kind === 'malformed_rows'));
});

test('observed source: wrong source, mixed, and no evidence', async () => {
  const nas = await kpi('cold-B-nas');
  assert.deepEqual([nas.observed_source, nas.source_matches_mode], ['NAS', false], 'its FAST_cache row lies outside the window');
  const mixed = await kpi('cold-B-mixed');
  assert.deepEqual([mixed.observed_source, mixed.source_matches_mode], ['mixed', false]);
  const none = await kpi('cold-A-3');
  assert.deepEqual([none.observed_source, none.source_matches_mode], ['none', null]);
  const { result } = await analysed;
  const kinds = (id: string) => result.flags.filter((f) => f.run_id === id).map((f) => f.kind);
  assert.ok(kinds('cold-B-nas').includes('wrong_source'));
  assert.ok(kinds('cold-B-mixed').includes('wrong_source'));
  assert.ok(kinds('cold-A-3').includes('no_evidence'));
  assert.ok(kinds('cold-A-aborted').includes('aborted'));
});

test('missing markers leave their KPIs empty and flag the run', async () => {
  const b = await kpi('cold-B-nomarkers');
  assert.equal(b.open_time_s, null);
  assert.equal(b.scrub_time_s, null);
  assert.equal(b.cpu_mean, 25, 'open_start and session_end are there, so the window is');
  const { result } = await analysed;
  const flag = result.flags.find((f) => f.run_id === 'cold-B-nomarkers' && f.kind === 'missing_markers');
  assert.match(flag!.detail, /no first_pixel, scrub_end markers/);
});

test('broken folders are skipped with their reason, at any depth', async () => {
  const { result } = await analysed;
  const reasons = Object.fromEntries(result.skipped.map((s) => [path.basename(s.folder), s.reason]));
  assert.deepEqual(Object.keys(reasons).sort(), ['bad-mode', 'no-markers', 'no-run-json', 'truncated-json']);
  assert.equal(reasons['no-markers'], 'markers.tsv is missing');
  assert.equal(reasons['no-run-json'], 'run.json is missing');
  assert.match(reasons['bad-mode']!, /^run\.json:5:11: mode: expected "A_shared" or "B_fast", found "C_cloud"$/);
  assert.match(reasons['truncated-json']!, /^run\.json:3:16: JSON syntax: /);
  assert.equal(result.kpis.length, 27, '11 Cold + 16 Warm run folders');
});

test('warm-ups, aborted and wrong-source runs stay out of comparisons; n = 3 exact test', async () => {
  const open = await comparison('Cold', 'open_time_s');
  assert.deepEqual([open.n_A_shared, open.n_B_fast], [3, 3]);
  assert.deepEqual([...open.values_A_shared].sort(), [10, 11, 12]);
  assert.deepEqual([...open.values_B_fast].sort(), [20, 21, 23]);
  assert.equal(open.median_A_shared, 11);
  assert.equal(open.median_B_fast, 21);
  close(open.ratio_B_over_A, 21 / 11, 1e-6, 'ratio');
  close(open.p_value, 0.1, 1e-12, 'exact p, 3 vs 3');
  assert.equal(open.verdict, 'no detectable difference (p = 0.1, n = 3 vs 3; 3 vs 3 runs cannot reach p < 0.05, add runs)');
});

test('ties use the normal approximation with tie correction (Cold scrub)', async () => {
  const scrub = await comparison('Cold', 'scrub_time_s');
  const z = 2.5 / Math.sqrt(5.1);
  close(scrub.p_value, 2 * simpsonTail(z), 1e-9, 'p with ties');
  close(scrub.p_value, 0.268286, 1e-6, 'p (by hand)');
});

test('n = 8 vs 8: exact p, bootstrap CI inside its possible range, verdict words', async () => {
  const open = await comparison('Warm', 'open_time_s');
  close(open.p_value, 2 / 12870, 1e-15, 'p');
  close(open.ratio_B_over_A, 7.35 / 5.35, 1e-6, 'ratio');
  assert.ok(open.ci95_low! >= 7.0 / 5.7 - 1e-9 && open.ci95_high! <= 7.7 / 5.0 + 1e-9, `${open.ci95_low}..${open.ci95_high}`);
  assert.ok(open.ci95_low! < open.ratio_B_over_A! && open.ratio_B_over_A! < open.ci95_high!);
  assert.match(open.verdict, /^B_fast is 37 % slower \[\d+ %, \d+ %\], p = 0\.00016, n = 8 vs 8$/);
  const scrub = await comparison('Warm', 'scrub_time_s');
  const a = [30, 32, 34, 36, 38, 40, 42, 44];
  const b = a.map((v) => v + 1);
  close(scrub.p_value, bruteForceExactTwoSided(a, b), 1e-12, 'p by enumeration');
  assert.match(scrub.verdict, /^no detectable difference \(p = 0\.72, n = 8 vs 8\)$/);
});

test('FAST columns from fast_log.tsv (reads inside the window only)', async () => {
  const b1 = await kpi('cold-B-1');
  assert.equal(b1.fast_requests, 4);
  assert.equal(b1.fast_hit_ratio, 0.5);
  assert.equal(b1.fast_latency_p50_ms, 2.5);
  close(b1.fast_latency_p95_ms, 8.95, 1e-9, 'p95');
  assert.equal((await kpi('cold-B-2')).fast_requests, null, 'no FAST log → empty');
});

test('outliers by MAD are flagged and kept', () => {
  const base = { campaign_id: null, machine: 'm', workflow: 'W_scrub100', cache_policy: 'Cold', repeat: 1, status: 'complete', warmup: false, source_matches_mode: true } as const;
  const empty = {
    scrub_time_s: null,
    attr_time_s: null,
    horizon_time_s: null,
    export_time_s: null,
    cpu_mean: null,
    proc_cpu_mean: null,
    gpu_mean: null,
    read_MB_s_p95: null,
    fast_requests: null,
    fast_hit_ratio: null,
    fast_latency_p50_ms: null,
    fast_latency_p95_ms: null,
  };
  // A: 10, 11, 12, 13, 40 → median 12, MAD median(2,1,0,1,28) = 1; 40 is 28/1.4826 = 18.9 scaled MADs away (> 3).
  const rows: KpiRow[] = [10, 11, 12, 13, 40].map((v, i) => ({ ...base, ...empty, run_id: `a${i}`, mode: 'A_shared', observed_source: 'NAS', open_time_s: v }));
  rows.push(...[20, 21, 22].map((v, i): KpiRow => ({ ...base, ...empty, run_id: `b${i}`, mode: 'B_fast', observed_source: 'FAST_cache', open_time_s: v })));
  const { outliers, comparisons } = compareModes(rows, { pooled: false });
  assert.deepEqual(
    outliers.map((o) => o.run_id),
    ['a4'],
  );
  assert.match(outliers[0]!.detail, /^open_time_s 40 is 18\.9 scaled MADs from the median 12 of 5 A_shared runs/);
  assert.equal(comparisons[0]!.n_A_shared, 5, 'kept');
});

function decodePng(buf: Buffer): { width: number; height: number; pixels: Buffer } {
  assert.deepEqual([...buf.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], 'PNG signature');
  let off = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat: Buffer[] = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.subarray(off + 4, off + 8).toString('latin1');
    const data = buf.subarray(off + 8, off + 8 + len);
    assert.equal(buf.readUInt32BE(off + 8 + len), crc32(buf.subarray(off + 4, off + 8 + len)), `${type} CRC`);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.equal(data[8], 8, 'bit depth');
      colorType = data[9]!;
    }
    if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const channels = { 2: 3, 6: 4 }[colorType];
  assert.ok(channels, `colour type ${colorType}`);
  const pixels = inflateSync(Buffer.concat(idat));
  assert.equal(pixels.length, height * (1 + width * channels), 'scanlines');
  return { width, height, pixels };
}

test('fastbench analyze writes the CSVs, the report and PNGs that decode at the chart size', async () => {
  const dir = path.join(out, 'cli');
  const r = await cli(['analyze', RUNS, '--out', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /skipped .*no-markers: markers\.tsv is missing/);
  assert.match(r.stderr, /metrics\.csv: 2 malformed rows skipped, e\.g\. .*metrics\.csv:5: /);
  assert.match(r.stdout, /27 run\(s\) analysed/);
  const kpis = readFileSync(path.join(dir, 'kpis.csv'), 'utf8').split('\n');
  assert.equal(kpis[0], [...KPI_COLUMNS, ...FAST_KPI_COLUMNS].join(','));
  assert.ok(kpis.includes('cold-A-1,camp-1,ws-test,A_shared,Cold,W_scrub100,1,complete,false,10,60,,,,30,78,50,4.8,NAS,true,,,,'));
  assert.ok(kpis.includes('cold-B-1,camp-1,ws-test,B_fast,Cold,W_scrub100,1,complete,false,20,62,,,,25,50,,2,FAST_cache,true,4,0.5,2.5,8.95'));
  const comp = readFileSync(path.join(dir, 'comparison_kpis.csv'), 'utf8').split('\n');
  assert.equal(comp[0], 'machine,workflow,cache_policy,kpi,n_A_shared,median_A_shared,n_B_fast,median_B_fast,ratio_B_over_A,ci95_low,ci95_high,p_value,verdict');
  assert.ok(comp.some((l) => l.startsWith('ws-test,W_scrub100,Warm,open_time_s,8,5.35,8,7.35,1.373832,') && l.includes(',0.0001554,"B_fast is 37 % slower')));
  for (const name of ['open_by_mode.png', 'scrub100_by_mode.png', 'fast_latency_cdf.png']) {
    const png = decodePng(readFileSync(path.join(dir, name)));
    assert.deepEqual([png.width, png.height], [CHART_SIZE.width, CHART_SIZE.height], name);
    // Not blank: a drawn chart has many distinct byte values.
    assert.ok(new Set(png.pixels.subarray(0, 200_000)).size > 20, `${name} has content`);
  }
  // Decoded a second time by Skia: the bar charts show both modes' colours (A_shared #1f77b4, B_fast #ff7f0e).
  const { createCanvas, loadImage } = require('@napi-rs/canvas') as typeof import('@napi-rs/canvas');
  for (const name of ['open_by_mode.png', 'scrub100_by_mode.png']) {
    const image = await loadImage(readFileSync(path.join(dir, name)));
    const ctx = createCanvas(image.width, image.height).getContext('2d');
    ctx.drawImage(image, 0, 0);
    const px = ctx.getImageData(0, 0, image.width, image.height).data;
    const count = (r: number, g: number, b: number) => {
      let n = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i] === r && px[i + 1] === g && px[i + 2] === b) n++;
      return n;
    };
    assert.ok(count(0x1f, 0x77, 0xb4) > 10_000 && count(0xff, 0x7f, 0x0e) > 10_000, `${name}: both modes' bars drawn`);
  }
  const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
  assert.doesNotMatch(html.replace(/<script>[\s\S]*?<\/script>/g, ''), /(src|href)=["']?https?:/i, 'no remote resources');
});

test('pooled machines, JSON output, exit codes 1 and 2', async () => {
  const pooled = await cli(['analyze', RUNS, '--out', path.join(out, 'pooled'), '--pool-machines', '--json']);
  assert.equal(pooled.code, 0, pooled.stderr);
  const json = JSON.parse(pooled.stdout) as { runs: number; comparisons: { machine: string }[] };
  assert.equal(json.runs, 27);
  assert.ok(json.comparisons.every((c) => c.machine === 'all machines'));
  const none = await cli(['analyze', path.join(RUNS, 'broken'), '--out', path.join(out, 'none')]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no run analysed/);
  const both = await cli(['analyze', RUNS, '--by-machine', '--pool-machines']);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /choose one of --by-machine and --pool-machines/);
  const missing = await cli(['analyze', path.join(out, 'no-such-folder')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no-such-folder: expected a folder of run folders or a container URL; no such folder/);
  const sas = await cli(['analyze', 'https://acct.blob.core.windows.net/runs/x?sv=2024&sig=SECRETSIG']);
  assert.equal(sas.code, 2);
  assert.doesNotMatch(sas.stderr, /SECRETSIG/);
  const help = await cli(['analyze', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: fastbench analyze RUNS\.\.\./);
});

test('runs push refuses bad arguments before touching the network (exit 2), never echoing a SAS', async () => {
  const noTo = await cli(['runs', 'push', RUNS]);
  assert.equal(noTo.code, 2);
  assert.match(noTo.stderr, /--to URL is required/);
  const noSas = await cli(['runs', 'push', RUNS, '--to', 'https://acct.blob.core.windows.net/runs/site-a']);
  assert.equal(noSas.code, 2);
  assert.match(noSas.stderr, /no SAS: .*FASTBENCH_AZURE_SAS/);
  const badContainer = await cli(['runs', 'push', RUNS, '--to', 'az://acct/Bad_Name/x']);
  assert.equal(badContainer.code, 2);
  assert.match(badContainer.stderr, /container "Bad_Name": expected 3-63 lowercase letters, digits and single hyphens/);
});

test('CRLF line ends and a UTF-8 BOM read like plain LF files', async () => {
  const dir = path.join(out, 'crlf', 'run-1');
  const src = path.join(RUNS, 'site-a', 'camp-1', 'cold-A-1');
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(src)) writeFileSync(path.join(dir, f), `${f === 'metrics.csv' ? '\uFEFF' : ''}${readFileSync(path.join(src, f), 'utf8').replace(/\n/g, '\r\n')}`);
  const { result } = await analyzeRuns([new LocalRunStore(path.join(out, 'crlf'))]);
  const row = result.kpis[0]!;
  assert.deepEqual([row.cpu_mean, row.proc_cpu_mean, row.gpu_mean, row.read_MB_s_p95, row.open_time_s], [30, 78, 50, 4.8, 10]);
});

test('the same run reached twice counts once; an unreadable file skips its folder, not the analysis', async () => {
  const site = path.join(RUNS, 'site-b');
  const twice = await analyzeRuns([new LocalRunStore(site), new LocalRunStore(site)]);
  assert.equal(twice.result.kpis.length, 16);
  assert.equal(twice.result.skipped.filter((s) => /^duplicate run_id warm-[AB]-\d \(also in /.test(s.reason)).length, 16);
  // metrics.csv as a symlink to itself: open() fails with ELOOP for every user, root included.
  const dir = path.join(out, 'unreadable', 'run-1');
  mkdirSync(dir, { recursive: true });
  const src = path.join(RUNS, 'site-a', 'camp-1', 'cold-A-2');
  for (const f of readdirSync(src)) if (f !== 'metrics.csv') writeFileSync(path.join(dir, f), readFileSync(path.join(src, f)));
  symlinkSync('metrics.csv', path.join(dir, 'metrics.csv'));
  const { result } = await analyzeRuns([new LocalRunStore(path.join(out, 'unreadable'))]);
  assert.equal(result.kpis.length, 0);
  assert.match(result.skipped[0]!.reason, /^cannot read: ELOOP/);
});

test('a B_fast Cold run whose FAST log has reads and no miss is flagged "Cold did not hold" and left out of comparisons', async () => {
  // cold-B-1 as it is (2 hits, 2 misses in its window), and the same run with every one of those reads a hit.
  const root = path.join(out, 'not-cold');
  const src = path.join(RUNS, 'site-a', 'camp-1', 'cold-B-1');
  for (const [name, allHits] of [
    ['cold-B-1', false],
    ['cold-B-hits', true],
  ] as const) {
    const dir = path.join(root, name);
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(src)) {
      let text = readFileSync(path.join(src, f), 'utf8');
      if (allHits && f === 'run.json') text = text.replace('"cold-B-1"', '"cold-B-hits"');
      if (allHits && f === 'fast_log.tsv') text = text.replace(/\tread\t(\d+)\t([\d-]+)\t(\d+)\tmiss\t/g, '\tread\t$1\t$2\t$3\thit\t');
      writeFileSync(path.join(dir, f), text);
    }
  }
  const { result } = await analyzeRuns([new LocalRunStore(root)]);
  const row = (id: string) => result.kpis.find((k) => k.run_id === id)!;
  assert.deepEqual([row('cold-B-1').fast_requests, row('cold-B-1').fast_hit_ratio], [4, 0.5]);
  assert.deepEqual([row('cold-B-hits').fast_requests, row('cold-B-hits').fast_hit_ratio], [4, 1]);
  const flags = result.flags.filter((f) => f.kind === 'not_cold');
  assert.deepEqual(
    flags.map((f) => f.run_id),
    ['cold-B-hits'],
  );
  assert.match(flags[0]!.detail, /^Cold run, but all 4 FAST reads in its window were cache hits \(no miss\): .*kept out of comparisons$/);
  assert.equal(isComparable(row('cold-B-1')), true);
  assert.equal(isComparable(row('cold-B-hits')), false);
  assert.equal(isComparable({ ...row('cold-B-hits'), cache_policy: 'Warm' }), true, 'a Warm run of hits is what Warm is');
});
