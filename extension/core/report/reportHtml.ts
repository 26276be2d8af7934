import { DURATION_KPIS, type AnalysisResult, type ComparedKpi, type ComparisonRow, type RunFlag } from '../../shared/kpi';
import { CHART_PLUGINS, analysisCharts, timelineChart, type ChartSpec } from '../../shared/kpiCharts';
import { ALPHA, MIN_RUNS } from '../analysis/compare';

// report.html: one self-contained, offline page (Chart.js inlined, a CSP that forbids every network request) for a
// reader who has never seen FastBench: the verdicts first, then the charts, the runs that need a second look, and
// the definitions behind every number.

export const KPI_NAMES: Record<ComparedKpi, string> = {
  open_time_s: 'Project open (s)',
  scrub_time_s: 'Scrub 100 inlines (s)',
  attr_time_s: 'Attribute (s)',
  horizon_time_s: 'Horizon (s)',
  export_time_s: 'Export (s)',
  cpu_mean: 'System CPU mean (%)',
  proc_cpu_mean: 'Process CPU mean (% of one core)',
  gpu_mean: 'GPU mean (%)',
  read_MB_s_p95: 'Process read p95 (MB/s)',
  fast_requests: 'FAST read requests',
  fast_hit_ratio: 'FAST hit ratio',
  fast_latency_p50_ms: 'FAST latency p50 (ms)',
  fast_latency_p95_ms: 'FAST latency p95 (ms)',
};

const FLAG_NAMES: Record<RunFlag['kind'], string> = {
  wrong_source: 'wrong source',
  no_evidence: 'no evidence of source',
  not_cold: 'Cold did not hold',
  aborted: 'not complete',
  outlier: 'outlier (MAD)',
  malformed_rows: 'malformed rows',
  missing_markers: 'missing markers',
  missing_file: 'missing or unusable file',
};

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** JSON inside <script>: "</script>" and "<!--" must not end or confuse the element. */
const scriptJson = (v: unknown) =>
  JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
const num = (v: number | null, digits = 3) => (v === null ? '' : Number(v.toFixed(digits)).toString());

/** Colour only where the direction is unambiguous for the user: durations (slower is worse). */
function verdictClass(c: ComparisonRow): string {
  if (!DURATION_KPIS.includes(c.kpi)) return 'neutral';
  if (/^B_fast is .* slower/.test(c.verdict)) return 'worse';
  if (/^B_fast is .* faster/.test(c.verdict)) return 'better';
  return 'neutral';
}

