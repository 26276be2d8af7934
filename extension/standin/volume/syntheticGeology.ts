import { mulberry32 } from '../../shared/statistics';

// A synthetic subsurface for the stand-in volume: layered reflectors that dip and fold gently, cut by
// normal faults, convolved with a Ricker wavelet, plus noise. Strong reflectors stay continuous between
// faults so a horizon can be tracked (what W_horizon does), and every sample is a pure function of
// (seed, i, j, k), so bricks can be made in any order and the volume is identical for a seed.

export type Fault = {
  /** Unit normal of the fault trace in the (i, j) plane. */
  nx: number;
  ny: number;
  /** Trace position at k = 0: points with nx·i + ny·j − slope·k > c are on the hanging wall. */
  c: number;
  /** Samples of offset along i/j per sample of depth: how steeply the plane dips. */
  slope: number;
  /** Vertical throw of the hanging wall, in samples. */
  throw: number;
};

export type Geology = {
  dims: [number, number, number];
  /** Reflectivity convolved with the wavelet, sampled every 1/OVERSAMPLE sample of relative time. */
  trace: Float32Array;
  /** Relative time (samples) that trace[0] stands for. */
  traceStart: number;
  dipI: number;
  dipJ: number;
  foldAmplitude: number;
  foldPeriodI: number;
  foldPeriodJ: number;
  foldPhase: number;
  faults: Fault[];
  noise: number;
  seed: number;
  /** |amplitude| that maps to the extremes of the sample range (noise and stacking included). */
  peak: number;
  layers: number;
  /** Relative times of the strong reflectors (the horizons an interpreter would track). */
  horizons: number[];
};

const OVERSAMPLE = 4;

/** mulberry32, seeded: the same seed makes the same volume on every machine. */
export const seededRandom = mulberry32;

function ricker(tSamples: number, peakCyclesPerSample: number): number {
  const a = Math.PI * peakCyclesPerSample * tSamples;
  return (1 - 2 * a * a) * Math.exp(-a * a);
}

export function makeGeology(seed: number, dims: [number, number, number]): Geology {
  const rnd = seededRandom(seed);
  const [ni, nj, nk] = dims;
  const dipI = (rnd() - 0.5) * 0.3;
  const dipJ = (rnd() - 0.5) * 0.2;
  const foldAmplitude = 2 + rnd() * Math.max(2, nk / 40);
  const foldPeriodI = Math.max(32, ni * (0.6 + rnd() * 0.8));
  const foldPeriodJ = Math.max(32, nj * (0.6 + rnd() * 0.8));
  const foldPhase = rnd() * Math.PI * 2;

  // Two normal faults crossing the survey, steep, with throws big enough to see but small enough to
  // follow a horizon across.
  const faults: Fault[] = [];
  for (let f = 0; f < 2; f++) {
    const angle = (f === 0 ? 0.3 : 1.9) + (rnd() - 0.5) * 0.6;
    const nx = Math.cos(angle);
    const ny = Math.sin(angle);
    const centre = nx * ni * (0.35 + 0.3 * f) + ny * nj * (0.35 + 0.3 * f);
    faults.push({ nx, ny, c: centre, slope: 0.25 + rnd() * 0.3, throw: Math.round(6 + rnd() * 14) * (f === 0 ? 1 : -1) });
  }

  // Structure moves relative time by at most this much; the trace must cover it.
  const maxShift = Math.abs(dipI) * ni + Math.abs(dipJ) * nj + foldAmplitude + faults.reduce((s, f) => s + Math.abs(f.throw), 0) + 8;
  const traceStart = -Math.ceil(maxShift) - 16;
  const traceEnd = nk + Math.ceil(maxShift) + 16;
  const length = (traceEnd - traceStart) * OVERSAMPLE;

  // Reflectivity: an interface every 6–24 samples, mostly weak, every fifth one strong (trackable).
  const reflectivity = new Float32Array(length);
  let layers = 0;
  const horizons: number[] = [];
  for (let t = traceStart + 4; t < traceEnd - 4; t += 6 + rnd() * 18) {
    const strong = layers % 5 === 2;
    if (strong) horizons.push(Math.round((t - traceStart) * OVERSAMPLE) / OVERSAMPLE + traceStart);
    const r = strong ? (rnd() < 0.5 ? -1 : 1) * (0.8 + rnd() * 0.2) : (rnd() - 0.5) * 0.6;
    const at = Math.round((t - traceStart) * OVERSAMPLE);
    reflectivity[at] = reflectivity[at]! + r;
    layers++;
  }

  // Convolve with a Ricker wavelet of ~1/12 cycles per sample (a few samples per lobe, like real data).
  const f0 = 1 / 12;
  const half = Math.ceil(2 / f0) * OVERSAMPLE;
  const wavelet = new Float32Array(2 * half + 1);
  for (let w = -half; w <= half; w++) wavelet[w + half] = ricker(w / OVERSAMPLE, f0);
  const trace = new Float32Array(length);
  let peak = 0;
  for (let n = 0; n < length; n++) {
    const r = reflectivity[n]!;
    if (r === 0) continue;
    for (let w = -half; w <= half; w++) {
      const m = n + w;
      if (m >= 0 && m < length) trace[m] = trace[m]! + r * wavelet[w + half]!;
    }
  }
  for (let n = 0; n < length; n++) peak = Math.max(peak, Math.abs(trace[n]!));
  const noise = 0.08 * peak;
  return {
    dims,
    trace,
    traceStart,
    dipI,
    dipJ,
    foldAmplitude,
    foldPeriodI,
    foldPeriodJ,
    foldPhase,
    faults,
    noise,
    seed: seed >>> 0,
    // Lateral gain reaches 1.25 and noise adds 2σ at most; beyond that samples clip, which is rare.
    peak: peak * 1.25 + 2 * noise,
    layers,
    horizons,
  };
}

