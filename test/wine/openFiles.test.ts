import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { RowProblems } from '../../extension/core/analysis/rowProblems';
import { readObservedSource } from '../../extension/core/analysis/openFilesSource';
import { AGENT_NODE_FLAGS, MetricsAgentClient } from '../../extension/core/metrics/agentClient';
import { agentReportSchema } from '../../extension/core/metrics/agentMessages';
import { pathClassifier } from '../../extension/core/metrics/pathClasses';
import { OpenHandleScanner, readDriveMap, windowsOpenFilesLister } from '../../extension/driver/win32/openHandles';
import { percentile } from '../../extension/shared/statistics';
import { lane, laneUnavailable, waitFor } from './lane';

// Which files a Windows process holds open, read from its handles (the agent's source for open_files.tsv and so for
// observed_source): target.exe --hold opens a "NAS" file and a "FAST cache" file and keeps a pipe a thread is blocked
// reading. Wine 8 implements SystemExtendedHandleInformation, DuplicateHandle across processes, GetFileType and
// GetFinalPathNameByHandleW(VOLUME_NAME_NT), so the real code path runs here; UNC shares and mapped drives are
// windowsOnly.test.ts's (Wine has no SMB redirector).

const skip = laneUnavailable();
const work = path.join(lane.work, 'openfiles');
const nasDir = path.join(work, 'nas', 'seismic');
const fastDir = path.join(work, 'fastcache');
const nasFile = path.join(nasDir, 'vol.zgy');
const fastFile = path.join(fastDir, 'vol.bin');
const rules = [
  { class: 'NAS' as const, prefix: path.join(work, 'nas') + '\\' },
  { class: 'FAST_cache' as const, prefix: fastDir },
];
const held: ChildProcess[] = [];

async function hold(files: string[], ms = 60_000): Promise<number> {
  const ready = path.join(work, `ready-${held.length}.txt`);
  rmSync(ready, { force: true });
  const child = spawn(lane.target, ['--hold', ready, String(ms), ...files], { stdio: 'ignore' });
  held.push(child);
  const line = await waitFor(() => (existsSync(ready) ? /ready pid=(\d+)/.exec(readFileSync(ready, 'utf8'))?.[1] : undefined), 15_000, `${ready} from target.exe --hold`);
  return Number(line);
}

before(() => {
  if (skip) return;
  mkdirSync(nasDir, { recursive: true });
  mkdirSync(fastDir, { recursive: true });
  writeFileSync(nasFile, Buffer.alloc(4096, 1));
  writeFileSync(fastFile, Buffer.alloc(4096, 2));
});

after(() => {
  for (const c of held) c.kill();
});

test('the files a process holds open are found from its handles, in drive-letter form, and classified; its pipe is not named', { skip }, async () => {
  const pid = await hold([nasFile, fastFile]);
  const drives = readDriveMap();
  assert.ok(Object.keys(drives.volumes).length > 0, `QueryDosDeviceW gave no volumes: ${JSON.stringify(drives)}`);
  const scanner = new OpenHandleScanner();
  try {
    const ms: number[] = [];
    let last;
    for (let i = 0; i < 15; i++) {
      const t0 = performance.now();
      last = await scanner.scan([pid]);
      ms.push(performance.now() - t0);
      assert.equal(last.error, undefined, last.error);
    }
    const r = last!;
    // NT device paths as the kernel names them, e.g. \Device\HarddiskVolume2\tmp\…\vol.zgy under Wine's Z:.
    assert.ok(
      r.paths.every((p) => p.startsWith('\\Device\\')),
      `expected NT device paths, got ${r.paths.join(', ')}`,
    );
    const lister = windowsOpenFilesLister();
    const paths = (await lister.list(pid))!;
    lister.close?.();
    const classify = pathClassifier(rules, true, drives);
    const lower = paths.map((p) => p.toLowerCase());
    assert.ok(lower.includes(nasFile.toLowerCase()), `${nasFile} not among ${paths.join(', ')}`);
    assert.ok(lower.includes(fastFile.toLowerCase()), `${fastFile} not among ${paths.join(', ')}`);
    const classes = Object.fromEntries(paths.map((p) => [p.toLowerCase(), classify(p)]));
    assert.equal(classes[nasFile.toLowerCase()], 'NAS');
    assert.equal(classes[fastFile.toLowerCase()], 'FAST_cache');
    assert.ok(r.fileHandles >= 2 && r.systemHandles > r.fileHandles, JSON.stringify({ ...r, paths: undefined }));
    assert.equal(r.diskFiles, 2, `only the two held files (no directories, no pipe): ${r.paths.join(', ')}`);
    // Every handle whose kernel object the system shows is answered from the previous scan (Wine shows none).
    assert.equal(r.cached, r.withObject, JSON.stringify({ ...r, paths: undefined }));
    assert.ok(!paths.some((p) => /pipe/i.test(p)), `a pipe was named: ${paths.join(', ')}`);
    console.log(
      `handle scan of one process: p50 ${percentile(ms, 50).toFixed(2)} ms, max ${Math.max(...ms).toFixed(2)} ms over ${ms.length} scans ` +
        `(${r.systemHandles} handles in the system, ${r.fileHandles} file handles of the target, ${r.diskFiles} disk files named, ${r.cached} of ${r.withObject} with a visible object from the previous scan)`,
    );
  } finally {
    scanner.close();
  }
});

