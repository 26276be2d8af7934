// An oracle for the exact two-sided Mann-Whitney p-value that shares no code with the implementation: enumerate every
// way to draw group a's ranks from the pooled ranks and count those at least as extreme as the observed U.
// Only for samples without ties (the exact test's domain).
export function bruteForceExactTwoSided(a: number[], b: number[]): number {
  const pooled = [...a, ...b].sort((x, y) => x - y);
  const rank = (v: number) => pooled.indexOf(v) + 1; // no ties in the callers
  const n1 = a.length;
  const n2 = b.length;
  const u1 = a.reduce((s, v) => s + rank(v), 0) - (n1 * (n1 + 1)) / 2;
  const observed = Math.max(u1, n1 * n2 - u1);
  let hits = 0;
  let total = 0;
  const pick = (start: number, left: number, sum: number) => {
    if (left === 0) {
      const u = sum - (n1 * (n1 + 1)) / 2;
      if (Math.max(u, n1 * n2 - u) >= observed) hits++;
      total++;
      return;
    }
    for (let r = start; r <= n1 + n2 - left + 1; r++) pick(r + 1, left - 1, sum + r);
  };
  pick(1, n1, 0);
  return Math.min(1, hits / total);
}
