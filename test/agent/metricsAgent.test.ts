import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { MetricsAgentClient } from '../../extension/core/metrics/agentClient';
import { agentReportSchema } from '../../extension/core/metrics/agentMessages';
import { unescapeTsvPath } from '../../extension/core/metrics/openFiles';
import { METRICS_COLUMNS, OPEN_FILE_COLUMNS, metricsRowSchema } from '../../extension/shared/metrics';
import { AGENT_COMMAND, AGENT_JS, column, readCsv, sleep, startBusyTarget, tempDir } from './agentHarness';

/** Whether this machine has a GPU tool: the GPU columns are checked for numbers or for empty cells accordingly. */
const HAS_NVIDIA_SMI = spawnSync('nvidia-smi', ['-L'], { stdio: 'ignore', timeout: 5000 }).status === 0;

const report = (dir: string) => agentReportSchema.parse(JSON.parse(readFileSync(path.join(dir, 'agent.json'), 'utf8')));

test(`a row every second with the documented columns (GPU ${HAS_NVIDIA_SMI ? 'numbers: nvidia-smi present' : 'empty: no nvidia-smi'}), and the target classified open files, over 6 s`, async () => {
  const dir = tempDir('fb-agent-');
  const target = startBusyTarget(dir);
  const out = path.join(dir, 'run');
  const rules = [
    { class: 'NAS' as const, prefix: path.join(dir, 'nas') + '/' },
    { class: 'local' as const, prefix: dir + '/' },
    { class: 'FAST_cache' as const, prefix: path.join(dir, 'fast', 'cache') + '/' },
  ];
  try {
    await sleep(300); // the target opens its files
    const agent = await MetricsAgentClient.start({ outDir: out, targetPid: target.child.pid!, pathRules: rules, command: AGENT_COMMAND });
    const cpuAt = () => {
      const stat = readFileSync(`/proc/${target.child.pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(f[11]) + Number(f[12])) / 100;
    };
    const cpu0 = cpuAt();
    const wall0 = Date.now();
    await sleep(6500);
    // The kernel's own account of the target's CPU over the same span: the oracle for the agent's column.
    const truthPct = ((cpuAt() - cpu0) / ((Date.now() - wall0) / 1000)) * 100;
    const stopped = await agent.stop();
    assert.equal(stopped.code, 0);
    assert.ok(stopped.clean, 'the agent said "stopped" and exited 0');

    const csv = readCsv(path.join(out, 'metrics.csv'));
    assert.deepEqual(csv.header, [...METRICS_COLUMNS]);
    assert.ok(csv.rows.length >= 6, `≥ 6 rows in 6.5 s, got ${csv.rows.length}`);
    for (const r of csv.rows) {
      assert.equal(r.length, METRICS_COLUMNS.length);
      const parsed = metricsRowSchema.parse(Object.fromEntries(METRICS_COLUMNS.map((c, i) => [c, r[i] === '' ? null : Number(r[i])])));
      assert.ok(parsed.cpu_pct !== null && parsed.ram_used_mb! > 0 && parsed.ram_avail_mb! > 0);
    }
    const t = column(csv, 't_unix_ms').map(Number);
    // Bounds for a loaded 2-core machine (the target burns a core): drift would grow past them, jitter does not.
    for (let i = 1; i < t.length; i++) assert.ok(Math.abs(t[i]! - t[i - 1]! - 1000) < 300, `rows 1 s apart: ${t[i - 1]} → ${t[i]}`);
    // Absolute ticks: every row is taken just after a whole second, so lateness does not accumulate.
    // Ticks run on the monotonic clock, so the wall clock can read a hair before the second (…999).
    const offSecond = (ti: number) => Math.min(ti % 1000, 1000 - (ti % 1000));
    for (const ti of t) assert.ok(offSecond(ti) < 300, `tick at ${ti} is on the second`);
    const cpu = column(csv, 'proc_cpu_pct').map(Number);
    // A loaded CI machine gives the busy loop less than a core, so compare with the kernel, not a constant.
    const agentMean = cpu.slice(1).reduce((a, b) => a + b, 0) / Math.max(1, cpu.length - 1);
    assert.ok(truthPct > 10, `the target was busy (${truthPct.toFixed(1)} %)`);
    assert.ok(
      Math.abs(agentMean - truthPct) < Math.max(12, truthPct * 0.25),
      `agent's proc_cpu_pct mean ${agentMean.toFixed(1)} vs /proc ${truthPct.toFixed(1)}: ${cpu.join(' ')}`,
    );
    const read = column(csv, 'proc_read_bps').map(Number);
    assert.ok(read.filter((r) => r > 10e6).length >= t.length - 1, `the target reads > 10 MB/s: ${read.join(' ')}`);
    assert.ok(column(csv, 'proc_rss_mb').every((v) => Number(v) > 5));
    // GPU columns follow the machine: numbers where nvidia-smi answers, else empty cells (never zeros).
    const gpu = [...column(csv, 'gpu_util_pct'), ...column(csv, 'gpu_mem_mb')];
    // nvidia-smi's first reading may come after the first tick.
    const afterFirst = [...column(csv, 'gpu_util_pct').slice(1), ...column(csv, 'gpu_mem_mb').slice(1)];
    if (HAS_NVIDIA_SMI)
      assert.ok(
        afterFirst.every((v) => v !== '' && Number.isFinite(Number(v))),
        `nvidia-smi is here: GPU cells ${gpu.join(' ')}`,
      );
    else
      assert.ok(
        gpu.every((v) => v === ''),
        `no nvidia-smi here: GPU cells must be empty, got ${gpu.join(' ')}`,
      );

    const tsv = readCsv(path.join(out, 'open_files.tsv'), '\t');
    assert.deepEqual(tsv.header, [...OPEN_FILE_COLUMNS]);
    const classOf = new Map(tsv.rows.map((r) => [unescapeTsvPath(r[1]!), r[2]]));
    assert.equal(classOf.get(target.files.nas), 'NAS');
    assert.equal(classOf.get(target.files.fast), 'FAST_cache', 'the longest prefix wins');
    assert.equal(classOf.get(target.files.local), 'local', 'a tab in a path is escaped, not a column break');
    assert.ok(
      tsv.rows.every((r) => r.length === 3 && t.includes(Number(r[0]))),
      'open files carry the tick time of a metrics row',
    );

    const rep = report(out);
    assert.equal(rep.state, 'stopped');
    assert.equal(rep.stopReason, 'stop requested');
    assert.equal(rep.rows, csv.rows.length);
    assert.equal(rep.targetExitUnixMs, null);
    assert.match(rep.sources.proc_read_bps!, /rchar/);
    assert.ok(rep.lateMs && rep.lateMs.n >= csv.rows.length && rep.lateMs.p99 < 250, `tick lateness ${JSON.stringify(rep.lateMs)}`);
  } finally {
    target.child.kill('SIGKILL');
  }
});

test('the target exiting is recorded, not a crash: system columns go on, process cells go empty', async () => {
  const dir = tempDir('fb-agent-exit-');
  const target = startBusyTarget(dir, { exitAfterMs: 2200 });
  const out = path.join(dir, 'run');
  const agent = await MetricsAgentClient.start({ outDir: out, targetPid: target.child.pid!, command: AGENT_COMMAND });
  const messages: string[] = [];
  agent.onMessage((m) => messages.push(m.type === 'heartbeat' ? `heartbeat:${m.target}` : m.type));
  await sleep(5500);
  assert.ok(!agent.stalled);
  const stopped = await agent.stop();
  assert.ok(stopped.clean);
  assert.ok(agent.targetExitUnixMs !== undefined, 'target_exit was reported');
  assert.ok(messages.includes('heartbeat:running') && messages.includes('heartbeat:exited'), messages.join(' '));
  assert.equal(messages.filter((m) => m === 'target_exit').length, 1);
  const csv = readCsv(path.join(out, 'metrics.csv'));
  const after = csv.rows.filter((r) => Number(r[0]) > agent.targetExitUnixMs!);
  assert.ok(after.length >= 2, 'rows go on after the target exits');
  for (const r of after) {
    assert.notEqual(r[METRICS_COLUMNS.indexOf('cpu_pct')], '');
    for (const c of ['proc_cpu_pct', 'proc_rss_mb', 'proc_read_bps', 'proc_write_bps'] as const) assert.equal(r[METRICS_COLUMNS.indexOf(c)], '', `${c} empty after exit`);
  }
  assert.equal(report(out).targetExitUnixMs, agent.targetExitUnixMs);
});

test('kill -9 loses nothing already reported: every heartbeat has its complete row on disk', async () => {
  const dir = tempDir('fb-agent-kill-');
  const out = path.join(dir, 'run');
  const agent = await MetricsAgentClient.start({ outDir: out, targetPid: process.pid, command: AGENT_COMMAND });
  let beats = 0;
  agent.onMessage((m) => {
    if (m.type === 'heartbeat') beats = m.rows;
  });
  await sleep(3600);
  agent.child.kill('SIGKILL');
  await agent.exit();
  const csv = readCsv(path.join(out, 'metrics.csv'));
  assert.ok(beats >= 3);
  assert.ok(csv.rows.length >= beats, `${csv.rows.length} rows on disk for ${beats} heartbeats`);
  assert.ok(csv.text.endsWith('\n'), 'no half-written row');
  assert.ok(csv.rows.every((r) => r.length === METRICS_COLUMNS.length));
  assert.equal(report(out).state, 'running', 'agent.json tells a reader the agent never finished');
});

test('the agent stops when its stdin closes, and when its parent dies with stdin still open', async () => {
  const dir = tempDir('fb-agent-parent-');
  const a = await MetricsAgentClient.start({ outDir: path.join(dir, 'a'), command: AGENT_COMMAND });
  a.child.stdin!.end();
  const ea = await a.exit();
  assert.equal(ea.code, 0);
  assert.equal(a.stopped?.reason, 'stdin closed');

  // A parent that passes its own stdin on and is then SIGKILLed. The write end of that stdin is held by
  // a third process, so the agent's input stays open and only the parent check can stop it.
  const holder = spawn('sleep', ['30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const parent = spawn(
    process.execPath,
    [
      '-e',
      `const c = require('child_process').spawn(process.execPath, ${JSON.stringify([AGENT_JS, '--out', path.join(dir, 'b')])}, { stdio: ['inherit', 'ignore', 'inherit'] }); console.log(c.pid); setInterval(() => {}, 1000);`,
    ],
    { stdio: [holder.stdout!, 'pipe', 'inherit'] },
  );
  const agentPid = Number(await new Promise<string>((r) => parent.stdout!.once('data', (d) => r(String(d)))));
  await sleep(1500);
  parent.kill('SIGKILL');
  const deadline = Date.now() + 5000;
  const alive = () => {
    try {
      process.kill(agentPid, 0);
      return true;
    } catch {
      return false;
    }
  };
  while (alive() && Date.now() < deadline) await sleep(100);
  const stillAlive = alive();
  if (stillAlive) process.kill(agentPid, 'SIGKILL');
  holder.kill();
  assert.ok(!stillAlive, 'the agent exited after its parent died');
  assert.equal(report(path.join(dir, 'b')).stopReason, 'parent died');
});

test('GPU cells come from a long-lived nvidia-smi when one exists', async () => {
  const dir = tempDir('fb-agent-gpu-');
  // Stands in for nvidia-smi's loop mode (there is no GPU here): same arguments, same output format.
  const fake = path.join(dir, 'nvidia-smi');
  writeFileSync(
    fake,
    '#!/bin/sh\ncase "$*" in *--query-gpu=index,utilization.gpu,memory.used*) ;; *) exit 9;; esac\nwhile true; do echo "0, 37, 2048"; echo "1, 12, 1024"; sleep 1; done\n',
  );
  chmodSync(fake, 0o755);
  const out = path.join(dir, 'run');
  const child = spawn(AGENT_COMMAND[0]!, [...AGENT_COMMAND.slice(1), '--out', out], { stdio: ['pipe', 'ignore', 'inherit'], env: { ...process.env, FASTBENCH_NVIDIA_SMI: fake } });
  await sleep(3500);
  child.stdin!.end();
  await new Promise((r) => child.once('exit', r));
  const csv = readCsv(path.join(out, 'metrics.csv'));
  assert.ok(csv.rows.length >= 2);
  assert.deepEqual(new Set(column(csv, 'gpu_util_pct')), new Set(['37']), 'busiest GPU');
  assert.deepEqual(new Set(column(csv, 'gpu_mem_mb')), new Set(['3072']), 'memory summed over GPUs');
  // Without a target, process cells are empty and no open files are listed.
  assert.ok(column(csv, 'proc_cpu_pct').every((v) => v === ''));
  assert.equal(readFileSync(path.join(out, 'open_files.tsv'), 'utf8'), 't_unix_ms\tpath\tclass\n');
});

test('bad arguments: exit 2 with what was expected', async () => {
  const dir = tempDir('fb-agent-args-');
  for (const [args, expected] of [
    [['--pid', '12'], /--out DIR is required/],
    [['--out', dir, '--pid', 'abc'], /--pid: expected a process id, found "abc"/],
    [['--out', dir, '--rule', 'NAZ=/x'], /--rule: expected CLASS=PREFIX with CLASS one of NAS, FAST_cache, local, other, found "NAZ=\/x"/],
    [['--out', dir, '--config', path.join(dir, 'missing.json')], /missing\.json: expected a readable file, found no such file/],
  ] as const) {
    const child = spawn(process.execPath, [AGENT_JS, ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    const code = await new Promise((r) => child.once('exit', r));
    assert.equal(code, 2, err);
    assert.match(err, expected);
    assert.doesNotMatch(err, /\n\s+at /);
  }
  assert.ok(!existsSync(path.join(dir, 'metrics.csv')));
});
