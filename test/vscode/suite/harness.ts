// A minimal test runner for the extension host: named async tests run in order, each with a timeout;
// prints TAP-like lines and the plain "N passed, N failed, N skipped" closing line, and rejects when any failed.
// A test that cannot run here throws skip(reason): it is reported as skipped (TAP "# SKIP"), never as passed.

type TestCase = { name: string; fn: () => Promise<void>; timeoutMs: number };
const cases: TestCase[] = [];

class Skip extends Error {}

/** Ends the current test as skipped, with the reason printed beside it. */
export function skip(reason: string): never {
  throw new Skip(reason);
}

type Figure = { name: string; ms: number; budgetMs: number };
const figures: Figure[] = [];
/** The figures bench:vscode holds to budgets: one missing (its test skipped or failed first) fails the bench. */
const BENCH_FIGURES = ['activation', 'KPI panel', 'run panel'];

/**
 * A timed figure and its budget. The lane prints it; only `npm run bench:vscode` (FASTBENCH_VSCODE_BENCH=1)
 * holds it to the budget, because a loaded test machine moves wall-clock times (performance goals are
 * checked by benchmarks, not by timed tests).
 */
export function figure(name: string, ms: number, budgetMs: number): void {
  figures.push({ name, ms, budgetMs });
  console.log(`figure: ${name}: ${ms.toFixed(1)} ms (budget ${budgetMs} ms${ms < budgetMs ? '' : ', over'})`);
}

export function test(name: string, fn: () => Promise<void>, timeoutMs = 20_000): void {
  cases.push({ name, fn, timeoutMs });
}

export async function runAll(log: (line: string) => void = console.log): Promise<void> {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  // FASTBENCH_VSCODE_FILTER=word runs only the tests whose name holds it (case-insensitive); the others show as skipped.
  const only = process.env.FASTBENCH_VSCODE_FILTER?.toLowerCase();
  for (const [i, c] of cases.entries()) {
    if (only && !c.name.toLowerCase().includes(only)) {
      skipped++;
      log(`ok ${i + 1} - ${c.name} # SKIP not matched by FASTBENCH_VSCODE_FILTER`);
      continue;
    }
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        c.fn(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${c.timeoutMs} ms`)), c.timeoutMs);
        }),
      ]);
      passed++;
      log(`ok ${i + 1} - ${c.name} (${Date.now() - started} ms)`);
    } catch (e) {
      if (e instanceof Skip) {
        skipped++;
        log(`ok ${i + 1} - ${c.name} # SKIP ${e.message}`);
        continue;
      }
      failed++;
      log(
        `not ok ${i + 1} - ${c.name}\n  ${String((e as Error).stack ?? e)
          .split('\n')
          .join('\n  ')}`,
      );
    } finally {
      clearTimeout(timer);
    }
  }
  if (process.env.FASTBENCH_VSCODE_BENCH === '1') {
    log('bench:vscode figures (budgets enforced):');
    for (const f of figures) log(`  ${f.name.padEnd(52)} ${f.ms.toFixed(1).padStart(8)} ms  budget ${f.budgetMs} ms  ${f.ms < f.budgetMs ? 'ok' : 'OVER BUDGET'}`);
    const over = figures.filter((f) => !(f.ms < f.budgetMs));
    const missing = BENCH_FIGURES.filter((prefix) => !figures.some((f) => f.name.startsWith(prefix)));
    if (over.length || missing.length) {
      failed++;
      log(`not ok - figures over budget or not a number: [${over.map((f) => f.name).join(', ')}]; not measured: [${missing.join(', ')}]`);
    }
  }
  log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  if (failed > 0) throw new Error(`${failed} VS Code integration test(s) failed`);
}

/** Polls until check returns a value (not undefined), or fails with what it was waiting for. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
