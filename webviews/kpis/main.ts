import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Title,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import { DURATION_KPIS, type ComparisonRow } from '../../extension/shared/kpi';
import { analysisCharts, BAR_CHARTS, barGroups, chartPlugins, type ChartSpec } from '../../extension/shared/kpiCharts';
import { toKpiViewSchema, type FromKpiView, type KpiFilter, type KpiShown, type ToKpiView } from '../../extension/shared/kpiViewProtocol';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LogarithmicScale, LineController, LineElement, PointElement, Legend, Title, Tooltip);

type VsCodeApi = { postMessage(message: FromKpiView): void };
declare function acquireVsCodeApi(): VsCodeApi;
const vscodeApi = acquireVsCodeApi();

type Show = Extract<ToKpiView, { type: 'kpis/show' }>;
let charts: Chart[] = [];

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (cls) node.className = cls;
  return node;
}

const KPI_LABELS: Record<string, string> = {
  open_time_s: 'open s',
  scrub_time_s: 'scrub s',
  attr_time_s: 'attribute s',
  horizon_time_s: 'horizon s',
  export_time_s: 'export s',
  cpu_mean: 'CPU %',
  proc_cpu_mean: 'process CPU %',
  gpu_mean: 'GPU %',
  read_MB_s_p95: 'read MB/s p95',
  fast_requests: 'FAST requests',
  fast_hit_ratio: 'FAST hit ratio',
  fast_latency_p50_ms: 'FAST p50 (ms)',
  fast_latency_p95_ms: 'FAST p95 (ms)',
};

const fmt = (v: number | null, digits = 3): string => (v === null ? '—' : Number(v.toPrecision(digits)).toString());

/** The verdict, short enough for a side panel; the full sentence is the cell's tooltip. */
function shortVerdict(c: ComparisonRow): { text: string; cls: string } {
  const m = /^B_fast is (\d+ %) (slower|faster)/.exec(c.verdict);
  if (m) return { text: `B ${m[1]} ${m[2]}`, cls: m[2] === 'slower' ? 'slower' : 'faster' };
  if (c.verdict.startsWith('too few')) return { text: 'too few runs', cls: 'muted' };
  if (c.verdict.startsWith('no detectable')) return { text: 'no diff.', cls: 'muted' };
  return { text: c.verdict, cls: '' };
}

type Run = Show['runs'][number];

function runsOf(msg: Show, where: (k: Run) => boolean): string[] {
  return msg.runs.filter(where).map((k) => k.run_id);
}

function reveal(runIds: string[], label: string): void {
  if (runIds.length > 0) vscodeApi.postMessage({ type: 'kpis/reveal', runIds, label });
}

function filters(msg: Show): HTMLElement {
  const box = el('div', undefined, 'filters');
  for (const key of ['campaign', 'machine', 'workflow'] as const) {
    const label = el('label', key);
    const select = el('select');
    select.setAttribute('aria-label', `filter by ${key}`);
    select.dataset.filter = key;
    select.append(new Option(`all (${msg.options[key].length})`, ''));
    for (const v of msg.options[key]) select.append(new Option(v, v, false, msg.filter[key] === v));
    select.addEventListener('change', () => {
      const filter: KpiFilter = { ...msg.filter, [key]: select.value === '' ? null : select.value };
      vscodeApi.postMessage({ type: 'kpis/filter', filter });
    });
    label.append(select);
    box.append(label);
  }
  return box;
}

