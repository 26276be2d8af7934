import { Chart, Legend, LinearScale, LineController, LineElement, PointElement, ScatterController, Title, Tooltip, type ChartConfiguration } from 'chart.js';
import { chartPlugins, overlayTimelineChart, timelineChart, type ChartSpec } from '../../extension/shared/kpiCharts';
import { toViewSchema, type RunShown, type ToView } from '../../extension/shared/webviewProtocol';
import { vscodeApi } from '../common/vscodeApi';

Chart.register(ScatterController, LineController, LineElement, LinearScale, PointElement, Legend, Title, Tooltip);

type RunShow = Extract<ToView, { type: 'run/show' }>;
type RunCompare = Extract<ToView, { type: 'run/compare' }>;
let charts: Chart[] = [];

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (cls) node.className = cls;
  return node;
}

const secs = (v: number | null | undefined) => (v === null || v === undefined ? null : `${v.toFixed(v < 10 ? 2 : 1)} s`);
const WORKFLOW_KPIS = [
  ['scrub_time_s', 'scrub-100'],
  ['attr_time_s', 'attribute'],
  ['horizon_time_s', 'horizon'],
  ['export_time_s', 'export'],
] as const;

/** The figures that answer "how did it feel": open, each workflow's time, per-step p50/p95, source, FAST. */
function headline(msg: RunShow): [string, string][] {
  const out: [string, string][] = [];
  const k = msg.kpi;
  const open = secs(k?.open_time_s);
  if (open) out.push(['open → first pixel', open]);
  for (const [key, label] of WORKFLOW_KPIS) {
    const v = secs(k?.[key]);
    if (v) out.push([label, v]);
  }
  for (const s of msg.steps) out.push([`${s.name} step p50 / p95 (n ${s.n})`, `${s.p50_ms.toFixed(1)} / ${s.p95_ms.toFixed(1)} ms`]);
  if (k) out.push(['observed source', `${k.observed_source}${k.source_matches_mode === false ? ' ✗ not what the mode should read' : k.source_matches_mode ? ' ✓' : ''}`]);
  if (k?.fast_requests) {
    const hits = k.fast_hit_ratio === null ? null : Math.round(k.fast_hit_ratio * k.fast_requests);
    out.push(['FAST hits / misses', hits === null ? `${k.fast_requests} requests` : `${hits} / ${k.fast_requests - hits}`]);
    if (k.fast_latency_p50_ms !== null) out.push(['FAST latency p50 / p95', `${k.fast_latency_p50_ms.toFixed(1)} / ${(k.fast_latency_p95_ms ?? NaN).toFixed(1)} ms`]);
  }
  if (k?.cpu_mean !== null && k?.cpu_mean !== undefined) out.push(['CPU mean', `${k.cpu_mean.toFixed(0)} %`]);
  if (k?.read_MB_s_p95 !== null && k?.read_MB_s_p95 !== undefined) out.push(['read p95', `${k.read_MB_s_p95.toFixed(1)} MB/s`]);
  return out;
}

function factsTable(msg: RunShow): HTMLTableElement {
  const table = el('table');
  const m = msg.manifest;
  const duration = m?.ended_at ? ` (${((Date.parse(m.ended_at) - Date.parse(m.started_at)) / 1000).toFixed(0)} s)` : '';
  const rows: [string, string][] = m
    ? [
        ['status', m.status + (m.reason ? ` — ${m.reason}` : '')],
        ['started', `${new Date(m.started_at).toLocaleString()}${duration}`],
        [
          'machine',
          m.machine ? `${m.machine.hostname} (${m.machine.os}${m.machine.cores ? `, ${m.machine.cores} cores` : ''}${m.machine.ram_gb ? `, ${m.machine.ram_gb} GB` : ''})` : '—',
        ],
        ['tool', `fastbench ${m.tool.version}`],
      ]
    : [];
  for (const [k, v] of rows) {
    const tr = el('tr');
    tr.append(el('th', k), el('td', v));
    table.append(tr);
  }
  return table;
}

function chartBox(root: HTMLElement, label: string, id: string): HTMLCanvasElement {
  const box = el('div', undefined, 'chart');
  const canvas = el('canvas');
  canvas.setAttribute('aria-label', label);
  canvas.dataset.chart = id;
  box.append(canvas);
  root.append(box);
  return canvas;
}