function verdictTable(result: AnalysisResult): string {
  if (result.comparisons.length === 0) {
    return '<p id="no-verdicts">No KPI has comparable runs in both modes yet: a comparison needs complete, non-warm-up runs of A_shared and B_fast for the same workflow and cache policy (see the flagged runs below).</p>';
  }
  const rows = result.comparisons
    .map(
      (c) => `<tr class="${verdictClass(c)}"><td>${esc(c.machine)}</td><td>${esc(c.workflow)}</td><td>${esc(c.cache_policy)}</td><td>${esc(KPI_NAMES[c.kpi])}</td>
<td>${num(c.median_A_shared)} <span class="n">(n = ${c.n_A_shared})</span></td><td>${num(c.median_B_fast)} <span class="n">(n = ${c.n_B_fast})</span></td>
<td>${c.ratio_B_over_A === null ? '' : `${num(c.ratio_B_over_A)}${c.ci95_low !== null && c.ci95_high !== null ? ` [${num(c.ci95_low)}, ${num(c.ci95_high)}]` : ''}`}</td>
<td>${c.p_value === null ? '' : Number(c.p_value.toPrecision(2))}</td><td class="verdict">${esc(c.verdict)}</td></tr>`,
    )
    .join('\n');
  return `<table id="verdicts"><thead><tr><th>machine</th><th>workflow</th><th>cache</th><th>KPI</th><th>median A_shared (NAS)</th><th>median B_fast (FAST)</th><th>ratio B/A [95 % CI]</th><th>p</th><th>verdict</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

function flagsTable(result: AnalysisResult): string {
  if (result.flags.length === 0) return '<p id="flags">No run was flagged.</p>';
  const rows = result.flags
    .map((f) => `<tr><td>${esc(f.run_id)}</td><td>${esc(FLAG_NAMES[f.kind])}</td><td class="text">${esc(f.detail)}</td><td class="text path">${esc(f.folder)}</td></tr>`)
    .join('\n');
  return `<table id="flags"><thead><tr><th>run</th><th>flag</th><th>detail</th><th>folder</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function skippedTable(result: AnalysisResult): string {
  if (result.skipped.length === 0) return '<p id="skipped">No folder was skipped.</p>';
  const rows = result.skipped.map((s) => `<tr><td class="text path">${esc(s.folder)}</td><td class="text">${esc(s.reason)}</td></tr>`).join('\n');
  return `<table id="skipped"><thead><tr><th>folder</th><th>reason</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function contextTable(result: AnalysisResult): string {
  const count = (values: (string | null)[]) => {
    const m = new Map<string, number>();
    for (const v of values) m.set(v ?? '(not recorded)', (m.get(v ?? '(not recorded)') ?? 0) + 1);
    return [...m].map(([k, n]) => `${esc(k)} <span class="n">(${n} run${n > 1 ? 's' : ''})</span>`).join('<br>');
  };
  return `<table id="context"><tbody>
<tr><th>machines</th><td class="text">${count(result.contexts.map((c) => c.machine))}</td></tr>
<tr><th>datasets</th><td class="text">${count(result.contexts.map((c) => c.dataset))}</td></tr>
<tr><th>config digests</th><td class="text mono">${count(result.contexts.map((c) => c.config_digest))}</td></tr>
<tr><th>analysed</th><td class="text">${esc(result.generated_at)} by fastbench ${esc(result.tool_version)}; machines ${result.grouping === 'pooled' ? 'pooled' : 'compared separately'}</td></tr>
</tbody></table>`;
}

function malformedList(result: AnalysisResult): string {
  if (result.malformed.length === 0) return '';
  return `<h3>Malformed rows (skipped, counted)</h3><ul id="malformed">${result.malformed
    .map((m) => `<li>${esc(m.file)}: ${m.count} row${m.count > 1 ? 's' : ''}<br><span class="mono">${m.examples.map(esc).join('<br>')}</span></li>`)
    .join('')}</ul>`;
}

export const DEFINITIONS_HTML = `<dl>
<dt>Durations</dt><dd>From markers.tsv's monotonic <code>t_run_ms</code>: open = first_pixel − open_start; scrub = the first scrub_end after the first scrub_start; attribute, horizon and export likewise; in seconds.</dd>
<dt>Run window</dt><dd>metrics.csv rows with open_start.t_unix_ms ≤ t_unix_ms ≤ session_end.t_unix_ms (to the last row when session_end is missing). Machine figures outside it (start-up, tear-down) never count.</dd>
<dt>cpu_mean, proc_cpu_mean, gpu_mean</dt><dd>Means of cpu_pct, proc_cpu_pct and gpu_util_pct over the window; empty cells (no source) are ignored, all empty gives an empty KPI.</dd>
<dt>read_MB_s_p95</dt><dd>95th percentile of proc_read_bps / 10<sup>6</sup> over the window, linear interpolation between closest ranks (numpy's default).</dd>
<dt>observed_source</dt><dd>open_files.tsv rows inside the window classed NAS or FAST_cache: NAS, FAST_cache, mixed (both) or none. A_shared should read NAS, B_fast FAST_cache.</dd>
<dt>FAST columns</dt><dd>fast_log.tsv read requests inside the window: count, hits / requests, latency p50 and p95.</dd>
<dt>Which runs are compared</dt><dd>Complete, not a warm-up, and not read from the other mode's storage (a run with no evidence is kept and flagged). Machines are compared separately unless --pool-machines.</dd>
<dt>Ratio and CI</dt><dd>median(B_fast) / median(A_shared); 95 % CI by percentile bootstrap, each side resampled with replacement (seeded, see below).</dd>
<dt>p</dt><dd>Two-sided Mann-Whitney U as scipy.stats.mannwhitneyu computes it by default: exact distribution without ties unless both sides have more than 8 runs, else the normal approximation with tie and continuity correction.</dd>
<dt>Verdict</dt><dd>"B_fast is X % slower/faster [CI]" when p &lt; ${ALPHA} and the CI excludes 1; "no detectable difference" otherwise; "too few runs" with fewer than ${MIN_RUNS} runs on a side. With 3 vs 3 runs the smallest possible p is 0.1, so small campaigns can only say "no detectable difference".</dd>
<dt>Whiskers</dt><dd>95 % confidence interval of each median from order statistics ([x<sub>(l)</sub>, x<sub>(n−l+1)</sub>], binomial, coverage ≥ 95 % for any distribution); below 6 runs no such interval exists and no whisker is drawn.</dd>
<dt>Outliers</dt><dd>Values farther than 3 × 1.4826 × MAD from their group's median; flagged, kept (medians are robust to them).</dd>
</dl>`;

function pluginSource(): string {
  return `[${CHART_PLUGINS.map((p) => `{ id: ${JSON.stringify(p.id)}, ${p.hook}: (${p.fn.toString()}) }`).join(',\n')}]`;
}

export function renderReportHtml(result: AnalysisResult, options: { chartJs: string | undefined; pngs?: Map<string, Buffer> }): string {
  const charts: ChartSpec[] = analysisCharts(result);
  const timelines = result.timelines.filter((t) => t.t_s.length > 0);
  const figures = charts
    .map((c) => {
      const png = c.file ? options.pngs?.get(c.file) : undefined;
      const body = options.chartJs
        ? `<div class="box"><canvas id="${c.id}" role="img" aria-label="${esc(c.title)}"></canvas></div>`
        : png
          ? `<img id="${c.id}" alt="${esc(c.title)}" src="data:image/png;base64,${png.toString('base64')}">`
          : '<p>(Chart.js was not found, so this chart is only in its PNG file.)</p>';
      return `<figure class="chart" data-chart="${c.id}"><figcaption>${esc(c.title)}${c.file ? ` <span class="n">— also ${esc(c.file)}</span>` : ''}</figcaption>${body}</figure>`;
    })
    .join('\n');
  const timelineSection = timelines.length
    ? `<h2>Run timeline</h2><p>Machine figures of one run over its window, with its markers. <label>Run: <select id="timeline-run">${timelines
        .map((t, i) => `<option value="${i}">${esc(t.label)}</option>`)
        .join(
          '',
        )}</select></label></p><figure class="chart" data-chart="run_timeline"><div class="box"><canvas id="run_timeline" role="img" aria-label="run timeline"></canvas></div></figure>`
    : '';
  const script = options.chartJs
    ? `<script>${options.chartJs.replace(/<\/script/gi, '<\\/script')}</script>
<script>
(function () {
  var plugins = ${pluginSource()};
  var charts = ${scriptJson(charts.map((c) => ({ id: c.id, config: c.config })))};
  var timelines = ${scriptJson(timelines.map((t) => timelineChart(t).config))};
  function make(id, config) {
    config.options = Object.assign({}, config.options, { responsive: true, maintainAspectRatio: false });
    config.plugins = plugins;
    return new Chart(document.getElementById(id), config);
  }
  charts.forEach(function (c) { make(c.id, c.config); });
  if (timelines.length) {
    var current = make('run_timeline', timelines[0]);
    document.getElementById('timeline-run').addEventListener('change', function (e) {
      current.destroy();
      current = make('run_timeline', timelines[Number(e.target.value)]);
    });
  }
  document.body.setAttribute('data-charts-ready', String(charts.length + (timelines.length ? 1 : 0)));
})();
</script>`
    : '';
  const nRuns = result.kpis.length;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>FastBench analysis: NAS (A_shared) vs FAST (B_fast)</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1200px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; } h2 { margin-top: 32px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
table { border-collapse: collapse; margin: 12px 0; width: 100%; } td, th { border: 1px solid #ddd; padding: 4px 8px; text-align: right; vertical-align: top; }
th { background: #f0f0f0; } td:first-child, th:first-child, td.text { text-align: left; }
td.verdict { text-align: left; font-weight: 600; }
#verdicts td:nth-child(-n+4), #verdicts th:nth-child(-n+4), #verdicts th:last-child, #flags td, #flags th, #skipped td, #skipped th { text-align: left; } tr.worse td.verdict { color: #b71c1c; } tr.better td.verdict { color: #1b5e20; }
.n { color: #777; font-weight: normal; } .mono, .path { font-family: ui-monospace, monospace; font-size: 12px; } .path { word-break: break-all; }
figure { margin: 24px 0; } figcaption { font-weight: 600; margin-bottom: 8px; } .box { position: relative; height: 420px; } img { max-width: 100%; }
dt { font-weight: 600; margin-top: 8px; } dd { margin-left: 16px; }
</style></head><body>
<h1>FastBench analysis: seismic data on the NAS (A_shared) vs through FAST from Azure (B_fast)</h1>
<p>${nRuns} run${nRuns === 1 ? '' : 's'} analysed. Each row below compares one measure between the two storage modes for one machine, workflow and cache state (Cold = caches emptied first, Warm = data read once before).
A ratio above 1 means B_fast took longer (or used more); the bracket is the range the true ratio lies in with 95 % confidence; p is the chance of a difference this large if the modes were alike.</p>
<h2>Verdicts</h2>
${verdictTable(result)}
<h2>Charts</h2>
${figures || '<p>No chart: no KPI has values yet.</p>'}
${timelineSection}
<h2>Flagged runs</h2>
${flagsTable(result)}
<h2>Skipped folders</h2>
${skippedTable(result)}
${malformedList(result)}
<h2>Machine, dataset and configuration</h2>
${contextTable(result)}
<h2>Definitions</h2>
${DEFINITIONS_HTML}
<p>Bootstrap: ${result.bootstrap.resamples} resamples, mulberry32 PRNG seeded with ${result.bootstrap.seed}; the same runs always give the same intervals.</p>
${script}
</body></html>
`;
}
