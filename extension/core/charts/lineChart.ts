import { Raster, type Rgb } from './raster';

export type ChartPoint = { x: number; y: number; /** drawn as a hollow red ring: e.g. "client-bound" */ flag?: boolean };
export type ChartSeries = { name: string; color: Rgb; points: ChartPoint[]; markers?: boolean };
export type LineChartSpec = {
  title: string;
  xLabel: string;
  yLabel: string;
  series: ChartSeries[];
  /** Log2 x axis with ticks at the given values (stream counts 1, 2, 4, 8…). */
  xLog2Ticks?: number[];
  /** Legend text for flagged points. */
  flagLabel?: string;
  width?: number;
  height?: number;
};

export const PALETTE: Rgb[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
];
const INK: Rgb = [40, 40, 40];
const GRID: Rgb = [225, 225, 225];
const FLAG: Rgb = [214, 39, 40];

/** Round tick values covering [0, max]: 1, 2 or 5 × 10^k apart. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) max = min + 1;
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = Math.floor(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Math.round(v / step) * step);
  if (ticks[ticks.length - 1]! < max) ticks.push(ticks[ticks.length - 1]! + step);
  return ticks;
}

const label = (v: number) => (Math.abs(v) >= 1000 ? v.toFixed(0) : Number(v.toPrecision(4)).toString());

/** Where a chart puts things: size, plot area, ticks and the data → pixel maps (tests read pixels back with them). */
export function chartLayout(spec: LineChartSpec) {
  const W = spec.width ?? 760;
  const H = spec.height ?? 440;
  const all = spec.series.flatMap((s) => s.points);
  const left = 70;
  const right = W - 20;
  const top = 64;
  const bottom = H - 52;
  const yTicks = niceTicks(0, Math.max(1e-9, ...all.map((p) => p.y)));
  const yMax = yTicks[yTicks.length - 1]!;
  const log = spec.xLog2Ticks !== undefined;
  const xs = log ? spec.xLog2Ticks!.map(Math.log2) : [];
  const xTicks = log ? spec.xLog2Ticks! : niceTicks(Math.min(0, ...all.map((p) => p.x)), Math.max(...all.map((p) => p.x), 1e-9));
  const xMin = log ? Math.min(...xs) : xTicks[0]!;
  const xMax = log ? Math.max(...xs) : xTicks[xTicks.length - 1]!;
  const px = (x: number) => left + (((log ? Math.log2(x) : x) - xMin) / (xMax - xMin || 1)) * (right - left);
  const py = (y: number) => bottom - (y / yMax) * (bottom - top);
  return { W, H, left, right, top, bottom, all, xTicks, yTicks, px, py };
}

/** A line chart as PNG: axes with round ticks, grid, one line per series, a legend under the title. */
export function renderLineChart(spec: LineChartSpec): Buffer {
  const { W, H, left, right, top, bottom, all, xTicks, yTicks, px, py } = chartLayout(spec);
  const r = new Raster(W, H);
  r.text(W / 2, 10, spec.title, INK, 'center');

  // Legend: one swatch per series, plus the flag when any point carries it.
  let lx = left;
  const legend = [
    ...spec.series.map((s) => ({ name: s.name, color: s.color, ring: false })),
    ...(all.some((p) => p.flag) && spec.flagLabel ? [{ name: spec.flagLabel, color: FLAG, ring: true }] : []),
  ];
  for (const item of legend) {
    if (item.ring) {
      r.circle(lx + 8, 38, 5, item.color);
      r.circle(lx + 8, 38, 3, [255, 255, 255]);
    } else r.line(lx, 38, lx + 16, 38, item.color, 3);
    r.text(lx + 22, 32, item.name, INK);
    lx += 22 + Raster.textWidth(item.name) + 18;
  }

  for (const t of yTicks) {
    r.line(left, py(t), right, py(t), GRID, 1);
    r.text(left - 6, py(t) - 6, label(t), INK, 'right');
  }
  for (const t of xTicks) {
    r.line(px(t), top, px(t), bottom, GRID, 1);
    r.text(px(t), bottom + 6, label(t), INK, 'center');
  }
  r.line(left, bottom, right, bottom, INK, 1);
  r.line(left, top, left, bottom, INK, 1);
  r.text((left + right) / 2, H - 20, spec.xLabel, INK, 'center');
  r.textVertical(16, (top + bottom) / 2, spec.yLabel, INK);

  for (const s of spec.series) {
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    for (let i = 1; i < pts.length; i++) r.line(px(pts[i - 1]!.x), py(pts[i - 1]!.y), px(pts[i]!.x), py(pts[i]!.y), s.color, 2);
    if (s.markers ?? true) for (const p of pts) r.circle(px(p.x), py(p.y), 3.5, s.color);
    for (const p of pts.filter((q) => q.flag)) {
      r.circle(px(p.x), py(p.y), 8, FLAG);
      r.circle(px(p.x), py(p.y), 6, [255, 255, 255]);
      r.circle(px(p.x), py(p.y), 3.5, s.color);
    }
  }
  return r.toPng();
}