function timeline(root: HTMLElement, msg: RunShow, suffix = ''): void {
  const t = msg.timeline;
  if (!t || t.t_s.length === 0) return;
  root.append(el('h3', 'Metrics over the run (metrics.csv), phase markers as labelled dashed lines'));
  // Label the phases (open_start, first_pixel, scrub_end…), not each of a thousand timed steps: those have their own chart.
  const phases = t.markers.filter((m) => !repeated(msg).has(m.name));
  toggledChart(root, timelineChart({ ...t, markers: phases }), suffix, (series) => series);
}

/** A chart with a checkbox per series above it (the series' label as the box's data-series, for the tests). */
function toggledChart(root: HTMLElement, spec: ChartSpec, suffix: string, labelOf: (series: string) => string): void {
  const toggles = el('div', undefined, 'toggles');
  root.append(toggles);
  const canvas = chartBox(root, spec.title, spec.id + suffix);
  const config = { ...spec.config, options: { ...spec.config.options, maintainAspectRatio: false }, plugins: chartPlugins() } as unknown as ChartConfiguration;
  const chart = new Chart(canvas, config);
  charts.push(chart);
  chart.data.datasets.forEach((ds, i) => {
    const box = el('input');
    box.type = 'checkbox';
    box.checked = chart.isDatasetVisible(i);
    box.dataset.series = String(ds.label);
    box.addEventListener('change', () => {
      chart.setDatasetVisibility(i, box.checked);
      chart.update();
      reportShown();
    });
    const l = el('label');
    l.append(box, ` ${labelOf(String(ds.label))}`);
    toggles.append(l);
  });
}

/** Each class's files: one collapsible list per class, the storage ones (NAS, FAST_cache) open. */
function openFiles(root: HTMLElement, msg: RunShow): void {
  if (!msg.openFiles.length && !msg.openFilesError) return;
  root.append(el('h3', 'Open files by class (open_files.tsv)'));
  if (msg.openFilesError) root.append(el('p', msg.openFilesError, 'error'));
  for (const c of msg.openFiles) {
    const details = el('details', undefined, 'open-files');
    details.dataset.class = c.class;
    details.open = c.class === 'NAS' || c.class === 'FAST_cache';
    details.append(el('summary', `${c.class} · ${c.count} file${c.count === 1 ? '' : 's'}`));
    const ul = el('ul');
    for (const f of c.files) ul.append(el('li', f));
    if (c.more) ul.append(el('li', `… and ${c.more} more`, 'muted'));
    details.append(ul);
    root.append(details);
  }
}

/** Marker names that repeat more than a few times (timed steps such as `inline`). */
function repeated(msg: RunShow): Set<string> {
  const counts = new Map<string, number>();
  for (const m of msg.markers) counts.set(m.name, (counts.get(m.name) ?? 0) + 1);
  return new Set([...counts].filter(([, n]) => n > MAX_PHASE_REPEATS).map(([name]) => name));
}
const MAX_PHASE_REPEATS = 20;
/** At most this many points per step series: each is the slowest step of a run of consecutive steps (spikes stay). */
const STEP_POINTS = 400;

const STEP_DETAIL = /^#\d+\s+(\d+(?:\.\d+)?)\s*ms\b/;

/** Each timed step's duration over the run (ms), decimated to STEP_POINTS by keeping each bucket's maximum. */
function stepChart(root: HTMLElement, msg: RunShow, suffix = ''): void {
  const series = new Map<string, { x: number; y: number }[]>();
  for (const m of msg.markers) {
    const hit = STEP_DETAIL.exec(m.detail);
    if (!hit) continue;
    const list = series.get(m.name) ?? [];
    list.push({ x: m.t_run_ms / 1000, y: Number(hit[1]) });
    series.set(m.name, list);
  }
  if (series.size === 0) return;
  root.append(el('h3', 'Step durations (step markers)'));
  const palette = ['#ff7f0e', '#1f77b4', '#2ca02c', '#9467bd'];
  const canvas = chartBox(root, 'Step durations', 'steps' + suffix);
  const config: ChartConfiguration<'line'> = {
    type: 'line',
    data: {
      datasets: [...series].map(([name, points], i) => ({
        label: `${name} (ms)`,
        data: decimateMax(points, STEP_POINTS),
        borderColor: palette[i % palette.length],
        backgroundColor: palette[i % palette.length],
        pointRadius: 0,
        borderWidth: 1.5,
      })),
    },
    options: {
      animation: false,
      parsing: false,
      maintainAspectRatio: false,
      scales: {
        x: { type: 'linear', title: { display: true, text: 'seconds from run start' } },
        y: { type: 'linear', beginAtZero: true, title: { display: true, text: 'step duration (ms)' } },
      },
    },
  };
  charts.push(new Chart(canvas, config));
}

