import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { FASTCACHE_LOG_HEADER, formatFastcacheLine } from '../../extension/shared/fastcacheFormat';
import { parseFastLogText, parserFor, readFastLog } from '../../extension/core/fastlog/fastLogParsers';
import { tempDir } from './harness';

test('fastcache-v1: lines written by the formatter parse back to the same records', () => {
  const records = [
    { tUnixMs: 1714564800123.456, kind: 'read' as const, request: 17, firstBrick: 640, lastBrick: 655, bytes: 8388608, result: 'miss' as const, latencyMs: 12.345 },
    {
      tUnixMs: 1714564800125.1,
      kind: 'fetch' as const,
      request: 17,
      firstBrick: 640,
      lastBrick: 647,
      bytes: 4194304,
      result: 'error' as const,
      latencyMs: 3,
      detail: 'GET failed:\ttab\nnewline',
    },
  ];
  const text = [FASTCACHE_LOG_HEADER, '# start pid 1', ...records.map(formatFastcacheLine)].join('\n') + '\n';
  const log = parseFastLogText(text);
  assert.equal(log.format, 'fastcache-v1');
  assert.equal(log.problems.length, 0);
  assert.equal(log.skipped, 2, 'header and comment lines carry no record');
  assert.deepEqual(log.records[0], { ...records[0], line: 3 });
  assert.equal(log.records[1]!.detail, 'GET failed: tab newline', 'a detail never breaks a line');
});

test('fastcache-v1: bad lines are reported with line number, field, expected and found; good lines still count', () => {
  const lines = [
    FASTCACHE_LOG_HEADER,
    '1714564800000.000\tread\t1\t0-7\t524288\thit\t0.050',
    '1714564800000.000\tread\t1\t7-0\t524288\thit\t0.050',
    '1714564800000.000\tpeek\t1\t0-7\t524288\thit\t0.050',
    '1714564800000.000\tfetch\t1\t0-7\t524288\thit\t0.050',
    'yesterday\tread\t1\t0-7\t524288\thit\t0.050',
    '1714564800000.000\tread\t1\t0-7',
    '1714564800000.000\tread\t1\t0-7\t524288\tmiss\t-1',
  ];
  const log = parseFastLogText(lines.join('\n'), 'fastcache-v1');
  assert.equal(log.records.length, 1);
  assert.deepEqual(
    log.problems.map((p) => p.message),
    [
      'line 3: bricks: expected FIRST-LAST with FIRST ≤ LAST, found "7-0"',
      'line 4: kind: expected read | fetch | prefetch, found "peek"',
      'line 5: result: expected ok | error, found "hit"',
      'line 6: t_unix_ms: expected a number ≥ 0, found "yesterday"',
      'line 7: fields: expected 7 or 8 tab-separated fields, found 4',
      'line 8: latency_ms: expected a number ≥ 0, found "-1"',
    ],
  );
});

test('a real FAST log can be read with a regex format once its layout is known', async () => {
  // An invented layout standing in for whatever Bluware FAST writes; only the pattern is configuration.
  const format = String.raw`regex:^(?<time>\S+) \[IO\] read offset=\d+ len=(?<bytes>\d+) (?<result>HIT|MISS) took (?<latency_us>\d+)us$`;
  const file = path.join(tempDir('fastlog'), 'fast.log');
  writeFileSync(
    file,
    [
      'FAST 4.2 starting',
      '2024-05-01T12:00:00.000Z [IO] read offset=0 len=1048576 MISS took 45000us',
      '2024-05-01T12:00:00.100Z [IO] read offset=0 len=1048576 HIT took 350us',
      '2024-05-01T12:00:01.000Z [IO] read offset=0 len=x HIT took 1us',
    ].join('\r\n'),
  );
  const log = await readFastLog(file, format);
  assert.deepEqual(
    log.records.map((r) => [r.tUnixMs, r.bytes, r.result, r.latencyMs, r.kind]),
    [
      [Date.parse('2024-05-01T12:00:00.000Z'), 1048576, 'miss', 45, 'read'],
      [Date.parse('2024-05-01T12:00:00.100Z'), 1048576, 'hit', 0.35, 'read'],
    ],
  );
  assert.equal(log.problems.length, 0, 'the line with len=x does not match the pattern: skipped, not an error');
  assert.equal(log.skipped, 2, 'the banner and the non-matching line');
});

test('format choice: clear errors for unknown names, patterns without the needed groups, undetectable logs', async () => {
  assert.throws(() => parserFor('fast-v9'), /logFormat "fast-v9": expected one of fastcache-v1, regex:PATTERN, auto/);
  assert.throws(() => parserFor('regex:^(?<time>\\S+) (?<bytes>\\d+)$'), /needs named groups for latency_ms, latency_us or latency_s; result/);
  assert.throws(() => parserFor('regex:(unclosed'), /not a valid regular expression/);
  assert.throws(() => parseFastLogText('something else\n'), /cannot tell the log format from its first line "something else"; set logFormat/);
  await assert.rejects(readFastLog('/nonexistent/fast.log'), /\/nonexistent\/fast\.log: cannot read the FAST log \(no such file\)/);
});
