import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bruteForceExactTwoSided } from './mannWhitneyOracle';
import {
  bootstrapRatioOfMedians,
  mad,
  madOutliers,
  mannWhitneyCounts,
  mannWhitneyU,
  meanIgnoringNulls,
  medianCi,
  medianOfCounts,
  median,
  mulberry32,
  normalSf,
  percentile,
} from '../../extension/shared/statistics';

// Reference values and where they come from (no python here, so nothing is copied from a scipy run):
// - percentiles: by hand with numpy's "linear" rule h = (n − 1)·p/100 (worked out beside each assertion).
// - exact Mann-Whitney p-values: brute force in this file — every way of choosing which n1 of the n1+n2 pooled ranks
//   belong to sample a (all C(n1+n2, n1) subsets), counting those with max(U1, U2) ≥ the observed one. This shares no
//   code with the Gaussian-binomial recurrence the module uses.
// - the scipy documentation example (males/females, "Mann-Whitney U test" section of scipy.stats.mannwhitneyu's docs)
//   prints statistic 17.0, pvalue 0.1111111111111111 (exact) and 0.11134688653314041 (method="asymptotic").
// - the tie-corrected normal approximation: by hand below, with the normal tail integrated numerically (Simpson's
//   rule over the density), independently of the module's erfc.
// - a cross-check made once by hand on a developer machine that had scipy 1.17.1 (not needed to run the tests):
//   mannwhitneyu([1,2,2,3],[2,3,3,4]) → p 0.1720337089218229; mannwhitneyu(range(9), [i+4.5 for i in range(9)]) →
//   p 0.008071487425268009; both are asserted below to 1e-12 next to the independent derivations.

