import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AnalysisResult } from '../../shared/kpi';
import { analysisCharts } from '../../shared/kpiCharts';
import { comparisonCsv, kpisCsv } from '../analysis/csvFiles';
import { findChartJsUmd } from '../charts/chartHtml';
import { renderChartPng } from './pngCharts';
import { renderReportHtml } from './reportHtml';

// OUT/: kpis.csv, comparison_kpis.csv, analysis.json (the whole result, for tools and the VS Code panel),
// report.html and one PNG per chart. Each file is written to a temporary name and renamed, so a reader never sees
// half a file.

export type WrittenOutputs = { files: string[]; warnings: string[] };

async function atomicWrite(file: string, data: string | Buffer): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

export async function writeAnalysisOutputs(result: AnalysisResult, outDir: string, opts: { chartJsRoots?: string[] } = {}): Promise<WrittenOutputs> {
  await mkdir(outDir, { recursive: true });
  const files: string[] = [];
  const warnings: string[] = [];
  const put = async (name: string, data: string | Buffer) => {
    await atomicWrite(path.join(outDir, name), data);
    files.push(path.join(outDir, name));
  };
  await put('kpis.csv', kpisCsv(result));
  await put('comparison_kpis.csv', comparisonCsv(result));
  await put('analysis.json', `${JSON.stringify(result, null, 1)}\n`);
  const pngs = new Map<string, Buffer>();
  for (const chart of analysisCharts(result)) {
    if (!chart.file) continue;
    const png = renderChartPng(chart);
    pngs.set(chart.file, png);
    await put(chart.file, png);
  }
  const chartJs = findChartJsUmd(opts.chartJsRoots ?? [process.cwd()]);
  if (!chartJs) warnings.push('Chart.js was not found beside FastBench: report.html shows the PNG charts instead of interactive ones');
  await put('report.html', renderReportHtml(result, { chartJs, pngs }));
  return { files, warnings };
}
