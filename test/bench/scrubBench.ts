import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseMarkersTsv } from '../../extension/core/runs/markersFile';
import { median } from './stats';

// npm run bench:standin (second part) [-- --repeats 3] — W_scrub100 on the stand-in through the CLI, A_shared
// and B_fast × Cold and Warm, interleaved, repeated; prints medians and the ratios that decide A vs B.

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};

function cli(home: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'cli.js'), ...args], {
    env: { ...process.env, FASTBENCH_STANDIN_HOME: home },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`fastbench ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-600)}`);
  return r.stdout;
}

function main(): void {
  const repeats = arg('repeats', 3);
  const home = mkdtempSync(path.join(tmpdir(), 'fb-scrub-bench-'));
  try {
    console.log(
      `load average at start: ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
    cli(home, 'standin', 'data');
    const report = JSON.parse(cli(home, 'standin', 'demo', '--repeats', String(repeats), '--xvfb', '--json')) as {
      campaign: string;
      runs: { run: string; mode: string; policy: string; status: string; open_s: number; scrub_s: number }[];
    };
    const groups = new Map<string, { open: number[]; scrub: number[]; crossing: number[] }>();
    const dropped: string[] = [];
    for (const r of report.runs) {
      if (r.status !== 'complete') {
        dropped.push(`${r.run} (${r.status})`);
        continue;
      }
      const key = `${r.mode} ${r.policy}`;
      const g = groups.get(key) ?? { open: [], scrub: [], crossing: [] };
      g.open.push(r.open_s);
      g.scrub.push(r.scrub_s);
      const markers = parseMarkersTsv('markers.tsv', readFileSync(path.join(report.campaign, r.run, 'markers.tsv'), 'utf8'));
      const step = markers.find((m) => m.name === 'inline' && m.detail.startsWith('64 '));
      if (step) g.crossing.push(Number(step.detail.split(' ')[1]));
      else dropped.push(`${r.run} (no step into brick row 1 in markers.tsv: not in the crossing median)`);
      groups.set(key, g);
    }
    console.log(`W_scrub100, ${repeats} repeat(s) interleaved; medians:`);
    if (dropped.length) console.log(`  left out: ${dropped.join(', ')}`);
    for (const [key, g] of groups) {
      console.log(
        `  ${key.padEnd(14)} open ${median(g.open).toFixed(2)} s (n=${g.open.length}), scrub-100 ${median(g.scrub).toFixed(2)} s (n=${g.scrub.length}), step into brick row 1 ${median(g.crossing).toFixed(0)} ms (n=${g.crossing.length})`,
      );
    }
    const m = (k: string) => median(groups.get(k)?.scrub ?? []);
    console.log(`scrub-100 Cold/Warm: A_shared ${(m('A_shared Cold') / m('A_shared Warm')).toFixed(2)}, B_fast ${(m('B_fast Cold') / m('B_fast Warm')).toFixed(2)}`);
    console.log(`scrub-100 B_fast/A_shared: Cold ${(m('B_fast Cold') / m('A_shared Cold')).toFixed(2)}, Warm ${(m('B_fast Warm') / m('A_shared Warm')).toFixed(2)}`);
    console.log(
      `load average at end: ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

try {
  main();
} catch (e) {
  console.error(`bench:standin (scrub): ${(e as Error).message}`);
  process.exitCode = 1;
}