const close = (actual: number, expected: number, tol: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: expected ${expected} ± ${tol}, got ${actual}`);

test('percentile is numpy linear interpolation between closest ranks', () => {
  // [1,2,3,4], p95: h = 3·0.95 = 2.85 → 3 + 0.85·(4 − 3) = 3.85
  close(percentile([4, 1, 3, 2], 95), 3.85, 1e-12, 'p95');
  // p50 of an even count is the mean of the middle pair; of an odd count the middle value
  assert.equal(median([5, 1, 3, 2]), 2.5);
  assert.equal(median([9, 1, 5]), 5);
  // p0 / p100 are min / max; a single value is every percentile
  assert.equal(percentile([7, -2, 3], 0), -2);
  assert.equal(percentile([7, -2, 3], 100), 7);
  assert.equal(percentile([42], 95), 42);
  // [10, 20, 30, 40, 50], p90: h = 4·0.9 = 3.6 → 40 + 0.6·10 = 46
  close(percentile([50, 40, 30, 20, 10], 90), 46, 1e-12, 'p90');
  assert.ok(Number.isNaN(percentile([], 50)));
  assert.throws(() => percentile([1], 101), /expected p in \[0, 100\]/);
});

test('MAD, outliers and means ignoring nulls', () => {
  // median 3; |x − 3| = 2,1,0,1,97 → median 1
  assert.equal(mad([1, 2, 3, 4, 100]), 1);
  // limit 3 · 1.4826 · 1 = 4.45: only 100 is farther
  assert.deepEqual(madOutliers([1, 2, 3, 4, 100]), [4]);
  assert.deepEqual(madOutliers([5, 5, 5, 9]), [], 'MAD 0 defines no scale');
  assert.equal(meanIgnoringNulls([null, 2, undefined, 4, NaN]), 3);
  assert.equal(meanIgnoringNulls([null, null]), null);
});

test('exact Mann-Whitney p-values match brute-force enumeration (n = 3 and n = 8 groups, unequal sizes)', () => {
  const rand = mulberry32(7);
  const sizes: [number, number][] = [
    [3, 3],
    [3, 5],
    [8, 8],
    [5, 4],
    [1, 6],
    [8, 12],
    [2, 8],
  ];
  for (const [n1, n2] of sizes) {
    for (let trial = 0; trial < 6; trial++) {
      // distinct values so the exact method applies
      const pool = Array.from({ length: n1 + n2 }, (_, i) => i + rand() * 0.5);
      for (let i = pool.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [pool[i], pool[j]] = [pool[j]!, pool[i]!];
      }
      const a = pool.slice(0, n1);
      const b = pool.slice(n1);
      const r = mannWhitneyU(a, b);
      assert.equal(r.method, 'exact');
      close(r.pValue, bruteForceExactTwoSided(a, b), 1e-12, `${n1} vs ${n2} trial ${trial}`);
    }
  }
  // Complete separation at 3 vs 3: 1 of C(6,3) = 20 orderings each way → p = 2/20 = 0.1
  const sep = mannWhitneyU([1, 2, 3], [4, 5, 6]);
  assert.equal(sep.u1, 0);
  close(sep.pValue, 0.1, 1e-15, '3 vs 3 separated');
  // 8 vs 8 separated: 2 / C(16,8) = 2 / 12870
  close(mannWhitneyU([1, 2, 3, 4, 5, 6, 7, 8], [9, 10, 11, 12, 13, 14, 15, 16]).pValue, 2 / 12870, 1e-18, '8 vs 8');
});

test('the Gaussian-binomial counts sum to C(m+n, m) and are symmetric', () => {
  const c = mannWhitneyCounts(4, 6);
  assert.equal(
    c.reduce((s, v) => s + v, 0),
    210,
  );
  for (let u = 0; u < c.length; u++) assert.equal(c[u], c[c.length - 1 - u]);
});

test('scipy documentation example: exact and (both > 8 would be) asymptotic', () => {
  const males = [19, 22, 16, 29, 24];
  const females = [20, 11, 17, 12];
  const r = mannWhitneyU(males, females);
  assert.equal(r.u1, 17);
  assert.equal(r.method, 'exact');
  close(r.pValue, 0.1111111111111111, 1e-15, 'exact');
  close(mannWhitneyU(males, females, 'asymptotic').pValue, 0.11134688653314041, 1e-14, 'asymptotic');
  assert.throws(() => mannWhitneyU([1, 2], [2, 3], 'exact'), /assumes no ties/);
});

function simpsonTail(z: number): number {
  // ∫_z^{z+12} φ(t) dt with 20,000 Simpson intervals; the tail beyond z+12 is < 1e-30 here.
  const n = 20_000;
  const h = 12 / n;
  const phi = (t: number) => Math.exp((-t * t) / 2) / Math.sqrt(2 * Math.PI);
  let s = phi(z) + phi(z + 12);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * phi(z + i * h);
  return (s * h) / 3;
}

test('normal tail matches numerical integration', () => {
  for (const z of [0, 0.3, 1, 1.959963984540054, 2.5, 3, 4.5, 6]) close(normalSf(z), simpsonTail(z), 1e-12, `sf(${z})`);
  close(normalSf(-1), 1 - simpsonTail(1), 1e-12, 'sf(-1)');
});

test('ties use the normal approximation with tie and continuity correction', () => {
  // a = [1, 2, 2, 3], b = [2, 3, 3, 4]; pooled sorted 1,2,2,2,3,3,3,4 → ranks 1, 3,3,3, 6,6,6, 8.
  // R1 = 1 + 3 + 3 + 6 = 13, U1 = 13 − 10 = 3, U2 = 16 − 3 = 13, U = 13.
  // ties: two groups of 3 → Σ(t³ − t) = 24 + 24 = 48; n = 8.
  // σ = √(16/12 · (9 − 48/56)) = √(4/3 · 8.142857…) = √10.857142… = 3.295017…
  // z = (13 − 8 − 0.5) / σ = 4.5 / 3.295017 = 1.365698…; p = 2 · P(Z > z).
  const r = mannWhitneyU([1, 2, 2, 3], [2, 3, 3, 4]);
  assert.equal(r.method, 'asymptotic');
  assert.equal(r.u1, 3);
  const sigma = Math.sqrt((16 / 12) * (9 - 48 / 56));
  const z = 4.5 / sigma;
  close(z, 1.3656985, 1e-6, 'z by hand');
  close(r.pValue, 2 * simpsonTail(z), 1e-12, 'p');
  close(r.pValue, 0.1720337089218229, 1e-12, 'p (scipy cross-check)');
  // Everything tied: σ = 0, z = −∞, scipy clips 2·1 to 1.
  assert.equal(mannWhitneyU([5, 5, 5], [5, 5, 5]).pValue, 1);
});

test('both samples larger than 8 use the normal approximation even without ties', () => {
  const a = Array.from({ length: 9 }, (_, i) => i);
  const b = Array.from({ length: 9 }, (_, i) => i + 4.5);
  const r = mannWhitneyU(a, b);
  assert.equal(r.method, 'asymptotic');
  // ranks: a = 0..8, b = 4.5..12.5 interleave; U1 counts pairs with a > b: a ∈ {5,6,7,8} beat b ∈ {4.5,5.5,…}
  // pairs (a, b) with a > b: a=5:1, a=6:2, a=7:3, a=8:4 → U1 = 10, U = 81 − 10 = 71.
  assert.equal(r.u1, 10);
  const sigma = Math.sqrt((81 / 12) * 19);
  close(r.pValue, 2 * simpsonTail((71 - 40.5 - 0.5) / sigma), 1e-12, 'p');
  close(r.pValue, 0.008071487425268009, 1e-12, 'p (scipy cross-check)');
});

test('bootstrap CI of a ratio of medians is seeded and brackets the ratio', () => {
  const a = [10, 11, 9, 10.5, 12, 9.5, 10, 11.5];
  const b = [14, 15, 13, 16, 14.5, 13.5, 15.5, 14];
  const r1 = bootstrapRatioOfMedians(a, b);
  const r2 = bootstrapRatioOfMedians(a, b);
  assert.deepEqual(r1, r2, 'same seed, same answer');
  // medians 10.25 and 14.25 → 1.390243…
  close(r1.ratio, 14.25 / 10.25, 1e-12, 'ratio');
  assert.ok(r1.low < r1.ratio && r1.ratio < r1.high, `${r1.low} < ${r1.ratio} < ${r1.high}`);
  // Any resample of all-10 vs all-20 has ratio exactly 2.
  const flat = bootstrapRatioOfMedians([10, 10, 10], [20, 20, 20]);
  assert.deepEqual([flat.low, flat.ratio, flat.high], [2, 2, 2]);
  const other = bootstrapRatioOfMedians(a, b, { seed: 1 });
  assert.notDeepEqual([other.low, other.high], [r1.low, r1.high]);
});

test('distribution-free median CI from order statistics', () => {
  // n = 6: P(Bin(6, ½) ≤ 0) = 1/64 ≤ 0.025 < P(≤ 1) = 7/64 → [x(1), x(6)], coverage 1 − 2/64
  assert.deepEqual(medianCi([6, 1, 5, 2, 4, 3]), { low: 1, high: 6, coverage: 1 - 2 / 64 });
  // n = 5: 1/32 > 0.025 → none
  assert.equal(medianCi([1, 2, 3, 4, 5]), null);
  // n = 20: P(≤ 5) = 21700/2^20 = 0.0207 ≤ 0.025 < P(≤ 6) = 60460/2^20 = 0.0577 → l = 6: [x(6), x(15)]
  const r = medianCi(Array.from({ length: 20 }, (_, i) => i + 1))!;
  assert.deepEqual([r.low, r.high], [6, 15]);
  close(r.coverage, 1 - (2 * 21700) / 2 ** 20, 1e-15, 'coverage');
});

test('the median of a resample held as counts (the bootstrap) equals the median of the expanded resample', () => {
  const rand = mulberry32(5);
  for (let trial = 0; trial < 2000; trial++) {
    const n = 1 + Math.floor(rand() * 30);
    const sorted = Float64Array.from({ length: n }, () => Math.floor(rand() * (trial % 2 ? 4 : 1000))).sort();
    const counts = new Int32Array(n);
    for (let i = 0; i < n; i++) counts[Math.floor(rand() * n)]!++;
    const expanded = [...sorted].flatMap((v, i) => Array<number>(counts[i]!).fill(v));
    assert.equal(medianOfCounts(sorted, counts, n), median(expanded));
  }
});
