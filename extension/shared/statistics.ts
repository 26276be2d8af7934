// The one statistics module: the agent, the benches and the analysis all summarise numbers with these functions, so a
// "p95" or a "median" means the same thing everywhere. Pure code (no node:*, no DOM) so a webview can use it too.
//
// Definitions
// - percentile(values, p): linear interpolation between closest ranks, numpy's default ("linear", Hyndman & Fan
//   type 7): sort ascending, rank h = (n − 1)·p/100 (0-based), result = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]).
//   p = 50 is the median (mean of the two middle values for even n). No data → NaN.
// - mad(values): median absolute deviation, median(|x − median(x)|), unscaled. MAD_NORMAL_SCALE (1.4826) makes it a
//   consistent estimator of the standard deviation for normal data; outliers use |x − median| > 3 · 1.4826 · MAD.
// - bootstrapRatioOfMedians: percentile bootstrap (Efron) of median(B)/median(A); each resample draws |A| values from
//   A and |B| from B with replacement; the 95 % CI is the 2.5th and 97.5th percentiles (definition above) of the
//   resampled ratios. Deterministic: a mulberry32 PRNG seeded with BOOTSTRAP_SEED, BOOTSTRAP_RESAMPLES resamples.
// - mannWhitneyU: two-sided Mann-Whitney U as scipy.stats.mannwhitneyu(a, b, alternative='two-sided') computes it
//   by default (method='auto', use_continuity=True): the exact null distribution when there are no ties and not
//   both samples are larger than 8; otherwise the normal approximation with tie correction and continuity
//   correction. The statistic returned is U of the first sample (scipy's U1).

/** Sorted copy, ascending; NaN is not a number we summarise, so callers filter it first. */
function sortedCopy(values: readonly number[]): Float64Array {
  const s = Float64Array.from(values);
  s.sort();
  return s;
}

/** Percentile of already-sorted values (ascending), numpy "linear"; NaN for no data. p in [0, 100]. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile: expected p in [0, 100], got ${p}`);
  const h = ((n - 1) * p) / 100;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  // a + (b − a)·f, written so that equal neighbours give exactly that value.
  return a === b ? a : a + (b - a) * (h - lo);
}

/** Percentile by linear interpolation between closest ranks (numpy's default); NaN for no data. */
export function percentile(values: readonly number[], p: number): number {
  return percentileSorted(sortedCopy(values), p);
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export const MAD_NORMAL_SCALE = 1.4826;
export const MAD_OUTLIER_K = 3;

/** Median absolute deviation from the median, unscaled; NaN for no data. */
export function mad(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const m = median(values);
  return median(values.map((v) => Math.abs(v - m)));
}

/**
 * Indices of values farther than k · 1.4826 · MAD from the median. With MAD = 0 (half or more identical) the scale is
 * undefined and nothing is called an outlier; fewer than 3 values cannot define one either.
 */
export function madOutliers(values: readonly number[], k = MAD_OUTLIER_K): number[] {
  if (values.length < 3) return [];
  const m = median(values);
  const d = mad(values);
  if (!(d > 0)) return [];
  const limit = k * MAD_NORMAL_SCALE * d;
  const out: number[] = [];
  values.forEach((v, i) => {
    if (Math.abs(v - m) > limit) out.push(i);
  });
  return out;
}

/** Arithmetic mean ignoring null (and NaN) entries; null when nothing is left. */
export function meanIgnoringNulls(values: readonly (number | null | undefined)[]): number | null {
  let sum = 0;
  let n = 0;
  for (const v of values) {
    if (v === null || v === undefined || Number.isNaN(v)) continue;
    sum += v;
    n++;
  }
  return n === 0 ? null : sum / n;
}

/** mulberry32: a tiny, fast 32-bit PRNG; good enough for resampling, fully reproducible from its seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Median of a resample given as counts of each sorted value (counts sum to n); same value as percentile 50. */
export function medianOfCounts(sorted: Float64Array, counts: Int32Array, n: number): number {
  const k = (n - 1) >> 1;
  let seen = 0;
  let i = 0;
  for (; ; i++) {
    seen += counts[i]!;
    if (seen > k) break;
  }
  const lower = sorted[i]!;
  if (n % 2 === 1 || seen > k + 1) return lower;
  let j = i + 1;
  while (counts[j] === 0) j++;
  const upper = sorted[j]!;
  return lower === upper ? lower : lower + (upper - lower) * 0.5;
}

export const BOOTSTRAP_RESAMPLES = 10_000;
export const BOOTSTRAP_SEED = 20_260_109;

export interface RatioCi {
  ratio: number;
  low: number;
  high: number;
  resamples: number;
  seed: number;
}

/**
 * median(b) / median(a) with a percentile-bootstrap 95 % CI (see the definitions at the top). Ratios of resamples
 * whose A median is 0 are infinite and sort to the top, which is the honest answer for "no baseline".
 */
export function bootstrapRatioOfMedians(a: readonly number[], b: readonly number[], opts: { resamples?: number; seed?: number; level?: number } = {}): RatioCi {
  const resamples = opts.resamples ?? BOOTSTRAP_RESAMPLES;
  const seed = opts.seed ?? BOOTSTRAP_SEED;
  const level = opts.level ?? 0.95;
  if (a.length === 0 || b.length === 0) throw new RangeError('bootstrapRatioOfMedians: both samples need values');
  // mulberry32 inlined (the same sequence as mulberry32(seed)): this loop draws resamples × (|A| + |B|) numbers.
  let state = seed >>> 0;
  const draw = (n: number): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
  // A resample is held as counts per sorted value: n draws, then one walk to the middle ranks (no copying, no
  // selection), which is what makes 10,000 resamples cheap.
  const sa = Float64Array.from(a).sort();
  const sb = Float64Array.from(b).sort();
  const na = sa.length;
  const nb = sb.length;
  const ca = new Int32Array(na);
  const cb = new Int32Array(nb);
  const ratios = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    ca.fill(0);
    cb.fill(0);
    for (let i = 0; i < na; i++) ca[draw(na)]!++;
    for (let i = 0; i < nb; i++) cb[draw(nb)]!++;
    ratios[r] = medianOfCounts(sb, cb, nb) / medianOfCounts(sa, ca, na);
  }
  ratios.sort();
  const tail = ((1 - level) / 2) * 100;
  return {
    ratio: median(b) / median(a),
    low: percentileSorted(ratios, tail),
    high: percentileSorted(ratios, 100 - tail),
    resamples,
    seed,
  };
}

