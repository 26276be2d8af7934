import assert from 'node:assert/strict';
import { test } from 'node:test';
import { standinStartInline } from '../../extension/cli/standin/standinStack';
import { expectedCost, explainCost, scrubNewRows, standinModeCost } from '../../extension/core/netprofile/costModel';
import { netProfile } from '../../extension/core/netprofile/profiles';
import { DEMO_SPEC } from '../../extension/standin/volume/generate';

const MiB = 1024 * 1024;

test('the cost model: compute + waves × RTT + bytes / rate; the rate is shared by requests in flight', () => {
  // 80 bricks of 512 KiB, 8 in flight, one per request, 30 ms / 500 Mbit/s: 10 waves × 30 ms + 40 MiB at 62.5 MB/s.
  const e = expectedCost({ computeMs: 100, misses: 80, brickBytes: 512 * 1024, rttMs: 30, mbps: 500, parallelism: 8 });
  assert.equal(e.requests, 80);
  assert.equal(e.waves, 10);
  assert.equal(e.latencyMs, 300);
  assert.ok(Math.abs(e.transferMs - (40 * MiB * 8) / 500e3) < 1e-9);
  assert.ok(Math.abs(e.totalMs - (100 + 300 + e.transferMs)) < 1e-9);
  // More streams overlap more round trips but never beat the line rate.
  const wide = expectedCost({ computeMs: 0, misses: 80, brickBytes: 512 * 1024, rttMs: 30, mbps: 500, parallelism: 1000 });
  assert.equal(wide.latencyMs, 30);
  assert.equal(wide.transferMs, e.transferMs);
  // Ranges of several bricks: fewer requests.
  assert.equal(expectedCost({ computeMs: 0, misses: 80, brickBytes: 1, rttMs: 1, mbps: 1, parallelism: 8, bricksPerRequest: 8 }).requests, 10);
  assert.equal(expectedCost({ computeMs: 5, misses: 0, brickBytes: 1, rttMs: 90, mbps: 1, parallelism: 1 }).totalMs, 5, 'Warm: compute only');
  assert.throws(() => expectedCost({ computeMs: 0, misses: 1, brickBytes: 1, rttMs: 1, mbps: 0, parallelism: 1 }), /cost model: bad inputs/);
});

test('stand-in modes: A_shared pays the NAS link per brick, B_fast the WAN per range; the explain line shows the terms', () => {
  const o = { computeMs: 1000, bricks: 80, brickBytes: 512 * 1024, nas: netProfile('lan'), wan: netProfile('intercontinental') };
  const a = standinModeCost({ ...o, mode: 'A_shared', policy: 'Cold' });
  const b = standinModeCost({ ...o, mode: 'B_fast', policy: 'Cold' });
  assert.equal(a.requests, 80);
  assert.equal(b.requests, 10);
  assert.ok(b.totalMs / a.totalMs > 1.5, `intercontinental B_fast Cold is clearly slower: ${b.totalMs} vs ${a.totalMs}`);
  assert.equal(standinModeCost({ ...o, mode: 'B_fast', policy: 'Warm' }).totalMs, 1000);
  assert.match(
    explainCost('B_fast Cold open', b, 3000),
    /^B_fast Cold open: measured 3\.00 s, model 2\.86 s = compute 1\.00 s \+ 2 wave\(s\) of 10 request\(s\) × RTT 180 ms \+ transfer 1\.68 s \(\+5 %\)$/,
  );
});

test('the service term: misses × the calibrated per-brick service; read-ahead bricks do not miss; the explain line names it', () => {
  const o = { computeMs: 1000, bricks: 160, brickBytes: 512 * 1024, nas: netProfile('lan'), wan: netProfile('cross-region'), service: { A_shared: 2, B_fast: 1 } };
  const a = standinModeCost({ ...o, mode: 'A_shared', policy: 'Cold' });
  assert.equal(a.serviceMs, 320);
  assert.equal(a.totalMs, 1000 + a.latencyMs + a.transferMs + 320);
  const b = standinModeCost({ ...o, mode: 'B_fast', policy: 'Cold', prefetched: 32 });
  assert.equal(b.misses, 128);
  assert.equal(b.serviceMs, 128);
  assert.equal(b.requests, 16);
  assert.equal(standinModeCost({ ...o, mode: 'A_shared', policy: 'Cold', prefetched: 32 }).misses, 160, 'the NAS path has no read-ahead of its own here');
  assert.equal(standinModeCost({ ...o, mode: 'A_shared', policy: 'Warm' }).totalMs, 1000, 'Warm: no misses, no service');
  assert.match(explainCost('A_shared Cold scrub', a, a.totalMs), / \+ service 320 ms \(\+0 %\)$/);
});

test('a scrub crosses the brick rows it really would: from mid-row, 100 inlines of 64-inline rows reach 2 rows beyond the open', () => {
  assert.equal(scrubNewRows(288, 100, 64, 512), 2);
  assert.equal(scrubNewRows(0, 100, 64, 512), 1);
  assert.equal(scrubNewRows(256, 27, 64, 512), 0);
  assert.equal(scrubNewRows(500, 100, 64, 512), 0, 'stops at the last inline');
  assert.equal(standinStartInline(DEMO_SPEC), 96, 'the middle of brick row 1 of 4: the scrub ends at 196, inside the survey');
  assert.equal(standinStartInline({ dims: [512, 512, 640], brickSize: 64 }), 224, 'row 3 holds the middle of 0..411, the starts that fit');
  assert.equal(standinStartInline({ dims: [128, 64, 64], brickSize: 64 }), 27, 'the last start that fits, when the mid-row one does not');
  assert.equal(standinStartInline(DEMO_SPEC, 150), 32, 'starts 0..105 fit: row 0 holds their middle');
  assert.equal(standinStartInline(DEMO_SPEC, 200), 32);
  assert.equal(scrubNewRows(96, 100, 64, 256), 2);
  assert.equal(standinStartInline({ dims: [40, 8, 8], brickSize: 64 }), 32);
});
