import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseNvidiaSmiLine } from '../../extension/core/metrics/nvidiaSmi';
import { escapeTsvPath, unescapeTsvPath } from '../../extension/core/metrics/openFiles';
import { pathClassifier } from '../../extension/core/metrics/pathClasses';
import { parseDiskstats, parseNetDev, parsePidStat, parseProcStat } from '../../extension/core/metrics/procFiles';
import { TickSchedule } from '../../extension/core/metrics/tickSchedule';
import { parseCounterPath, parseTypeperfRow, splitCsvLine } from '../../extension/core/metrics/typeperfCsv';
import { rowFromTypeperf, typeperfCounters } from '../../extension/core/metrics/windowsSampler';

test('path rules: longest prefix wins; Windows compares case-insensitively and maps NT/UNC forms', () => {
  const rules = [
    { class: 'local' as const, prefix: 'C:\\' },
    { class: 'FAST_cache' as const, prefix: 'c:/FastCache/' },
    { class: 'NAS' as const, prefix: '\\\\nas01\\seismic\\' },
  ];
  const win = pathClassifier(rules, true);
  assert.equal(win('C:\\fastcache\\vol\\b.bin'), 'FAST_cache');
  assert.equal(win('C:\\Users\\me\\a.txt'), 'local');
  assert.equal(win('\\Device\\Mup\\NAS01\\Seismic\\vol.zgy'), 'NAS');
  assert.equal(win('\\\\?\\UNC\\nas01\\seismic\\vol.zgy'), 'NAS');
  assert.equal(win('D:\\x'), 'other');
  const posix = pathClassifier([{ class: 'NAS', prefix: '/mnt/nas/' }], false);
  assert.equal(posix('/mnt/NAS/x'), 'other', 'case matters on Linux');
  assert.equal(posix('/mnt/nas/x'), 'NAS');
});

test('open_files.tsv escaping keeps backslashes and round-trips tabs, newlines and %', () => {
  const p = 'C:\\a b\\50%\tx\ny';
  const e = escapeTsvPath(p);
  assert.equal(e, 'C:\\a b\\50%25%09x%0Ay');
  assert.equal(unescapeTsvPath(e), p);
});

test('/proc parsers: names with spaces and parentheses, whole disks only, interfaces by name', () => {
  const s = parsePidStat('123 (my (odd) app) S 1 123 123 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 98765 1000 10');
  assert.deepEqual(s, { state: 'S', cpuJiffies: 300, startTime: 98765 });
  const stat = parseProcStat('cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 50 0 25 400 25 0 0 0 0 0\ncpu1 50 0 25 400 25 0 0 0 0 0\nintr 1\n');
  assert.deepEqual(stat.all, { busy: 150, total: 1000 });
  assert.equal(stat.cores.length, 2);
  const disk = parseDiskstats(' 253 0 vda 10 0 200 0 5 0 100 0 0 0 0\n 253 1 vda1 10 0 200 0 5 0 100 0 0 0 0\n', new Set(['vda']));
  assert.deepEqual(disk, { readBytes: 200 * 512, writeBytes: 100 * 512 });
  const net = parseNetDev('h1\nh2\n    lo: 5 1 0 0 0 0 0 0 5 1 0 0 0 0 0 0\n  eth0: 1000 1 0 0 0 0 0 0 2000 1 0 0 0 0 0 0\n', new Set(['eth0']));
  assert.deepEqual(net, { rxBytes: 1000, txBytes: 2000 });
});

test('nvidia-smi lines: numbers, or null for [N/A]', () => {
  assert.deepEqual(parseNvidiaSmiLine(' 37, 2048'), { utilPct: 37, memMiB: 2048 });
  assert.equal(parseNvidiaSmiLine('[N/A], 2048'), null);
});