/**
 * Distribution-free CI of the median from order statistics: [x(l), x(n−l+1)] with the largest l whose binomial tail
 * P(Bin(n, ½) ≤ l − 1) ≤ (1 − level)/2, so coverage ≥ level whatever the distribution (Conover, "Practical
 * Nonparametric Statistics", §3.2). Fewer than 6 values cannot reach 95 %: null.
 */
export function medianCi(values: readonly number[], level = 0.95): { low: number; high: number; coverage: number } | null {
  const n = values.length;
  const tail = (1 - level) / 2;
  let cdf = 0;
  let pmf = 0.5 ** n;
  let l = 0;
  // cdf = P(B ≤ j) as j grows; l = the number of order statistics that can be cut from each end.
  for (let j = 0; j < n; j++) {
    cdf += pmf;
    if (cdf > tail) break;
    l = j + 1;
    pmf = (pmf * (n - j)) / (j + 1);
  }
  if (l === 0) return null;
  const sorted = sortedCopy(values);
  const below = cdfBinomialHalf(n, l - 1);
  return { low: sorted[l - 1]!, high: sorted[n - l]!, coverage: 1 - 2 * below };
}

function cdfBinomialHalf(n: number, k: number): number {
  let pmf = 0.5 ** n;
  let cdf = 0;
  for (let j = 0; j <= k; j++) {
    cdf += pmf;
    pmf = (pmf * (n - j)) / (j + 1);
  }
  return cdf;
}

/** Smallest two-sided p-value the exact test can give for these sizes: 2 / C(n1+n2, n1). */
export function smallestExactP(n1: number, n2: number): number {
  let c = 1;
  for (let i = 1; i <= n1; i++) c = (c * (n2 + i)) / i;
  return Math.min(1, 2 / c);
}