function decimateMax(points: { x: number; y: number }[], max: number): { x: number; y: number }[] {
  if (points.length <= max) return points;
  const out: { x: number; y: number }[] = [];
  for (let b = 0; b < max; b++) {
    const lo = Math.floor((b * points.length) / max);
    const hi = Math.floor(((b + 1) * points.length) / max);
    let best = points[lo]!;
    for (let i = lo + 1; i < hi; i++) if (points[i]!.y > best.y) best = points[i]!;
    out.push(best);
  }
  return out;
}

function markerChart(root: HTMLElement, msg: RunShow): void {
  // The phases only; timed steps are in the step chart above.
  const skip = repeated(msg);
  const shown = msg.markers.filter((m) => !skip.has(m.name));
  const names = [...new Set(shown.map((m) => m.name))];
  const canvas = chartBox(root, 'Marker timeline', 'markers');
  const config: ChartConfiguration<'scatter'> = {
    type: 'scatter',
    data: {
      datasets: [
        {
          label: 'markers',
          data: shown.map((m) => ({ x: m.t_run_ms / 1000, y: names.indexOf(m.name) })),
          pointRadius: 4,
          backgroundColor: '#1f77b4',
        },
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      plugins: { legend: { display: false }, tooltip: { callbacks: { label: (ctx) => tip(shown[ctx.dataIndex]!) } } },
      scales: {
        x: { type: 'linear', title: { display: true, text: 'seconds from run start' } },
        // One tick per marker name, on the integers where the points are (not Chart.js's own half-steps).
        y: {
          type: 'linear',
          min: -0.5,
          max: names.length - 0.5,
          afterBuildTicks: (axis) => {
            axis.ticks = names.map((_, i) => ({ value: i }));
          },
          ticks: { autoSkip: false, callback: (v) => names[Number(v)] ?? '' },
          title: { display: true, text: 'marker' },
        },
      },
    },
  };
  charts.push(new Chart(canvas, config));
}

function tip(m: RunShow['markers'][number]): string {
  return `${m.name} @ ${(m.t_run_ms / 1000).toFixed(3)} s${m.detail ? ` — ${m.detail}` : ''}`;
}

function shown(rows: [string, string][], renderMs: number): RunShown {
  return {
    headline: rows,
    charts: charts.map((c) => ({
      id: (c.canvas as HTMLCanvasElement).dataset.chart ?? '',
      datasets: c.data.datasets.map((d, i) => ({ label: String(d.label ?? ''), points: (d.data as unknown[]).length, hidden: !c.isDatasetVisible(i) })),
      axes: Object.values(c.scales).map((s) => {
        const o = s.options as unknown as { title?: { display?: boolean; text?: unknown } };
        return { id: s.id, title: o.title?.display ? String(o.title.text) : '', ticks: s.ticks.map((t) => String(t.label ?? '')) };
      }),
    })),
    renderMs,
  };
}

/** The last render, so a toggled series can be reported again with the same figures. */
let last: { folder: string; rows: [string, string][]; renderMs: number } | undefined;

function post(folder: string, rows: [string, string][], renderMs: number): void {
  last = { folder, rows, renderMs };
  vscodeApi.postMessage({ type: 'run/shown', folder, shown: shown(rows, renderMs) });
}

function reportShown(): void {
  if (last) vscodeApi.postMessage({ type: 'run/shown', folder: last.folder, shown: shown(last.rows, last.renderMs) });
}

function render(msg: RunShow, received: number): void {
  const root = document.getElementById('root')!;
  for (const c of charts) c.destroy();
  charts = [];
  root.replaceChildren();
  const m = msg.manifest;
  root.append(el('h2', m ? `${m.mode} · ${m.cache_policy} · ${m.workflow} #${m.repeat}` : msg.folder));
  root.append(el('p', m?.run_id ?? '', 'muted'));
  if (msg.manifestError) root.append(el('p', `run.json: ${msg.manifestError}`, 'error'));
  const rows = headline(msg);
  const cards = el('div', undefined, 'cards');
  for (const [k, v] of rows) {
    const card = el('div', undefined, 'card');
    card.append(el('div', k, 'k'), el('div', v, 'v'));
    cards.append(card);
  }
  root.append(cards);
  if (msg.analysisError) root.append(el('p', `analysis: ${msg.analysisError}`, 'error'));
  if (msg.evidence.length) {
    root.append(el('h3', 'Cache policy evidence (run.json)'));
    const ul = el('ul', undefined, 'evidence');
    for (const line of msg.evidence) ul.append(el('li', line));
    root.append(ul);
  }
  openFiles(root, msg);
  root.append(factsTable(msg));
  timeline(root, msg);
  stepChart(root, msg);
  root.append(el('h3', `Markers (${msg.markers.length})`));
  if (msg.markersError) root.append(el('p', msg.markersError, 'error'));
  if (msg.markers.length) markerChart(root, msg);
  requestAnimationFrame(() => post(msg.folder, rows, performance.now() - received));
}

const label = (m: RunShow) => (m.manifest ? `${m.manifest.mode} · ${m.manifest.cache_policy} · ${m.manifest.workflow} #${m.manifest.repeat}` : m.folder);
const number = (v: string) => {
  const m = /^(-?\d+(?:\.\d+)?)\s*(s|ms|%|MB\/s)$/.exec(v);
  return m ? { x: Number(m[1]), unit: m[2] } : null;
};

/** A and B on one time axis (the overlay), phases only (not each timed step), with a toggle per series. */
function overlay(root: HTMLElement, msg: RunCompare): void {
  const a = msg.a.timeline;
  const b = msg.b.timeline;
  if (!a?.t_s.length || !b?.t_s.length) return;
  root.append(el('h3', 'A vs B over time (metrics.csv): process read MB/s and CPU, B dashed'));
  const phasesOf = (m: RunShow, t: NonNullable<RunShow['timeline']>) => ({ ...t, markers: t.markers.filter((x) => !repeated(m).has(x.name)) });
  toggledChart(root, overlayTimelineChart(phasesOf(msg.a, a), phasesOf(msg.b, b), label(msg.a), label(msg.b)), '', (series) => series.replace(/ \(.*\)$/, ''));
}

/** Two runs side by side: their headline figures in one table (with B/A where both are one number), then each run's charts. */
function renderCompare(msg: RunCompare, received: number): void {
  const root = document.getElementById('root')!;
  for (const c of charts) c.destroy();
  charts = [];
  root.replaceChildren();
  root.append(el('h2', `${label(msg.a)}  vs  ${label(msg.b)}`));
  const left = new Map(headline(msg.a));
  const right = new Map(headline(msg.b));
  const keys = [...new Set([...left.keys(), ...right.keys()])];
  const table = el('table', undefined, 'compare');
  const head = el('tr');
  for (const h of ['', label(msg.a), label(msg.b), 'right / left']) head.append(el('th', h));
  table.append(head);
  const rows: [string, string][] = [];
  for (const k of keys) {
    const a = left.get(k) ?? '—';
    const b = right.get(k) ?? '—';
    const x = number(a);
    const y = number(b);
    const ratio = x && y && x.unit === y.unit && x.x !== 0 ? `×${(y.x / x.x).toFixed(2)}` : '';
    const tr = el('tr');
    tr.append(el('th', k), el('td', a, 'num'), el('td', b, 'num'), el('td', ratio, 'num'));
    table.append(tr);
    rows.push([k, `${a} | ${b} | ${ratio}`]);
  }
  root.append(table);
  overlay(root, msg);
  const sides = el('div', undefined, 'sides');
  root.append(sides);
  for (const [side, m] of [
    ['a', msg.a],
    ['b', msg.b],
  ] as const) {
    const col = el('div', undefined, 'side');
    col.append(el('h3', label(m)));
    sides.append(col);
    timeline(col, m, `:${side}`);
    stepChart(col, m, `:${side}`);
  }
  requestAnimationFrame(() => post(`compare:${msg.a.folder}|${msg.b.folder}`, rows, performance.now() - received));
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const received = performance.now();
  const parsed = toViewSchema.safeParse(event.data);
  if (!parsed.success) {
    vscodeApi.postMessage({ type: 'view/error', message: `unexpected message: ${parsed.error.issues[0]?.message ?? '?'}` });
    return;
  }
  if (parsed.data.type === 'run/compare') renderCompare(parsed.data, received);
  else render(parsed.data, received);
});
vscodeApi.postMessage({ type: 'view/ready' });
