// Turns node:test TAP output into a Markdown list of what did NOT run and why (skips and todos, with the suite they
// belong to), followed by the conditions of the machine that no test can detect by itself. For the GitHub job
// summary of .github/workflows/windows.yml, so a green run never reads as "everything was shown".
//   node test/wine/skipSummary.mjs RESULTS.tap "TITLE" [NOT-SHOWN-LINE]... >> "$GITHUB_STEP_SUMMARY"
import { readFileSync } from 'node:fs';

/** [{ path: ['suite', 'test'], kind: 'SKIP' | 'TODO', reason }] from TAP 13 as node:test writes it. */
export function notRun(tap) {
  const stack = [];
  const found = [];
  for (const line of tap.split(/\r?\n/)) {
    const subtest = /^(\s*)# Subtest: (.*)$/.exec(line);
    if (subtest) {
      const depth = subtest[1].length / 4;
      stack.length = depth;
      stack[depth] = subtest[2];
      continue;
    }
    const result = /^(\s*)(?:not )?ok \d+ - (.*?) # (SKIP|TODO)\b ?(.*)$/.exec(line);
    if (result) {
      const depth = result[1].length / 4;
      found.push({ path: [...stack.slice(0, depth), result[2]], kind: result[3], reason: result[4].trim() || '(no reason given)' });
    }
  }
  return found;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop())) {
  const [file, title, ...notShown] = process.argv.slice(2);
  let tap = '';
  try {
    tap = readFileSync(file, 'utf8');
  } catch (e) {
    console.log(`### ${title}\n\nNo test results (${e.message}): the tests did not run.\n`);
    process.exit(0);
  }
  const rows = notRun(tap);
  const counts = Object.fromEntries([...tap.matchAll(/^# (tests|pass|fail|skipped|todo) (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
  console.log(`### ${title}\n`);
  console.log(`${counts.tests ?? '?'} tests: ${counts.pass ?? '?'} passed, ${counts.fail ?? '?'} failed, ${counts.skipped ?? 0} skipped, ${counts.todo ?? 0} todo.\n`);
  if (rows.length) {
    console.log('**Not run here, and why:**\n');
    for (const r of rows) console.log(`- ${r.kind === 'TODO' ? 'todo' : 'skipped'}: ${r.path.join(' › ')} — ${r.reason}`);
    console.log('');
  }
  if (notShown.length) {
    console.log('**Not shown by this runner at all (no test can detect these; see docs/petrel-acceptance.md):**\n');
    for (const n of notShown) console.log(`- ${n}`);
    console.log('');
  }
}
