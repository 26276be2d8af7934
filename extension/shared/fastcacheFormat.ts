// The stand-in fastcache's log format, "fastcache-v1": UTF-8 text, one tab-separated record per line,
// a header line first, the daemon appends and flushes each line as the request completes.
//
//   # fastcache-v1	t_unix_ms	kind	req	bricks	bytes	result	latency_ms	detail
//   1714564800123.456	read	17	640-655	8388608	miss	12.345
//   1714564800125.101	fetch	17	640-647	4194304	ok	10.020
//
// t_unix_ms   arrival of the request, ms since the Unix epoch, 3 decimals
// kind        read: an application request (one line per run of adjacent bricks with the same result);
//             fetch: a ranged GET to Blob storage filling misses; prefetch: a read-ahead GET
// req         the application request id (fetch lines carry the id that caused them; prefetch 0)
// bricks      FIRST-LAST, inclusive brick indices (file order)
// bytes       bytes of those bricks
// result      read: hit | miss (waited for storage); fetch/prefetch: ok | error
// latency_ms  read: arrival → bricks in the cache file; fetch: GET start → last byte written
// detail      optional, free text (error message); may be absent
import { FastLogLineError, type FastLogKind, type FastLogParser, type FastLogRecord, type FastLogResult } from './fastLogRecord';

export const FASTCACHE_FORMAT = 'fastcache-v1';
export const FASTCACHE_LOG_HEADER = `# ${FASTCACHE_FORMAT}\tt_unix_ms\tkind\treq\tbricks\tbytes\tresult\tlatency_ms\tdetail`;

const KINDS: readonly string[] = ['read', 'fetch', 'prefetch'];
const RESULTS: Record<FastLogKind, readonly string[]> = { read: ['hit', 'miss'], fetch: ['ok', 'error'], prefetch: ['ok', 'error'] };

/** One log line (no newline). Tabs and newlines in detail are replaced so a line stays one record. */
export function formatFastcacheLine(r: Omit<FastLogRecord, 'line'>): string {
  const fields = [
    r.tUnixMs.toFixed(3),
    r.kind,
    String(r.request ?? 0),
    `${r.firstBrick ?? 0}-${r.lastBrick ?? r.firstBrick ?? 0}`,
    String(r.bytes),
    r.result,
    r.latencyMs.toFixed(3),
  ];
  if (r.detail) fields.push(r.detail.replace(/[\t\r\n]+/g, ' '));
  return fields.join('\t');
}

function num(text: string | undefined, line: number, field: string, integer: boolean): number {
  const v = text === undefined || text === '' ? NaN : Number(text);
  if (!Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) {
    throw new FastLogLineError(line, field, integer ? 'an integer ≥ 0' : 'a number ≥ 0', text === undefined ? 'nothing' : JSON.stringify(text));
  }
  return v;
}

export const fastcacheParser: FastLogParser = {
  name: FASTCACHE_FORMAT,
  description: 'the stand-in fastcache daemon: tab-separated t_unix_ms, kind, req, bricks, bytes, result, latency_ms',
  sniff: (first) => first.startsWith(`# ${FASTCACHE_FORMAT}`),
  parseLine(text, line) {
    if (text === '' || text.startsWith('#')) return undefined;
    const f = text.split('\t');
    if (f.length < 7) throw new FastLogLineError(line, 'fields', '7 or 8 tab-separated fields', String(f.length));
    const tUnixMs = num(f[0], line, 't_unix_ms', false);
    const kind = f[1]!;
    if (!KINDS.includes(kind)) throw new FastLogLineError(line, 'kind', KINDS.join(' | '), JSON.stringify(kind));
    const request = num(f[2], line, 'req', true);
    const m = /^(\d+)-(\d+)$/.exec(f[3]!);
    if (!m || Number(m[2]) < Number(m[1])) throw new FastLogLineError(line, 'bricks', 'FIRST-LAST with FIRST ≤ LAST', JSON.stringify(f[3]));
    const bytes = num(f[4], line, 'bytes', true);
    const result = f[5]!;
    if (!RESULTS[kind as FastLogKind].includes(result)) {
      throw new FastLogLineError(line, 'result', RESULTS[kind as FastLogKind].join(' | '), JSON.stringify(result));
    }
    const latencyMs = num(f[6], line, 'latency_ms', false);
    const record: FastLogRecord = {
      tUnixMs,
      kind: kind as FastLogKind,
      request,
      firstBrick: Number(m[1]),
      lastBrick: Number(m[2]),
      bytes,
      result: result as FastLogResult,
      latencyMs,
      line,
    };
    if (f[7]) record.detail = f.slice(7).join(' ');
    return record;
  },
};
