import { CHART_SIZE, chartPlugins, type ChartSpec } from '../../shared/kpiCharts';

// PNG files of the report's charts for slides and mail: Chart.js itself drawing on a Skia canvas
// (@napi-rs/canvas, prebuilt per platform), from the very configurations report.html uses, so the PNG and the
// interactive chart cannot drift apart. Loaded on first use only: the native module stays out of start-up paths.

type ChartCtor = new (canvas: unknown, config: unknown) => { destroy(): void };
let chartCtor: ChartCtor | undefined;

function loadChart(): ChartCtor {
  if (!chartCtor) {
    const { Chart, registerables } = require('chart.js') as { Chart: ChartCtor & { register(...items: unknown[]): void }; registerables: unknown[] };
    Chart.register(...registerables);
    chartCtor = Chart;
  }
  return chartCtor;
}

export function renderChartPng(spec: ChartSpec, size: { width: number; height: number } = CHART_SIZE): Buffer {
  let canvasModule: typeof import('@napi-rs/canvas');
  try {
    canvasModule = require('@napi-rs/canvas') as typeof import('@napi-rs/canvas');
  } catch (e) {
    throw new Error(`cannot draw PNG charts: the @napi-rs/canvas native module did not load (${(e as Error).message.split('\n')[0]}); reinstall FastBench for this platform`);
  }
  const Chart = loadChart();
  const canvas = canvasModule.createCanvas(size.width, size.height);
  const chart = new Chart(canvas, {
    ...spec.config,
    options: { ...spec.config.options, responsive: false, animation: false, devicePixelRatio: 1 },
    plugins: chartPlugins(),
  });
  try {
    return canvas.toBuffer('image/png');
  } finally {
    chart.destroy();
  }
}