/** Relative-time shift of the layers under trace (i, j) above all faults, in samples. */
function structureShift(g: Geology, i: number, j: number): number {
  const fold = g.foldAmplitude * Math.sin((2 * Math.PI * i) / g.foldPeriodI + g.foldPhase) * Math.cos((2 * Math.PI * j) / g.foldPeriodJ);
  return g.dipI * i + g.dipJ * j + fold;
}

/** Integer hash of a sample position: uniform noise in [-1, 1) without any state. */
function noiseAt(seed: number, i: number, j: number, k: number): number {
  let h = seed ^ Math.imul(i, 0x9e3779b1) ^ Math.imul(j, 0x85ebca77) ^ Math.imul(k, 0xc2b2ae3d);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  h ^= h >>> 16;
  return (h | 0) / 2147483648;
}

/**
 * Fills one brick (brickSize³ samples, k fastest, then j, then i) starting at sample (i0, j0, k0).
 * Samples outside the volume (partial edge bricks) are zero. `out` is an Int8Array or Int16Array view.
 */
export function fillBrick(g: Geology, out: Int8Array | Int16Array, brickSize: number, i0: number, j0: number, k0: number, maxValue: number): void {
  const [ni, nj, nk] = g.dims;
  const { trace, traceStart, faults } = g;
  const scale = maxValue / g.peak;
  const traceLast = trace.length - 2;
  let p = 0;
  for (let di = 0; di < brickSize; di++) {
    const i = i0 + di;
    for (let dj = 0; dj < brickSize; dj++) {
      const j = j0 + dj;
      if (i >= ni || j >= nj) {
        out.fill(0, p, p + brickSize);
        p += brickSize;
        continue;
      }
      const base = structureShift(g, i, j);
      const gain = 1 + 0.25 * Math.sin(i / 37 + j / 53);
      // Depth where each fault plane passes this trace: above it (smaller k) is the hanging wall.
      const f0 = faults[0]!;
      const f1 = faults[1]!;
      const cross0 = (f0.nx * i + f0.ny * j - f0.c) / f0.slope;
      const cross1 = (f1.nx * i + f1.ny * j - f1.c) / f1.slope;
      for (let dk = 0; dk < brickSize; dk++, p++) {
        const k = k0 + dk;
        if (k >= nk) {
          out[p] = 0;
          continue;
        }
        const shift = base + (k < cross0 ? f0.throw : 0) + (k < cross1 ? f1.throw : 0);
        const x = (k - shift - traceStart) * OVERSAMPLE;
        const n = x < 0 ? 0 : x > traceLast ? traceLast : x | 0;
        const frac = x - n;
        const amp = (trace[n]! + (trace[n + 1]! - trace[n]!) * frac) * gain + g.noise * noiseAt(g.seed, i, j, k);
        const v = Math.round(amp * scale);
        out[p] = v > maxValue ? maxValue : v < -maxValue ? -maxValue : v;
      }
    }
  }
}

/** Relative time of layers at a trace with faults applied: what a perfect horizon tracker would follow. */
export function horizonDepth(g: Geology, i: number, j: number, relativeTime: number): number {
  // Solve k = relativeTime + shift(k) by fixed-point: shift only jumps at fault planes.
  let k = relativeTime + structureShift(g, i, j);
  for (let iter = 0; iter < 4; iter++) {
    let shift = structureShift(g, i, j);
    for (const f of g.faults) if (k < (f.nx * i + f.ny * j - f.c) / f.slope) shift += f.throw;
    k = relativeTime + shift;
  }
  return k;
}
