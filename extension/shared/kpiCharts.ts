import type { AnalysisResult, ComparedKpi, ModeSummary, RunTimeline } from './kpi';

// The analysis charts, defined once as Chart.js configurations (plain JSON) plus three small plugins. The same
// definitions draw the offline report.html, the PNG files (Chart.js on a Node canvas) and a VS Code webview, so a
// chart looks the same wherever it is seen. Plugins are self-contained functions (no outer references) so the report
// can inline their source text.

export type ChartSpec = {
  id: string;
  title: string;
  /** PNG file name next to report.html, or null for charts that only make sense interactively. */
  file: string | null;
  config: { type: string; data: unknown; options: Record<string, unknown> };
};

export const CHART_SIZE = { width: 960, height: 540 } as const;

export const MODE_COLORS = { A_shared: '#1f77b4', B_fast: '#ff7f0e' } as const;

export const BAR_CHARTS: { kpi: ComparedKpi; id: string; title: string }[] = [
  { kpi: 'open_time_s', id: 'open_by_mode', title: 'Median Project Open by mode' },
  { kpi: 'scrub_time_s', id: 'scrub100_by_mode', title: 'Median Scrub-100 by mode' },
  { kpi: 'attr_time_s', id: 'attr_by_mode', title: 'Median Attribute by mode' },
  { kpi: 'horizon_time_s', id: 'horizon_by_mode', title: 'Median Horizon by mode' },
  { kpi: 'export_time_s', id: 'export_by_mode', title: 'Median Export by mode' },
];

type Ctx = {
  save(): void;
  restore(): void;
  beginPath(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  stroke(): void;
  fillRect(x: number, y: number, w: number, h: number): void;
  fillText(t: string, x: number, y: number): void;
  setLineDash(d: number[]): void;
  strokeStyle: string;
  fillStyle: string;
  lineWidth: number;
  font: string;
  globalCompositeOperation: string;
};
type ChartLike = {
  ctx: Ctx;
  width: number;
  height: number;
  data: { datasets: { whiskers?: ([number, number] | null)[] }[] };
  getDatasetMeta(i: number): { hidden: boolean | null; yAxisID?: string; data: { x: number }[] };
  scales: Record<string, { getPixelForValue(v: number): number; top: number; bottom: number; left: number; right: number; min: number; max: number }>;
  chartArea: { top: number; bottom: number; left: number; right: number };
  options: { plugins?: { fbMarkers?: { markers?: { t_s: number; name: string }[] } } };
};

/** Error bars: each bar dataset may carry `whiskers: [low, high] | null` per bar (a 95 % CI). */
export function drawWhiskers(chart: ChartLike): void {
  const ctx = chart.ctx;
  chart.data.datasets.forEach((ds, i) => {
    const meta = chart.getDatasetMeta(i);
    if (meta.hidden || !ds.whiskers) return;
    const scale = chart.scales[meta.yAxisID || 'y'];
    if (!scale) return;
    meta.data.forEach((bar, j) => {
      const w = ds.whiskers && ds.whiskers[j];
      if (!w) return;
      const top = scale.getPixelForValue(w[1]);
      const bottom = scale.getPixelForValue(w[0]);
      ctx.save();
      ctx.strokeStyle = '#222';
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.moveTo(bar.x, top);
      ctx.lineTo(bar.x, bottom);
      ctx.moveTo(bar.x - 7, top);
      ctx.lineTo(bar.x + 7, top);
      ctx.moveTo(bar.x - 7, bottom);
      ctx.lineTo(bar.x + 7, bottom);
      ctx.stroke();
      ctx.restore();
    });
  });
}

/** Vertical lines at `options.plugins.fbMarkers.markers` (seconds on the x axis), labelled with the marker name. */
export function drawMarkers(chart: ChartLike): void {
  const markers = (chart.options.plugins && chart.options.plugins.fbMarkers && chart.options.plugins.fbMarkers.markers) || [];
  const x = chart.scales.x;
  if (!x) return;
  const ctx = chart.ctx;
  const area = chart.chartArea;
  ctx.save();
  ctx.strokeStyle = 'rgba(90, 90, 90, 0.7)';
  ctx.fillStyle = '#444';
  ctx.lineWidth = 1;
  ctx.font = '11px sans-serif';
  ctx.setLineDash([4, 3]);
  markers.forEach((m, i) => {
    if (m.t_s < x.min || m.t_s > x.max) return;
    const px = x.getPixelForValue(m.t_s);
    ctx.beginPath();
    ctx.moveTo(px, area.top);
    ctx.lineTo(px, area.bottom);
    ctx.stroke();
    ctx.fillText(m.name, px + 3, area.top + 12 + (i % 4) * 12);
  });
  ctx.restore();
}

/** An opaque white background, so a PNG is readable in mail clients with dark themes. */
export function drawBackground(chart: ChartLike): void {
  const ctx = chart.ctx;
  ctx.save();
  ctx.globalCompositeOperation = 'destination-over';
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, chart.width, chart.height);
  ctx.restore();
}

