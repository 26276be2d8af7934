import { Chart, LinearScale, PointElement, ScatterController, Tooltip, type ChartConfiguration } from 'chart.js';
import { toViewSchema, type ToView } from '../../extension/shared/webviewProtocol';
import { vscodeApi } from '../common/vscodeApi';

Chart.register(ScatterController, LinearScale, PointElement, Tooltip);

type RunShow = Extract<ToView, { type: 'run/show' }>;
let chart: Chart | undefined;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (cls) node.className = cls;
  return node;
}

function factsTable(msg: RunShow): HTMLTableElement {
  const table = el('table');
  const m = msg.manifest;
  const rows: [string, string][] = m
    ? [
        ['run', m.run_id],
        ['mode', m.mode],
        ['cache policy', m.cache_policy],
        ['workflow', `${m.workflow} #${m.repeat}`],
        ['status', m.status + (m.reason ? ` — ${m.reason}` : '')],
        ['started', m.started_at],
        ['ended', m.ended_at ?? '—'],
        ['machine', m.machine ? `${m.machine.hostname} (${m.machine.os})` : '—'],
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

function render(msg: RunShow): void {
  const root = document.getElementById('root')!;
  root.replaceChildren();
  root.append(el('h2', msg.manifest?.run_id ?? msg.folder));
  if (msg.manifestError) root.append(el('p', `run.json: ${msg.manifestError}`, 'error'));
  root.append(factsTable(msg));
  root.append(el('h3', `Markers (${msg.markers.length})`));
  if (msg.markersError) root.append(el('p', msg.markersError, 'error'));
  if (msg.markers.length === 0) return;
  const box = el('div', undefined, 'chart');
  const canvas = el('canvas');
  canvas.setAttribute('aria-label', 'Marker timeline');
  box.append(canvas);
  root.append(box);
  const names = [...new Set(msg.markers.map((m) => m.name))];
  const config: ChartConfiguration<'scatter'> = {
    type: 'scatter',
    data: {
      datasets: [
        {
          label: 'markers',
          data: msg.markers.map((m) => ({ x: m.t_run_ms / 1000, y: names.indexOf(m.name) })),
          pointRadius: 5,
        },
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: {
        x: { type: 'linear', title: { display: true, text: 'seconds from run start' } },
        y: { type: 'linear', min: -0.5, max: names.length - 0.5, ticks: { stepSize: 1, callback: (v) => names[Number(v)] ?? '' } },
      },
      plugins: {
        tooltip: {
          callbacks: {
            label: (ctx) => {
              const m = msg.markers[ctx.dataIndex]!;
              return `${m.name} @ ${(m.t_run_ms / 1000).toFixed(3)} s${m.detail ? ` — ${m.detail}` : ''}`;
            },
          },
        },
      },
    },
  };
  chart?.destroy();
  chart = new Chart(canvas, config);
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const parsed = toViewSchema.safeParse(event.data);
  if (!parsed.success) {
    vscodeApi.postMessage({ type: 'view/error', message: `unexpected message: ${parsed.error.issues[0]?.message ?? '?'}` });
    return;
  }
  render(parsed.data);
});
vscodeApi.postMessage({ type: 'view/ready' });