function verdictTable(msg: Show): HTMLTableElement {
  const { result } = msg;
  // Name only what differs between rows (like the charts' labels): a side panel is narrow.
  const show = { machine: new Set(result.comparisons.map((c) => c.machine)).size > 1, workflow: new Set(result.comparisons.map((c) => c.workflow)).size > 1 };
  const table = el('table', undefined, 'verdicts');
  const head = el('tr');
  for (const [h, tip] of [
    ['group', 'machine · workflow · cache policy (what differs between rows)'],
    ['KPI', ''],
    ['A', 'median of A_shared (NAS share), n runs'],
    ['B', 'median of B_fast (FAST over Azure), n runs'],
    ['B/A', 'ratio of medians with its 95 % bootstrap CI'],
    ['verdict', 'Mann-Whitney U, p < 0.05 and the CI excluding 1'],
  ]) {
    const th = el('th', h);
    if (tip) th.title = tip;
    head.append(th);
  }
  table.append(head);
  // Durations first (what a user feels), then the machine figures, each in the core's order.
  const rows = [...result.comparisons].sort((a, b) => Number(!DURATION_KPIS.includes(a.kpi)) - Number(!DURATION_KPIS.includes(b.kpi)));
  for (const c of rows) {
    const tr = el('tr', undefined, 'row');
    tr.tabIndex = 0;
    const group = [show.machine ? c.machine : '', show.workflow ? c.workflow : '', c.cache_policy].filter(Boolean).join(' · ');
    const v = shortVerdict(c);
    const ratio = el('td', c.ratio_B_over_A === null ? '—' : `×${fmt(c.ratio_B_over_A)}`, 'num');
    if (c.ci95_low !== null && c.ci95_high !== null) ratio.append(el('span', ` [${fmt(c.ci95_low)}, ${fmt(c.ci95_high)}]`, 'ci'));
    const median = (m: number, n: number) => {
      const td = el('td', fmt(m), 'num');
      td.append(el('span', ` n${n}`, 'n'));
      return td;
    };
    tr.append(el('td', group), el('td', KPI_LABELS[c.kpi] ?? c.kpi), median(c.median_A_shared, c.n_A_shared), median(c.median_B_fast, c.n_B_fast), ratio, el('td', v.text, v.cls));
    tr.title = `${[c.machine, c.workflow, c.cache_policy].join(' · ')}, ${c.kpi}: ${c.verdict}\nClick or Enter: show these runs in the Runs view`;
    const ids = runsOf(
      msg,
      (k) => k.workflow === c.workflow && k.cache_policy === c.cache_policy && (result.grouping === 'pooled' || (k.machine ?? 'unknown machine') === c.machine),
    );
    const label = [c.workflow, c.cache_policy].join(' · ');
    const go = () => reveal(ids, label);
    tr.addEventListener('click', go);
    tr.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        go();
      }
    });
    table.append(tr);
  }
  return table;
}

function drawChart(root: HTMLElement, spec: ChartSpec, msg: Show): Chart {
  const { result } = msg;
  const box = el('div', undefined, 'chart');
  const canvas = el('canvas');
  canvas.setAttribute('aria-label', spec.title);
  canvas.dataset.chart = spec.id;
  box.append(canvas);
  root.append(box);
  const bar = BAR_CHARTS.find((b) => b.id === spec.id);
  const groups = bar ? barGroups(result, bar.kpi) : [];
  const config = {
    ...spec.config,
    options: {
      ...spec.config.options,
      maintainAspectRatio: false,
      onClick: (_e: unknown, elements: { datasetIndex: number; index: number }[]) => {
        const hit = elements[0];
        const g = hit && groups[hit.index];
        if (!hit || !g) return;
        const mode = hit.datasetIndex === 0 ? 'A_shared' : 'B_fast';
        reveal(
          runsOf(
            msg,
            (k) =>
              k.mode === mode && k.workflow === g.workflow && k.cache_policy === g.cache_policy && (result.grouping === 'pooled' || (k.machine ?? 'unknown machine') === g.machine),
          ),
          `${mode} · ${g.key}`,
        );
      },
    },
    plugins: chartPlugins(),
  } as unknown as ChartConfiguration;
  return new Chart(canvas, config);
}

function flagList(msg: Show): HTMLElement {
  const list = el('ul', undefined, 'flags');
  for (const f of msg.result.flags) {
    const li = el('li', `${f.run_id} — ${f.kind.replace(/_/g, ' ')}: ${f.detail}`);
    li.tabIndex = 0;
    li.title = 'Show this run in the Runs view';
    li.addEventListener('click', () => reveal([f.run_id], f.run_id));
    list.append(li);
  }
  return list;
}

function axisTitle(options: { title?: { display?: boolean; text?: unknown } }): string {
  return options.title?.display ? String(options.title.text) : '';
}

