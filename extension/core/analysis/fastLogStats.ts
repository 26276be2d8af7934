import { FastLogLineError, type FastLogParser } from '../../shared/fastLogRecord';
import { percentileSorted } from '../../shared/statistics';
import { parserFor } from '../fastlog/fastLogParsers';
import { forEachLine } from './lines';
import { Float64List, RowProblems } from './rowProblems';

// FAST columns from fast_log.tsv (the FAST log tailed for the run): application read requests inside the run
// window. fast_requests = their count, fast_hit_ratio = hits / requests, latencies p50/p95 (numpy-linear percentiles).

export type FastStats = {
  fast_requests: number | null;
  fast_hit_ratio: number | null;
  fast_latency_p50_ms: number | null;
  fast_latency_p95_ms: number | null;
  /** Sorted read latencies (ms) in the window, for the CDF. */
  latencies: Float64Array;
  unusable?: string;
};

export async function readFastStats(chunks: AsyncIterable<Buffer>, window: { from: number | null; to: number | null }, problems: RowProblems): Promise<FastStats> {
  const from = window.from ?? Infinity;
  const to = window.to ?? Infinity;
  let parser: FastLogParser | undefined;
  let unusable: string | undefined;
  let hits = 0;
  const lat = new Float64List();
  await forEachLine(chunks, (line, lineNo) => {
    if (unusable) return;
    if (!parser) {
      if (line.trim() === '') return;
      try {
        parser = parserFor('auto', line);
      } catch (e) {
        unusable = `${problems.file}:${lineNo}: ${(e as Error).message}`;
        return;
      }
    }
    try {
      const r = parser.parseLine(line, lineNo);
      if (!r || r.kind !== 'read' || r.tUnixMs < from || r.tUnixMs > to) return;
      lat.push(r.latencyMs);
      if (r.result === 'hit') hits++;
    } catch (e) {
      if (!(e instanceof FastLogLineError)) throw e;
      problems.add(lineNo, `${e.field}: expected ${e.expected}, found ${e.found}`);
    }
  });
  const sorted = lat.view().slice().sort();
  const n = sorted.length;
  const some = !unusable && window.from !== null;
  return {
    fast_requests: some ? n : null,
    fast_hit_ratio: some && n > 0 ? hits / n : null,
    fast_latency_p50_ms: some && n > 0 ? percentileSorted(sorted, 50) : null,
    fast_latency_p95_ms: some && n > 0 ? percentileSorted(sorted, 95) : null,
    latencies: some ? sorted : new Float64Array(0),
    ...(unusable ? { unusable } : {}),
  };
}
