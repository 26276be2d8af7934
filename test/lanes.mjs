// `npm test`: runs every lane (or the ones named: `npm test -- unit x11`), each to the end even when an earlier
// one failed, then prints one summary table and a closing "N passed, N failed, N skipped" line.
// Exit 1 if any lane failed. Under CI (CI=true) a lane that ran no test, or skipped all of them, fails too:
// a green run must mean the tests ran.
import { spawn } from 'node:child_process';

const LANES = [
  { name: 'check', script: 'check', tests: false },
  { name: 'build', script: 'build', tests: false },
  { name: 'unit', script: 'test:unit' },
  { name: 'agent', script: 'test:agent' },
  { name: 'azure', script: 'test:azure' },
  { name: 'standin', script: 'test:standin' },
  { name: 'x11', script: 'test:x11' },
  { name: 'wine', script: 'test:wine' },
  { name: 'vscode', script: 'test:vscode' },
];

const ci = process.env.CI === 'true' || process.env.CI === '1';
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(`usage: npm test [-- LANE...]   (lanes: ${LANES.map((l) => l.name).join(', ')}; default all, in that order)
Runs each lane to the end even when one fails, then prints passed/failed/skipped per lane with each skip's reason and a
closing "N passed, N failed, N skipped" line. Exit 1 if a lane failed, 130 on Ctrl-C. With CI=true, a lane that ran no
test fails.`);
  process.exit(0);
}
const badOption = args.find((a) => a.startsWith('-'));
if (badOption) {
  console.error(`unknown option ${badOption}: expected lane names (${LANES.map((l) => l.name).join(', ')}) or --help`);
  process.exit(2);
}
const wanted = args;
const unknown = wanted.filter((w) => !LANES.some((l) => l.name === w));
if (unknown.length) {
  console.error(`unknown lane ${unknown.join(', ')}: expected some of ${LANES.map((l) => l.name).join(', ')}`);
  process.exit(2);
}
const lanes = wanted.length ? LANES.filter((l) => wanted.includes(l.name)) : LANES;

/** Counts from node --test's TAP summary (one per file run) and from the plain closing line other runners print. */
export function countResults(text) {
  const c = { pass: 0, fail: 0, skipped: 0, skips: [] };
  for (const line of text.split('\n')) {
    // TAP ("# pass 3") or the spec reporter ("ℹ pass 3"), which node uses when run through Wine.
    let m = /^(?:#|ℹ) (pass|fail|skipped) (\d+)\s*$/.exec(line);
    if (m) c[m[1]] += Number(m[2]);
    m = /^(?:\w+: )?(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$/.exec(line);
    if (m) {
      c.pass += Number(m[1]);
      c.fail += Number(m[2]);
      c.skipped += Number(m[3] ?? 0);
    }
    m = /^\s*ok \d+ - (.*?) # SKIP ?(.*)$/.exec(line) ?? /^\s*﹣ (.*?) \([\d.]+m?s\) # (.*)$/.exec(line);
    if (m) c.skips.push(`${m[1]}${m[2] ? ` (${m[2]})` : ''}`);
  }
  return c;
}

function run(script) {
  return new Promise((resolve) => {
    let text = '';
    const child = spawn('npm', ['run', '--silent', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const tee = (to) => (d) => {
      text += d.toString();
      to.write(d);
    };
    child.stdout.on('data', tee(process.stdout));
    child.stderr.on('data', tee(process.stderr));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), text }));
  });
}

const rows = [];
let interrupted = false;
process.on('SIGINT', () => (interrupted = true));
for (const lane of lanes) {
  if (interrupted) break;
  const t0 = Date.now();
  console.log(`\n=== lane ${lane.name} (npm run ${lane.script})`);
  const { code, text } = await run(lane.script);
  const c = countResults(text);
  const problems = [];
  if (code !== 0) problems.push(`exit ${code}`);
  if (lane.tests !== false && ci && c.pass + c.fail === 0) problems.push('no test ran');
  rows.push({ lane: lane.name, ok: problems.length === 0, problems, s: (Date.now() - t0) / 1000, ...c, counted: lane.tests !== false });
}

console.log('\n=== summary');
for (const r of rows) {
  const counts = r.counted ? `${r.pass} passed, ${r.fail} failed, ${r.skipped} skipped` : '';
  console.log(`${r.ok ? 'ok    ' : 'FAILED'} ${r.lane.padEnd(8)} ${counts.padEnd(34)} ${r.s.toFixed(0).padStart(5)} s  ${r.problems.join('; ')}`);
  for (const s of r.skips) console.log(`         skipped: ${s}`);
}
const total = rows.reduce((t, r) => ({ pass: t.pass + r.pass, fail: t.fail + r.fail, skipped: t.skipped + r.skipped }), { pass: 0, fail: 0, skipped: 0 });
const failedLanes = rows.filter((r) => !r.ok).map((r) => r.lane);
if (interrupted) console.log('interrupted: lanes after the current one did not run');
if (failedLanes.length) console.log(`failed lanes: ${failedLanes.join(', ')}`);
// A lane that failed without a failing test (a build or check error, no test ran) still counts as one failure.
const failed = total.fail + rows.filter((r) => !r.ok && r.fail === 0).length;
console.log(`${total.pass} passed, ${failed} failed, ${total.skipped} skipped`);
process.exit(interrupted ? 130 : failedLanes.length ? 1 : 0);
