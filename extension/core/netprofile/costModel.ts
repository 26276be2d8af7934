// What a step should cost on a given storage path: a model to print beside the measured figure (the demo's
// --explain view, bench:realism), so a result that the network cannot explain stands out. Pure: no I/O.
//
//   expected = compute + waves × (RTT + perRequest) + missBytes / rate + misses × service
//   requests = ⌈misses / bricksPerRequest⌉     (a GET or SMB/SFTP read may carry several adjacent bricks)
//   waves    = ⌈requests / parallelism⌉        (requests in flight overlap their round trips)
//
// compute  the step's time with every brick already local: the application's own work plus the local
//          read path (page cache, or FAST's cache file through its mount). Measured Warm, or estimated.
// misses   bricks the step must fetch over the link (Cold: every brick it touches; Warm: none).
// RTT      the link's round trip (the NAS LAN for A_shared, the WAN to Blob storage for B_fast).
// rate     the link's rate. It is shared by all requests in flight, so the transfer term does NOT divide by
//          the parallelism (the textbook "misses × (RTT + brick/rate) / parallelism" does, which would let
//          more streams beat the line rate).
// perRequest  fixed service time per request beyond the RTT (storage-side latency); 0 for the stand-in.
// service  the path's own work per missed brick, in wall time at its parallelism: CPU that the network terms
//          do not contain (for the stand-in's NAS: sshfs, ssh and sshd encrypting and copying 512 KiB; for its
//          FAST: the HTTP GET, Azurite, the cache file write, FUSE). Not fitted to any run being explained: it
//          is calibrated once per machine by reading uncached bricks through each mount over the `lan` link
//          (measured wall time minus this model's own network terms for that read, per brick;
//          extension/cli/standin/pathCalibration.ts), and 0 when no calibration is given.
// prefetched  bricks of a Cold step that read-ahead fetched before the step asked (B_fast's window beyond
//          the previous brick row); they cost nothing more than compute.
//
// Not modelled: TCP slow start and window limits per connection, read-ahead that overlaps compute, the
// page cache of the server behind the NAS. The model is a floor for the network part, not a simulation.
import type { NetProfile } from './profiles';

export type CostInputs = {
  computeMs: number;
  misses: number;
  brickBytes: number;
  rttMs: number;
  mbps: number;
  parallelism: number;
  bricksPerRequest?: number;
  perRequestMs?: number;
  /** The path's own wall time per missed brick (calibrated; see above). */
  serviceMsPerMiss?: number;
};

export type CostEstimate = {
  totalMs: number;
  computeMs: number;
  /** waves × (RTT + perRequest) */
  latencyMs: number;
  /** missBytes / rate */
  transferMs: number;
  /** misses × service */
  serviceMs: number;
  misses: number;
  requests: number;
  waves: number;
};

export function expectedCost(i: CostInputs): CostEstimate {
  if (i.parallelism < 1 || i.mbps <= 0 || i.misses < 0 || i.brickBytes <= 0) throw new Error(`cost model: bad inputs ${JSON.stringify(i)}`);
  const requests = Math.ceil(i.misses / Math.max(1, i.bricksPerRequest ?? 1));
  const waves = Math.ceil(requests / i.parallelism);
  const latencyMs = waves * (i.rttMs + (i.perRequestMs ?? 0));
  const transferMs = (i.misses * i.brickBytes * 8) / (i.mbps * 1000);
  const serviceMs = i.misses * (i.serviceMsPerMiss ?? 0);
  return { totalMs: i.computeMs + latencyMs + transferMs + serviceMs, computeMs: i.computeMs, latencyMs, transferMs, serviceMs, misses: i.misses, requests, waves };
}

/**
 * How each stand-in mode reaches its bricks, as model parameters:
 * - A_shared: the viewer keeps `viewerReads` positional reads in flight on the sshfs mount; each brick is one
 *   request (sshfs pipelines the SFTP reads of one brick in one round trip) over the NAS link.
 * - B_fast: fastcache fetches over the WAN with `streams` parallel GETs of up to `rangeBricks` adjacent bricks
 *   (the viewer asks for a whole brick row at once, so its misses travel in full-size ranges on every stream);
 *   bricks its read-ahead window fetched earlier are passed as `prefetched` and do not miss.
 */
export type StandinPathModel = { viewerReads: number; streams: number; rangeBricks: number };
export const STANDIN_PATHS: StandinPathModel = { viewerReads: 4, streams: 8, rangeBricks: 8 };

export function standinModeCost(o: {
  mode: 'A_shared' | 'B_fast';
  policy: 'Cold' | 'Warm';
  computeMs: number;
  /** Bricks the step touches (all miss when Cold, but for `prefetched`). */
  bricks: number;
  /** B_fast: bricks of the step its read-ahead fetched before they were asked for. */
  prefetched?: number;
  brickBytes: number;
  nas: NetProfile;
  wan: NetProfile;
  paths?: StandinPathModel;
  /** Calibrated per-miss service of each path (pathCalibration.ts); 0 without. */
  service?: { A_shared: number; B_fast: number };
}): CostEstimate {
  const p = o.paths ?? STANDIN_PATHS;
  const misses = o.policy === 'Cold' ? Math.max(0, o.bricks - (o.mode === 'B_fast' ? (o.prefetched ?? 0) : 0)) : 0;
  const serviceMsPerMiss = o.service?.[o.mode] ?? 0;
  return o.mode === 'A_shared'
    ? expectedCost({ computeMs: o.computeMs, misses, brickBytes: o.brickBytes, rttMs: o.nas.rttMs, mbps: o.nas.mbps, parallelism: p.viewerReads, serviceMsPerMiss })
    : expectedCost({
        computeMs: o.computeMs,
        misses,
        brickBytes: o.brickBytes,
        rttMs: o.wan.rttMs,
        mbps: o.wan.mbps,
        parallelism: p.streams,
        bricksPerRequest: p.rangeBricks,
        serviceMsPerMiss,
      });
}

/**
 * Brick rows a scrub of `steps` inlines forward from `start` reads beyond the row the open already read
 * (the viewer keeps the bricks it read; each new row is read whole when its first inline is shown).
 */
export function scrubNewRows(start: number, steps: number, brickSize: number, inlines: number): number {
  const last = Math.min(inlines - 1, start + steps);
  return Math.floor(last / brickSize) - Math.floor(start / brickSize);
}

/** One line for an --explain view: the model's terms beside the measured figure. */
export function explainCost(label: string, e: CostEstimate, measuredMs?: number): string {
  const f = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
  const service = e.serviceMs > 0 ? ` + service ${f(e.serviceMs)}` : '';
  const model = `${f(e.totalMs)} = compute ${f(e.computeMs)} + ${e.waves} wave(s) of ${e.requests} request(s) × RTT ${f(e.latencyMs)} + transfer ${f(e.transferMs)}${service}`;
  if (measuredMs === undefined) return `${label}: model ${model}`;
  const off = ((measuredMs - e.totalMs) / e.totalMs) * 100;
  return `${label}: measured ${f(measuredMs)}, model ${model} (${off >= 0 ? '+' : ''}${off.toFixed(0)} %)`;
}
