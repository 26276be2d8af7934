import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

// A self-contained HTML page: everything inline, no network. Interactive Chart.js charts when the
// Chart.js UMD build can be found (it is a dependency of FastBench), the PNG charts otherwise.

export type HtmlChart = {
  id: string;
  title: string;
  /** A Chart.js configuration (plain JSON). */
  config: unknown;
  /** The same chart as PNG, shown when Chart.js is not available. */
  png: Buffer;
};

/** Chart.js's UMD file, from node_modules beside the running bundle or the given roots. */
export function findChartJsUmd(roots: string[] = []): string | undefined {
  // dist/vendor/ is where the build copies it, so an installed extension (no node_modules) has it too.
  const candidates = [path.join(__dirname, 'vendor', 'chart.umd.min.js'), ...roots.map((r) => path.join(r, 'node_modules', 'chart.js', 'dist', 'chart.umd.min.js'))];
  try {
    candidates.push(createRequire(path.join(__dirname, 'noop.js')).resolve('chart.js/dist/chart.umd.min.js'));
  } catch {
    // not installed beside the bundle
  }
  for (const c of candidates) {
    try {
      return readFileSync(c, 'utf8');
    } catch {
      // try the next
    }
  }
  return undefined;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** JSON inside <script>: "</script>" and "<!--" must not end or confuse the element. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

export function renderChartPage(options: { title: string; preText: string; charts: HtmlChart[]; tablesHtml: string; chartJs: string | undefined }): string {
  const { title, preText, charts, tablesHtml, chartJs } = options;
  const figures = charts
    .map((c) =>
      chartJs
        ? `<figure><figcaption>${escapeHtml(c.title)}</figcaption><div class="box"><canvas id="${c.id}"></canvas></div></figure>`
        : `<figure><figcaption>${escapeHtml(c.title)}</figcaption><img alt="${escapeHtml(c.title)}" src="data:image/png;base64,${c.png.toString('base64')}"></figure>`,
    )
    .join('\n');
  const script = chartJs
    ? `<script>${chartJs.replace(/<\/script/gi, '<\\/script')}</script>
<script>
const charts = ${scriptJson(Object.fromEntries(charts.map((c) => [c.id, c.config])))};
for (const [id, config] of Object.entries(charts)) new Chart(document.getElementById(id), config);
</script>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px auto; max-width: 1000px; color: #222; padding: 0 16px; }
pre { background: #f6f6f6; padding: 12px; overflow-x: auto; font-size: 12.5px; }
figure { margin: 24px 0; } figcaption { font-weight: 600; margin-bottom: 8px; }
.box { position: relative; height: 420px; } img { max-width: 100%; }
table { border-collapse: collapse; margin: 12px 0; } td, th { border: 1px solid #ddd; padding: 4px 10px; text-align: right; }
th { background: #f0f0f0; } td:first-child, th:first-child { text-align: left; }
.bound { color: #c62828; font-weight: 600; }
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<pre>${escapeHtml(preText)}</pre>
${figures}
${tablesHtml}
${script}
</body></html>
`;
}