export const CHART_PLUGINS = [
  { id: 'fbWhiskers', hook: 'afterDatasetsDraw', fn: drawWhiskers },
  { id: 'fbMarkers', hook: 'afterDatasetsDraw', fn: drawMarkers },
  { id: 'fbBackground', hook: 'beforeDraw', fn: drawBackground },
] as const;

/** The plugins as Chart.js wants them (`Chart.register(...)` or per chart). */
export function chartPlugins(): Record<string, unknown>[] {
  return CHART_PLUGINS.map((p) => ({ id: p.id, [p.hook]: p.fn }));
}

function groupLabel(s: Pick<ModeSummary, 'machine' | 'workflow' | 'cache_policy'>, show: { machine: boolean; workflow: boolean }): string {
  return [show.machine ? s.machine : '', show.workflow ? s.workflow : '', s.cache_policy].filter(Boolean).join(' · ');
}

/** The bars of a "by mode" chart: one group per (machine, workflow, cache policy), labelled with what differs. */
export function barGroups(result: AnalysisResult, kpi: ComparedKpi): { key: string; machine: string; workflow: string; cache_policy: ModeSummary['cache_policy'] }[] {
  const rows = result.summaries.filter((s) => s.kpi === kpi);
  const show = { machine: new Set(rows.map((r) => r.machine)).size > 1, workflow: new Set(rows.map((r) => r.workflow)).size > 1 };
  const groups: { key: string; machine: string; workflow: string; cache_policy: ModeSummary['cache_policy'] }[] = [];
  for (const r of rows) {
    const key = groupLabel(r, show);
    if (!groups.some((g) => g.key === key)) groups.push({ key, machine: r.machine, workflow: r.workflow, cache_policy: r.cache_policy });
  }
  return groups;
}

function barChart(result: AnalysisResult, kpi: ComparedKpi, id: string, title: string): ChartSpec | null {
  const rows = result.summaries.filter((s) => s.kpi === kpi);
  if (rows.length === 0) return null;
  const groups = barGroups(result, kpi);
  const keys = groups.map((g) => g.key);
  const find = (k: string, mode: string) => {
    const g = groups.find((x) => x.key === k)!;
    return rows.find((r) => r.machine === g.machine && r.workflow === g.workflow && r.cache_policy === g.cache_policy && r.mode === mode);
  };
  const labels = keys.map((k) => [k, `n = ${find(k, 'A_shared')?.n ?? 0} | ${find(k, 'B_fast')?.n ?? 0}`]);
  const datasets = (['A_shared', 'B_fast'] as const).map((mode) => ({
    label: mode,
    backgroundColor: MODE_COLORS[mode],
    data: keys.map((k) => find(k, mode)?.median ?? null),
    whiskers: keys.map((k) => {
      const s = find(k, mode);
      return s && s.ci95_low !== null && s.ci95_high !== null ? [s.ci95_low, s.ci95_high] : null;
    }),
  }));
  const top = Math.max(...rows.map((r) => r.ci95_high ?? r.median));
  return {
    id,
    title: `${title} (seconds; bars = median, whiskers = 95 % CI of the median from order statistics, shown from 6 runs)`,
    file: `${id}.png`,
    config: {
      type: 'bar',
      data: { labels, datasets },
      options: {
        animation: false,
        plugins: { title: { display: true, text: `${title} (s)` }, legend: { position: 'top' } },
        scales: { y: { beginAtZero: true, suggestedMax: top * 1.08, title: { display: true, text: 'seconds' } } },
      },
    },
  };
}