/** What the page shows now, read back from the DOM and the Chart.js instances. */
function shown(filter: KpiFilter, renderMs: number): KpiShown {
  const text = (n: Element) => (n.textContent ?? '').trim();
  return {
    table: [...document.querySelectorAll('table.verdicts tr.row')].map((tr) => [...tr.children].map(text)),
    charts: charts.map((c) => ({
      id: (c.canvas as HTMLCanvasElement).dataset.chart ?? '',
      title: String((c.options.plugins?.title as { text?: unknown } | undefined)?.text ?? ''),
      labels: (c.data.labels ?? []).map((l) => (Array.isArray(l) ? l.join(' ') : String(l))),
      datasets: c.data.datasets.map((d) => ({
        label: String(d.label ?? ''),
        data: (d.data as unknown[]).map((v) => (typeof v === 'number' ? v : v && typeof v === 'object' && 'y' in v ? Number((v as { y: unknown }).y) : null)),
        whiskers: ((d as { whiskers?: ([number, number] | null)[] }).whiskers ?? []).map((w) => w ?? null),
      })),
      axes: Object.values(c.scales).map((s) => ({
        id: s.id,
        title: axisTitle(s.options as unknown as { title?: { display?: boolean; text?: unknown } }),
        ticks: s.ticks.map((t) => String(t.label ?? '')),
      })),
    })),
    flags: [...document.querySelectorAll('ul.flags li')].map(text),
    filter,
    message: text(document.getElementById('summary') ?? document.body),
    renderMs,
  };
}

function render(msg: ToKpiView, received: number): void {
  const root = document.getElementById('root')!;
  for (const c of charts) c.destroy();
  charts = [];
  root.replaceChildren();
  if (msg.type === 'kpis/loading') {
    root.append(el('p', `Analysing ${msg.folder}…`, 'muted'));
    return;
  }
  if (msg.type === 'kpis/empty') {
    root.append(el('p', msg.message, 'muted'));
    return;
  }
  const { result } = msg;
  const campaigns = new Set(msg.runs.map((k) => k.campaign).filter(Boolean)).size;
  const summary = el(
    'p',
    `${msg.runs.length} run${msg.runs.length === 1 ? '' : 's'} · ${campaigns} campaign${campaigns === 1 ? '' : 's'} · analysed in ${Math.round(msg.analysisMs)} ms`,
    'muted',
  );
  summary.id = 'summary';
  summary.title = msg.folder;
  root.append(filters(msg), summary);
  root.append(el('h3', 'A_shared vs B_fast'));
  if (result.comparisons.length === 0) root.append(el('p', 'No comparison yet: each side needs complete runs of the same workflow and cache policy.', 'muted'));
  else root.append(verdictTable(msg));
  const specs = analysisCharts(result);
  if (specs.length) root.append(el('h3', 'Medians by workflow and cache policy'));
  for (const spec of specs) charts.push(drawChart(root, spec, msg));
  root.append(el('h3', `Flagged runs (${msg.flagCount})`));
  if (msg.flagCount) root.append(flagList(msg));
  else root.append(el('p', 'None.', 'muted'));
  if (msg.flagCount > result.flags.length) root.append(el('p', `… and ${msg.flagCount - result.flags.length} more (all in analysis.json from "fastbench analyze").`, 'muted'));
  if (result.skipped.length) root.append(el('p', `${result.skipped.length} folder(s) skipped: ${result.skipped.map((s) => `${s.folder}: ${s.reason}`).join('; ')}`, 'muted'));
  // Measured after the browser has laid out and painted the charts.
  requestAnimationFrame(() => {
    const renderMs = performance.now() - received;
    vscodeApi.postMessage({ type: 'kpis/shown', shown: shown(msg.filter, renderMs) });
  });
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const received = performance.now();
  const parsed = toKpiViewSchema.safeParse(event.data);
  if (!parsed.success) {
    vscodeApi.postMessage({ type: 'view/error', message: `unexpected message: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message ?? '?'}` });
    return;
  }
  render(parsed.data, received);
});
// Keyboard: when the view gets focus (e.g. "Focus on KPIs View"), the first verdict row takes it; ↑/↓ move between
// rows, Enter or Space shows the row's runs in the Runs view.
window.addEventListener('focus', () => {
  if (document.activeElement === document.body || document.activeElement === null) document.querySelector<HTMLElement>('tr.row')?.focus();
});
document.addEventListener('keydown', (e) => {
  const row = (e.target as HTMLElement).closest?.('tr.row');
  if (!row || (e.key !== 'ArrowDown' && e.key !== 'ArrowUp')) return;
  e.preventDefault();
  const next = (e.key === 'ArrowDown' ? row.nextElementSibling : row.previousElementSibling) as HTMLElement | null;
  if (next?.classList.contains('row')) next.focus();
});
vscodeApi.postMessage({ type: 'view/ready' });