test('typeperf CSV: counter paths, quoted cells, blanks as missing, process by image:pid', () => {
  assert.deepEqual(splitCsvLine('"a","b,c","d""e"," "'), ['a', 'b,c', 'd"e', ' ']);
  assert.deepEqual(parseCounterPath('\\\\WS01\\Process V2(Petrel:4242)\\IO Read Bytes/sec'), { object: 'Process V2', instance: 'Petrel:4242', counter: 'IO Read Bytes/sec' });
  assert.deepEqual(parseCounterPath('\\\\WS01\\Memory\\Available Bytes'), { object: 'Memory', instance: undefined, counter: 'Available Bytes' });
  const counters = typeperfCounters({ image: 'Petrel', pid: 4242 }, 'Process V2');
  assert.ok(counters.includes('\\Process V2(Petrel:4242)\\IO Read Bytes/sec'));
  const header = splitCsvLine(
    '"(PDH-CSV 4.0) (W. Europe Standard Time)(-60)","\\\\WS\\Processor(0)\\% Processor Time","\\\\WS\\Processor(1)\\% Processor Time","\\\\WS\\Processor(_Total)\\% Processor Time","\\\\WS\\Memory\\Available Bytes","\\\\WS\\Process V2(Petrel:4242)\\% Processor Time","\\\\WS\\Process V2(Petrel:4242)\\Working Set","\\\\WS\\Process V2(Petrel:4242)\\IO Read Bytes/sec","\\\\WS\\Process V2(Petrel:4242)\\IO Write Bytes/sec","\\\\WS\\PhysicalDisk(_Total)\\Disk Read Bytes/sec","\\\\WS\\PhysicalDisk(_Total)\\Disk Write Bytes/sec","\\\\WS\\Network Interface(Ethernet)\\Bytes Received/sec","\\\\WS\\Network Interface(Wi-Fi)\\Bytes Received/sec","\\\\WS\\Network Interface(Ethernet)\\Bytes Sent/sec"',
  );
  const values = parseTypeperfRow(
    header,
    '"03/02/2025 10:00:01.123","80.5","20.5","50.5","4294967296","150.25","1073741824","25000000"," ","1000000","0","3000000","1000000","500000"',
  );
  const row = rowFromTypeperf(1, values, 8 * 1024 ** 3, true);
  assert.equal(row.cpu_pct, 50.5);
  assert.equal(row.cpu_core_max_pct, 80.5);
  assert.equal(row.ram_avail_mb, 4096);
  assert.equal(row.ram_used_mb, 4096);
  assert.equal(row.proc_cpu_pct, 150.3);
  assert.equal(row.proc_rss_mb, 1024);
  assert.equal(row.proc_read_bps, 25_000_000);
  assert.equal(row.proc_write_bps, null, 'a blank counter is an empty cell, not 0');
  assert.equal(row.disk_read_mbps, 1);
  assert.equal(row.net_rx_mbps, 4);
  assert.equal(row.net_tx_mbps, 0.5);
  assert.equal(row.gpu_util_pct, null);
});

test('ticks keep absolute deadlines: a slow tick does not shift the ones after it (bounds hold on a loaded 2-core machine)', async () => {
  const fired: { index: number; lateMs: number; deadlineUnixMs: number }[] = [];
  const schedule = new TickSchedule(100, async (t) => {
    fired.push(t);
    if (t.index === 2) await new Promise((r) => setTimeout(r, 250)); // overruns ticks 3 and 4
  });
  schedule.start();
  await new Promise((r) => setTimeout(r, 1000));
  schedule.stop();
  const indexes = fired.map((f) => f.index);
  assert.equal(indexes[0], 0);
  assert.ok(
    indexes.every((v, i) => i === 0 || v > indexes[i - 1]!),
    `never twice, never out of order: ${indexes.join(',')}`,
  );
  assert.ok(!indexes.includes(3) && !indexes.includes(4), `overrun ticks skipped: ${indexes.join(',')}`);
  // skipped counts exactly the deadlines that passed without a tick: 3 and 4, more if this machine ran slow.
  assert.equal(schedule.skipped, indexes.at(-1)! + 1 - indexes.length, `skipped ${schedule.skipped}, fired ${indexes.join(',')}`);
  assert.ok(schedule.skipped >= 2);
  assert.ok(fired.every((f) => f.deadlineUnixMs % 100 === 0));
  assert.ok(fired.length >= 4, `fired ${indexes.join(',')}`);
  // No drift: a schedule that shifted after the overrun would be ≥ 250 ms late on its last tick. One timer can be
  // late on a loaded machine, so the bound is generous; exact lateness is bench:agent's business.
  const last = fired.at(-1)!;
  assert.ok(last.lateMs < 200, `last tick ${last.index} late by ${last.lateMs.toFixed(1)} ms`);
});