function cdfChart(result: AnalysisResult): ChartSpec | null {
  if (result.fast_cdfs.length === 0) return null;
  const palette = ['#ff7f0e', '#d62728', '#9467bd', '#8c564b', '#2ca02c', '#17becf'];
  return {
    id: 'fast_latency_cdf',
    title: 'FAST read latency, cumulative distribution (fast_log.tsv, read requests in the run window)',
    file: 'fast_latency_cdf.png',
    config: {
      type: 'line',
      data: {
        datasets: result.fast_cdfs.map((c, i) => ({
          label: `${c.label} (n = ${c.n} requests)`,
          data: c.latency_ms.map((x, j) => ({ x: Math.max(x, 0.001), y: c.fraction[j] })),
          borderColor: palette[i % palette.length],
          backgroundColor: palette[i % palette.length],
          pointRadius: 0,
          borderWidth: 2,
          stepped: true,
        })),
      },
      options: {
        animation: false,
        parsing: false,
        plugins: { title: { display: true, text: 'FAST read latency CDF' } },
        scales: {
          x: { type: 'logarithmic', title: { display: true, text: 'latency (ms, log scale)' } },
          y: { type: 'linear', min: 0, max: 1, title: { display: true, text: 'fraction of requests ≤ latency' } },
        },
      },
    },
  };
}

const hasData = (values: (number | null | undefined)[] | undefined) => (values ?? []).some((v) => v !== null && v !== undefined);

/** One run's metrics over the run window with its markers; the report switches `data` between runs. */
export function timelineChart(t: RunTimeline): ChartSpec {
  const series = (values: (number | null)[]) => values.map((y, i) => ({ x: t.t_s[i]!, y }));
  return {
    id: 'run_timeline',
    title: 'Per-run metrics over the run window, with markers',
    file: null,
    config: {
      type: 'line',
      data: {
        datasets: [
          { label: 'system CPU %', data: series(t.cpu_pct), borderColor: '#2ca02c', backgroundColor: '#2ca02c', pointRadius: 0, borderWidth: 1.5, yAxisID: 'y', spanGaps: false },
          {
            label: 'process CPU % (of one core)',
            data: series(t.proc_cpu_pct),
            borderColor: '#9467bd',
            backgroundColor: '#9467bd',
            pointRadius: 0,
            borderWidth: 1.5,
            yAxisID: 'y',
            spanGaps: false,
          },
          {
            label: 'process read MB/s',
            data: series(t.read_MB_s),
            borderColor: '#d62728',
            backgroundColor: '#d62728',
            pointRadius: 0,
            borderWidth: 1.5,
            yAxisID: 'y1',
            spanGaps: false,
          },
          // GPU and RAM: shown when metrics.csv has them; RAM starts hidden (its own GiB axis appears with it).
          ...(hasData(t.gpu_pct)
            ? [{ label: 'GPU %', data: series(t.gpu_pct), borderColor: '#ff7f0e', backgroundColor: '#ff7f0e', pointRadius: 0, borderWidth: 1.5, yAxisID: 'y', spanGaps: false }]
            : []),
          ...(hasData(t.ram_used_mb)
            ? [
                {
                  label: 'RAM used GiB',
                  data: series(t.ram_used_mb.map((v) => (v === null ? null : Math.round((v / 1024) * 100) / 100))),
                  borderColor: '#1f77b4',
                  backgroundColor: '#1f77b4',
                  pointRadius: 0,
                  borderWidth: 1.5,
                  yAxisID: 'y2',
                  spanGaps: false,
                  hidden: true,
                },
              ]
            : []),
        ],
      },
      options: {
        animation: false,
        parsing: false,
        plugins: { title: { display: true, text: t.label }, fbMarkers: { markers: t.markers } },
        scales: {
          x: { type: 'linear', title: { display: true, text: 'seconds since open_start' } },
          y: { type: 'linear', position: 'left', beginAtZero: true, title: { display: true, text: '%' } },
          y1: { type: 'linear', position: 'right', beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: 'MB/s' } },
          y2: { type: 'linear', position: 'right', beginAtZero: true, display: 'auto', grid: { drawOnChartArea: false }, title: { display: true, text: 'GiB' } },
        },
      },
    },
  };
}