test('a file-name lookup that hangs is given up after the timeout, skipped from then on, and the next scan still answers', { skip }, async () => {
  const pid = await hold([nasFile, fastFile]);
  const clean = new OpenHandleScanner();
  const all = await clean.scan([pid]);
  clean.close();
  const scanner = new OpenHandleScanner({ lookupTimeoutMs: 100, stallMs: 3000 });
  try {
    const t0 = performance.now();
    const first = await scanner.scan([pid]);
    const waited = performance.now() - t0;
    assert.ok(first.hung !== undefined, `expected a hung lookup, got ${JSON.stringify(first)}`);
    assert.match(first.error ?? '', /took over 100 ms; it is skipped from now on/);
    assert.ok(waited < 1500, `gave up after ${waited.toFixed(0)} ms, not near the 100 ms timeout`);
    const second = await scanner.scan([pid]);
    assert.equal(second.error, undefined);
    assert.equal(scanner.abandoned, 1);
    assert.deepEqual(scanner.skipped, [first.hung]);
    // The hung handle (a held file, or the target's current directory) is left out; the others are named.
    assert.ok(second.paths.every((p) => all.paths.includes(p)) && second.paths.length >= all.paths.length - 1, `${second.paths.join(', ')} vs ${all.paths.join(', ')}`);
    assert.ok(second.fileHandles === all.fileHandles, 'the skipped handle is still counted as a file handle');
  } finally {
    scanner.close();
  }
});

test('the metrics agent writes the target-held files to open_files.tsv, classed, so observed_source says NAS', { skip }, async () => {
  const pid = await hold([nasFile]);
  const out = path.join(work, 'run');
  rmSync(out, { recursive: true, force: true });
  const agent = await MetricsAgentClient.start({ outDir: out, targetPid: pid, pathRules: rules, intervalMs: 250, command: [process.execPath, ...AGENT_NODE_FLAGS, lane.agent] });
  const from = Date.now();
  await waitFor(() => ((agent.lastHeartbeat?.tick ?? 0) >= 6 ? true : undefined), 15_000, 'six agent ticks');
  await agent.stop();
  const rows = readFileSync(path.join(out, 'open_files.tsv'), 'utf8').trim().split('\n').slice(1);
  const mine = rows.filter((r) => r.split('\t')[1]!.toLowerCase() === nasFile.toLowerCase());
  assert.ok(mine.length >= 3, `expected a row a tick for ${nasFile}, got:\n${rows.join('\n')}`);
  assert.ok(
    mine.every((r) => r.endsWith('\tNAS')),
    mine.join('\n'),
  );
  const report = agentReportSchema.parse(JSON.parse(readFileSync(path.join(out, 'agent.json'), 'utf8')));
  assert.match(report.openFilesSource, /handle enumeration/);
  assert.ok(report.openFilesMs && report.openFilesMs.n >= 3, JSON.stringify(report.openFilesMs));
  const observed = await readObservedSource(createReadStream(path.join(out, 'open_files.tsv')), { from, to: Date.now() }, new RowProblems('open_files.tsv'));
  assert.equal(observed.source, 'NAS');
  console.log(`agent open-files cost per tick: p50 ${report.openFilesMs.p50} ms, p99 ${report.openFilesMs.p99} ms, max ${report.openFilesMs.max} ms (n ${report.openFilesMs.n})`);
});

test('the agent goes on when a name lookup hangs: one warning, later ticks list the files again', { skip }, async () => {
  const pid = await hold([nasFile, fastFile]);
  const out = path.join(work, 'run-stall');
  rmSync(out, { recursive: true, force: true });
  const agent = await MetricsAgentClient.start({
    outDir: out,
    targetPid: pid,
    pathRules: rules,
    intervalMs: 250,
    command: [process.execPath, ...AGENT_NODE_FLAGS, lane.agent],
    env: { ...process.env, FASTBENCH_OPENFILES_TEST_STALL_MS: '3000' },
  });
  await waitFor(() => ((agent.lastHeartbeat?.tick ?? 0) >= 6 ? true : undefined), 15_000, 'six agent ticks');
  await agent.stop();
  const hung = agent.warnings.filter((w) => /open files: naming handle 0x[0-9a-f]+ took over 100 ms; it is skipped from now on/.test(w));
  assert.equal(hung.length, 1, `one warning for the hung lookup: ${agent.warnings.join(' | ')}`);
  const rows = readFileSync(path.join(out, 'open_files.tsv'), 'utf8').trim().split('\n').slice(1);
  const ticks = new Set(rows.map((r) => r.split('\t')[0]));
  assert.ok(ticks.size >= 3, `files listed on the ticks after the hang:\n${rows.join('\n')}`);
});
