import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isFailed, type Baseline, type LatencyStats, type Throughput } from '../../shared/baseline';
import { findChartJsUmd, renderChartPage, type HtmlChart } from '../charts/chartHtml';
import { PALETTE, renderLineChart, type ChartSeries } from '../charts/lineChart';
import { baselineSummary } from './baselineSummary';

export const BASELINE_FILES = {
  json: 'baseline.json',
  summary: 'baseline_summary.txt',
  throughputPng: 'throughput_vs_streams.png',
  rttPng: 'rtt_distribution.png',
  html: 'baseline.html',
} as const;

const ok = <T>(v: T | { error: string } | null | undefined): v is T => v !== null && v !== undefined && !isFailed(v);

export function throughputSeries(b: Baseline): { series: ChartSeries[]; ticks: number[] } {
  const series: ChartSeries[] = [];
  if (ok(b.azure)) {
    const pts = b.azure.sweep.filter(ok<Throughput>).map((s) => ({ x: s.streams, y: s.MBps, flag: s.cpu.clientBound }));
    if (pts.length) series.push({ name: `Azure ranged GET (${(b.azure.sweep.find(ok<Throughput>)!.blockBytes / 2 ** 20).toFixed(0)} MiB)`, color: PALETTE[0]!, points: pts });
  }
  if (ok(b.nas) && b.nas.read) {
    const pts = [b.nas.read.oneStream, b.nas.read.multiStream].filter(ok<Throughput>).map((s) => ({ x: s.streams, y: s.MBps, flag: s.cpu.clientBound }));
    if (pts.length) series.push({ name: `NAS read (1 MiB${b.nas.read.unbuffered ? ', unbuffered' : ', OS cache not bypassed'})`, color: PALETTE[1]!, points: pts });
  }
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, c) => a - c);
  const ticks: number[] = [];
  for (let v = 1; v <= Math.max(1, ...xs); v *= 2) ticks.push(v);
  for (const x of xs) if (!ticks.includes(x)) ticks.push(x);
  return { series, ticks: ticks.sort((a, c) => a - c) };
}

/** Each RTT measurement as a cumulative distribution: x = ms, y = % of samples at or below. */
export function rttSeries(b: Baseline): ChartSeries[] {
  const lines: [string, LatencyStats | { error: string } | { unavailable: string } | undefined][] = [];
  if (ok(b.nas)) lines.push(['NAS TCP connect', b.nas.tcpConnectRtt], ['NAS ICMP', b.nas.icmpRtt]);
  if (ok(b.azure)) lines.push(['Azure TCP connect', b.azure.tcpConnectRtt], ['Azure request (HEAD)', b.azure.requestRtt], ['Azure TTFB (ranged GET)', b.azure.ttfb]);
  return lines
    .filter((l): l is [string, LatencyStats] => l[1] !== undefined && 'samplesMs' in l[1])
    .map(([name, s], i) => {
      const sorted = [...s.samplesMs].sort((a, c) => a - c);
      return { name, color: PALETTE[(i + 2) % PALETTE.length]!, markers: false, points: sorted.map((v, k) => ({ x: v, y: (100 * (k + 1)) / sorted.length })) };
    });
}

function chartJsConfig(kind: 'throughput' | 'rtt', series: ChartSeries[], ticks: number[]): unknown {
  const rgb = (c: number[]) => `rgb(${c.join(',')})`;
  if (kind === 'throughput')
    return {
      type: 'line',
      data: {
        datasets: series.map((s) => ({
          label: s.name,
          data: s.points.map((p) => ({ x: p.x, y: p.y })),
          borderColor: rgb(s.color),
          backgroundColor: rgb(s.color),
          pointRadius: s.points.map((p) => (p.flag ? 8 : 4)),
          pointBorderColor: s.points.map((p) => (p.flag ? 'rgb(214,39,40)' : rgb(s.color))),
          pointBorderWidth: s.points.map((p) => (p.flag ? 3 : 1)),
        })),
      },
      options: {
        maintainAspectRatio: false,
        scales: {
          x: { type: 'logarithmic', title: { display: true, text: 'streams (red ring: client-bound)' }, min: 1, max: Math.max(...ticks) },
          y: { beginAtZero: true, title: { display: true, text: 'MB/s' } },
        },
      },
    };
  return {
    type: 'line',
    data: { datasets: series.map((s) => ({ label: s.name, data: s.points, borderColor: rgb(s.color), backgroundColor: rgb(s.color), pointRadius: 0, stepped: true })) },
    options: {
      maintainAspectRatio: false,
      scales: { x: { type: 'linear', title: { display: true, text: 'ms' } }, y: { min: 0, max: 100, title: { display: true, text: '% of samples ≤ x' } } },
    },
  };
}

