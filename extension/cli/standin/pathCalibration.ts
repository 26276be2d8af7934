// The cost model's `service` term (costModel.ts), measured once per machine: what each stand-in path costs
// per missed brick beyond the network terms the model already has. On a stack whose links are both `lan`
// (0.5 ms, 10 Gbit/s: the network terms are a few ms), each mode goes Cold and then one brick row is read
// through its mount as the viewer reads it (whole bricks, 4 positional reads in flight); the wall time minus
// the model's network terms for that read, divided by the bricks, is the path's own service per miss: CPU
// of sshfs/ssh/sshd (A_shared) or of the GETs, Azurite, the cache file write and FUSE (B_fast), on this
// machine. Median of `repeats`. It is a raw read, not a viewer run: nothing here sees the runs it explains.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { expectedCost, STANDIN_PATHS } from '../../core/netprofile/costModel';
import { netProfile } from '../../core/netprofile/profiles';
import { FileBrickSource } from '../../standin/volume/fileSource';
import { standinCold } from './standinCold';
import type { StandinStack } from './standinStack';

export type PathCalibration = {
  /** Service per missed brick, ms of wall time at the path's parallelism. */
  A_shared: number;
  B_fast: number;
  bricks: number;
  brickBytes: number;
  repeats: number;
  /** Each repeat's wall time of the read, ms. */
  wallMs: { A_shared: number[]; B_fast: number[] };
  loadAverage: number[];
  at: string;
};

/** Where bench:realism keeps the machine's calibration for `demo --explain`. */
export const calibrationFile = () => path.join(homedir(), '.fastbench', 'path-calibration.json');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** `stack` must run with the `lan` profile on both links (startStandinStack({profile: 'lan', nasProfile: 'lan'})). */
export async function calibratePaths(stack: Pick<StandinStack, 'paths' | 'endpoint'>, repeats = 3): Promise<PathCalibration> {
  const lan = netProfile('lan');
  const wallMs = { A_shared: [] as number[], B_fast: [] as number[] };
  let bricks = 0;
  let brickBytes = 0;
  for (let r = 0; r < repeats; r++) {
    for (const mode of (r % 2 ? ['B_fast', 'A_shared'] : ['A_shared', 'B_fast']) as ('A_shared' | 'B_fast')[]) {
      await standinCold(stack, mode);
      const src = await FileBrickSource.open(mode === 'A_shared' ? stack.paths.volumeA : stack.paths.volumeB, { concurrency: STANDIN_PATHS.viewerReads });
      try {
        const row = src.layout.inlineBricks(0);
        bricks = row.length;
        brickBytes = src.layout.brickBytes;
        const t0 = performance.now();
        await src.readBricks(row);
        wallMs[mode].push(performance.now() - t0);
      } finally {
        await src.close();
      }
    }
  }
  const network = (mode: 'A_shared' | 'B_fast') => {
    const e =
      mode === 'A_shared'
        ? expectedCost({ computeMs: 0, misses: bricks, brickBytes, rttMs: lan.rttMs, mbps: lan.mbps, parallelism: STANDIN_PATHS.viewerReads })
        : expectedCost({
            computeMs: 0,
            misses: bricks,
            brickBytes,
            rttMs: lan.rttMs,
            mbps: lan.mbps,
            parallelism: STANDIN_PATHS.streams,
            bricksPerRequest: STANDIN_PATHS.rangeBricks,
          });
    return e.totalMs;
  };
  const service = (mode: 'A_shared' | 'B_fast') => Math.max(0, (median(wallMs[mode]) - network(mode)) / bricks);
  return { A_shared: service('A_shared'), B_fast: service('B_fast'), bricks, brickBytes, repeats, wallMs, loadAverage: loadavg(), at: new Date().toISOString() };
}

export function saveCalibration(c: PathCalibration, file = calibrationFile()): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(c, null, 2) + '\n');
}

/** The saved calibration, or undefined when there is none or it is not one (the caller says so). */
export function loadCalibration(file = calibrationFile()): PathCalibration | undefined {
  try {
    const c = JSON.parse(readFileSync(file, 'utf8')) as Partial<PathCalibration>;
    return typeof c.A_shared === 'number' && typeof c.B_fast === 'number' && c.A_shared >= 0 && c.B_fast >= 0 ? (c as PathCalibration) : undefined;
  } catch {
    return undefined;
  }
}