/**
 * Compare Runs: two runs' process CPU and read MB/s on one time axis (seconds since each run's open_start), A solid
 * and B dashed, with both runs' phase markers labelled "A …" / "B …". Where the NAS and FAST runs part is visible.
 */
export function overlayTimelineChart(a: RunTimeline, b: RunTimeline, labelA: string, labelB: string): ChartSpec {
  const series = (t: RunTimeline, values: (number | null)[]) => values.map((y, i) => ({ x: t.t_s[i]!, y }));
  const line = (label: string, data: { x: number; y: number | null }[], color: string, axis: 'y' | 'y1', dashed: boolean) => ({
    label,
    data,
    borderColor: color,
    backgroundColor: color,
    pointRadius: 0,
    borderWidth: 1.5,
    yAxisID: axis,
    spanGaps: false,
    ...(dashed ? { borderDash: [6, 3] } : {}),
  });
  return {
    id: 'run_overlay',
    title: `${labelA} vs ${labelB} over time`,
    file: null,
    config: {
      type: 'line',
      data: {
        datasets: [
          line(`A process read MB/s (${labelA})`, series(a, a.read_MB_s), '#d62728', 'y1', false),
          line(`B process read MB/s (${labelB})`, series(b, b.read_MB_s), '#d62728', 'y1', true),
          line(`A process CPU % (${labelA})`, series(a, a.proc_cpu_pct), '#9467bd', 'y', false),
          line(`B process CPU % (${labelB})`, series(b, b.proc_cpu_pct), '#9467bd', 'y', true),
        ],
      },
      options: {
        animation: false,
        parsing: false,
        plugins: {
          title: { display: true, text: `A: ${labelA}  ·  B (dashed): ${labelB}` },
          fbMarkers: { markers: [...a.markers.map((m) => ({ ...m, name: `A ${m.name}` })), ...b.markers.map((m) => ({ ...m, name: `B ${m.name}` }))] },
        },
        scales: {
          x: { type: 'linear', title: { display: true, text: 'seconds since open_start' } },
          y: { type: 'linear', position: 'left', beginAtZero: true, title: { display: true, text: 'process CPU %' } },
          y1: { type: 'linear', position: 'right', beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: 'read MB/s' } },
        },
      },
    },
  };
}

/** Every chart of a result, in report order; charts without data are left out. */
export function analysisCharts(result: AnalysisResult): ChartSpec[] {
  const charts: ChartSpec[] = [];
  for (const b of BAR_CHARTS) {
    const c = barChart(result, b.kpi, b.id, b.title);
    if (c) charts.push(c);
  }
  const cdf = cdfChart(result);
  if (cdf) charts.push(cdf);
  return charts;
}