function tablesHtml(b: Baseline): string {
  const rows: string[] = [];
  const esc = (s: string) => s.replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`);
  const tr = (name: string, t: Throughput | { error: string }) =>
    'error' in t
      ? `<tr><td>${esc(name)}</td><td colspan="5">failed: ${esc(t.error)}</td></tr>`
      : `<tr><td>${esc(name)}</td><td>${t.streams}</td><td>${t.MBps.toFixed(1)}</td><td>${t.cpu.procCpuPct.toFixed(0)} %</td><td>${t.cpu.eventLoopPct.toFixed(0)} %</td><td${t.cpu.clientBound ? ' class="bound"' : ''}>${t.cpu.clientBound ? esc(`client-bound: ${t.cpu.why}`) : 'no'}</td></tr>`;
  if (ok(b.azure)) for (const s of b.azure.sweep) rows.push(tr('Azure ranged GET', s));
  if (ok(b.nas) && b.nas.read) rows.push(tr('NAS read', b.nas.read.oneStream), tr('NAS read', b.nas.read.multiStream));
  if (!rows.length) return '';
  return `<h2>Throughput</h2><table><tr><th>what</th><th>streams</th><th>MB/s</th><th>probe CPU (of one core)</th><th>JS thread busy</th><th>client the bottleneck?</th></tr>${rows.join('')}</table>`;
}

/** Writes baseline.json, baseline_summary.txt, the two PNG charts and the HTML page; returns their paths. */
export function writeBaselineOutputs(outDir: string, b: Baseline, options: { chartJsRoots?: string[] } = {}): Record<keyof typeof BASELINE_FILES, string> {
  mkdirSync(outDir, { recursive: true });
  const files = Object.fromEntries(Object.entries(BASELINE_FILES).map(([k, f]) => [k, path.join(outDir, f)])) as Record<keyof typeof BASELINE_FILES, string>;
  const summary = baselineSummary(b);
  writeFileSync(files.json, JSON.stringify(b, null, 2) + '\n');
  writeFileSync(files.summary, summary);
  const tp = throughputSeries(b);
  const throughputPng = renderLineChart({
    title: 'Throughput vs streams (MB/s, higher is better)',
    xLabel: 'streams in flight',
    yLabel: 'MB/s',
    series: tp.series,
    xLog2Ticks: tp.ticks,
    flagLabel: 'client-bound (figure is a floor)',
  });
  const rtt = rttSeries(b);
  const rttPng = renderLineChart({ title: 'Round-trip time distribution (share of samples at or below)', xLabel: 'ms', yLabel: '% of samples', series: rtt });
  writeFileSync(files.throughputPng, throughputPng);
  writeFileSync(files.rttPng, rttPng);
  const charts: HtmlChart[] = [
    { id: 'throughput', title: 'Throughput vs streams', config: chartJsConfig('throughput', tp.series, tp.ticks), png: throughputPng },
    { id: 'rtt', title: 'Round-trip time distribution', config: chartJsConfig('rtt', rtt, []), png: rttPng },
  ];
  writeFileSync(
    files.html,
    renderChartPage({ title: 'FastBench baseline', preText: summary, charts, tablesHtml: tablesHtml(b), chartJs: findChartJsUmd(options.chartJsRoots ?? [process.cwd()]) }),
  );
  return files;
}
