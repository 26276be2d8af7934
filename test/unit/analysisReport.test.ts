import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { analyzeRuns } from '../../extension/core/analysis/analyze';
import { LocalRunStore } from '../../extension/core/analysis/runStore';
import { writeAnalysisOutputs } from '../../extension/core/report/writeOutputs';
import { analysisCharts } from '../../extension/shared/kpiCharts';
import { FIXTURES, REPO_ROOT } from './fixturePaths';

// report.html in a real headless Chromium with every network path closed (DNS resolves nothing, the proxy is a dead
// port): the page must still show the verdict table and draw every chart, because it needs nothing from outside.
// Chromium comes from Debian (.ci/run installs it before any lane through test/vscode/lane/install-tools.sh); on a
// developer machine without it the test is skipped with the reason, under CI a missing Chromium fails.

const exec = promisify(execFile);
const out = mkdtempSync(path.join(tmpdir(), 'fb-report-'));
after(() => rmSync(out, { recursive: true, force: true }));

function chromium(): string | undefined {
  return [process.env.FASTBENCH_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => !!p && existsSync(p));
}

const OFFLINE = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--hide-scrollbars',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND',
  '--proxy-server=http://127.0.0.1:9',
  '--virtual-time-budget=10000',
];

test('report.html offline in headless Chromium: verdict table and every chart drawn; screenshot', async (t) => {
  const browser = chromium();
  if (!browser) {
    const reason = 'Chromium not found (/usr/bin/chromium; install: bash test/vscode/lane/install-tools.sh, or set FASTBENCH_CHROMIUM)';
    if (process.env.CI) assert.fail(`${reason}; CI must have it`);
    return t.skip(reason);
  }
  const { result } = await analyzeRuns([new LocalRunStore(path.join(FIXTURES, 'runs-analysis'))]);
  await writeAnalysisOutputs(result, out, { chartJsRoots: [REPO_ROOT] });
  const url = `file://${path.join(out, 'report.html')}`;
  const html = readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);

  const { stdout: dom } = await exec(browser, [...OFFLINE, '--dump-dom', url], { maxBuffer: 64 << 20, timeout: 60_000 });
  const charts = analysisCharts(result);
  assert.deepEqual(
    charts.map((c) => c.id),
    ['open_by_mode', 'scrub100_by_mode', 'fast_latency_cdf'],
  );
  // The inline script marks the body once every chart was constructed; Chart.js sizes each canvas it draws on.
  assert.match(dom, new RegExp(`data-charts-ready="${charts.length + 1}"`), 'all charts and the timeline constructed');
  for (const id of [...charts.map((c) => c.id), 'run_timeline']) {
    const canvas = new RegExp(`<canvas id="${id}"[^>]*style="[^"]*width: \\d+px`).exec(dom);
    assert.ok(canvas, `canvas ${id} drawn by Chart.js`);
  }
  const table = /<table id="verdicts">([\s\S]*?)<\/table>/.exec(dom);
  assert.ok(table, 'verdict table');
  assert.equal((table[1]!.match(/<tr class=/g) ?? []).length, result.comparisons.length);
  assert.ok(dom.indexOf('id="verdicts"') < dom.indexOf('<canvas'), 'verdicts come first');
  assert.match(dom, /B_fast is 37 % slower/);
  assert.match(dom, /<table id="flags">[\s\S]*wrong source[\s\S]*<\/table>/);
  assert.match(dom, /<table id="skipped">[\s\S]*markers\.tsv is missing[\s\S]*<\/table>/);
  assert.match(dom, /sha256:abab/);

  const shot = path.join(out, 'report.png');
  await exec(browser, [...OFFLINE, '--window-size=1280,2400', `--screenshot=${shot}`, url], { timeout: 60_000 });
  const png = readFileSync(shot);
  assert.equal(png.readUInt32BE(16), 1280);
  assert.equal(png.readUInt32BE(20), 2400);
  // The bars are on screen: many pixels in each mode's colour (A_shared #1f77b4, B_fast #ff7f0e).
  const { createCanvas, loadImage } = require('@napi-rs/canvas') as typeof import('@napi-rs/canvas');
  const image = await loadImage(png);
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0);
  const px = ctx.getImageData(0, 0, image.width, image.height).data;
  const count = (r: number, g: number, b: number) => {
    let n = 0;
    for (let i = 0; i < px.length; i += 4) if (Math.abs(px[i]! - r) < 6 && Math.abs(px[i + 1]! - g) < 6 && Math.abs(px[i + 2]! - b) < 6) n++;
    return n;
  };
  const blue = count(0x1f, 0x77, 0xb4);
  const orange = count(0xff, 0x7f, 0x0e);
  assert.ok(blue > 20_000 && orange > 20_000, `bar pixels in the screenshot: A_shared ${blue}, B_fast ${orange}`);
  t.diagnostic(`screenshot: ${shot} (${png.length} bytes; ${blue} A_shared and ${orange} B_fast bar pixels)`);
});
