import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderReportHtml } from '../../extension/core/report/reportHtml';
import { reportForWebview } from '../../extension/shared/reportForWebview';
import type { AnalysisResult } from '../../extension/shared/kpi';

const empty: AnalysisResult = {
  generated_at: '2026-12-01T00:00:00.000Z',
  tool_version: '0.1.0',
  grouping: 'by-machine',
  bootstrap: { resamples: 10, seed: 1 },
  has_fast_columns: false,
  kpis: [],
  comparisons: [],
  summaries: [],
  flags: [],
  skipped: [],
  malformed: [],
  timelines: [],
  fast_cdfs: [],
  contexts: [],
};

test('a report for a webview has one nonce-only CSP, and every inline script and style carries the nonce', () => {
  const html = renderReportHtml(empty, { chartJs: '/* chart.js */ window.Chart = function () {};' });
  assert.match(html, /'unsafe-inline'/, 'the offline file has its own permissive CSP');
  const out = reportForWebview(html, 'abc123');
  assert.doesNotMatch(out, /unsafe-inline/);
  const csps = out.match(/Content-Security-Policy/g) ?? [];
  assert.equal(csps.length, 1);
  assert.match(out, /content="default-src 'none'; script-src 'nonce-abc123'; style-src 'nonce-abc123'; img-src data:"/);
  const scripts = out.match(/<script[^>]*>/g) ?? [];
  assert.ok(scripts.length >= 2);
  assert.ok(
    scripts.every((s) => s === '<script nonce="abc123">'),
    scripts.join(' '),
  );
  assert.ok((out.match(/<style[^>]*>/g) ?? []).every((s) => s === '<style nonce="abc123">'));
  assert.ok(out.indexOf('Content-Security-Policy') < out.indexOf('<style'), 'the CSP comes before any style or script');
});

test('a page without a head still gets the CSP first', () => {
  assert.match(reportForWebview('<p>x</p><script>1</script>', 'n'), /^<meta http-equiv="Content-Security-Policy"[^>]*>\n<p>x<\/p><script nonce="n">1<\/script>$/);
});