/** Average ranks (1-based, ties get the mean of their ranks) and the sizes of tie groups. */
export function rankWithTies(values: readonly number[]): { ranks: Float64Array; tieSizes: number[] } {
  const order = values.map((_, i) => i).sort((i, j) => values[i]! - values[j]!);
  const ranks = new Float64Array(values.length);
  const tieSizes: number[] = [];
  for (let i = 0; i < order.length;) {
    let j = i + 1;
    while (j < order.length && values[order[j]!] === values[order[i]!]) j++;
    const avg = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) ranks[order[k]!] = avg;
    tieSizes.push(j - i);
    i = j;
  }
  return { ranks, tieSizes };
}

/**
 * Number of ways each U in 0..m·n arises for samples of sizes m and n without ties: the coefficients of the Gaussian
 * binomial [m+n choose m]_q = Π_{i=1..m} (1 − q^{n+i}) / (1 − q^i). Each step stays a polynomial, so the division is
 * exact; counts are doubles (exact up to 2^53, relative error ~1e-16 beyond).
 */
export function mannWhitneyCounts(m: number, n: number): Float64Array {
  if (m > n) return mannWhitneyCounts(n, m);
  const size = m * n + 1;
  const c = new Float64Array(size);
  c[0] = 1;
  for (let i = 1; i <= m; i++) {
    const shift = n + i;
    for (let u = size - 1; u >= shift; u--) c[u]! -= c[u - shift]!;
    for (let u = i; u < size; u++) c[u]! += c[u - i]!;
  }
  return c;
}

/** erfc(x) for x ≥ 0: Taylor series of erf below 2, Lentz's continued fraction above (relative error < 1e-13). */
function erfcNonNegative(x: number): number {
  if (x < 2) {
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let k = 1; k < 200; k++) {
      term *= -x2 / k;
      const add = term / (2 * k + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated by modified Lentz.
  const tiny = 1e-300;
  let f = x;
  let C = x;
  let D = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    D = x + a * D;
    D = D === 0 ? tiny : 1 / D;
    C = x + a / C;
    if (C === 0) C = tiny;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** P(Z > z) for a standard normal Z. */
export function normalSf(z: number): number {
  if (Number.isNaN(z)) return NaN;
  if (z === Infinity) return 0;
  if (z === -Infinity) return 1;
  const x = Math.abs(z) / Math.SQRT2;
  const upper = 0.5 * erfcNonNegative(x);
  return z >= 0 ? upper : 1 - upper;
}

export interface MannWhitneyResult {
  /** U of the first sample (scipy's `statistic`). */
  u1: number;
  pValue: number;
  method: 'exact' | 'asymptotic';
}

/** Two-sided Mann-Whitney U test, scipy.stats.mannwhitneyu(a, b, alternative='two-sided') defaults. */
export function mannWhitneyU(a: readonly number[], b: readonly number[], method: 'auto' | MannWhitneyResult['method'] = 'auto'): MannWhitneyResult {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('mannWhitneyU: both samples need values');
  if ([...a, ...b].some((v) => !Number.isFinite(v))) throw new RangeError('mannWhitneyU: expected finite numbers');
  const { ranks, tieSizes } = rankWithTies([...a, ...b]);
  let r1 = 0;
  for (let i = 0; i < n1; i++) r1 += ranks[i]!;
  const u1 = r1 - (n1 * (n1 + 1)) / 2;
  const u2 = n1 * n2 - u1;
  const u = Math.max(u1, u2);
  const ties = tieSizes.some((t) => t > 1);
  let p: number;
  const chosen = method !== 'auto' ? method : !ties && !(n1 > 8 && n2 > 8) ? 'exact' : 'asymptotic';
  if (chosen === 'exact') {
    if (ties) throw new RangeError('mannWhitneyU: the exact distribution assumes no ties');
    const counts = mannWhitneyCounts(n1, n2);
    let total = 0;
    let atLeast = 0;
    // P(U ≥ u); u is an integer without ties.
    for (let k = 0; k < counts.length; k++) {
      total += counts[k]!;
      if (k >= u) atLeast += counts[k]!;
    }
    p = 2 * (atLeast / total);
  } else {
    const n = n1 + n2;
    const tieTerm = tieSizes.reduce((s, t) => s + (t * t * t - t), 0);
    const sd = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
    const z = (u - (n1 * n2) / 2 - 0.5) / sd;
    p = 2 * normalSf(z);
  }
  return { u1, pValue: Math.min(1, Math.max(0, p)), method: chosen };
}
