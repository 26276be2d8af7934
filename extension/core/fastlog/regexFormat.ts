// A parser for a log format we only learn on site (Bluware FAST's log is not public): logFormat
// "regex:PATTERN", a JavaScript regular expression with named groups
//   time (anything Date.parse reads, e.g. ISO-8601) or t_unix_ms; bytes; latency_ms, latency_us or latency_s;
//   result (hit/miss, also HIT, cached, true/false); optional kind (read/fetch/prefetch), first, last, req.
// Lines that do not match are not records (banners, other messages); the caller reports how many matched.
import { FastLogLineError, type FastLogKind, type FastLogParser, type FastLogResult } from '../../shared/fastLogRecord';

export const REGEX_PREFIX = 'regex:';

function resultOf(text: string): FastLogResult | undefined {
  const t = text.toLowerCase();
  if (['hit', 'cached', 'cache_hit', 'true', 'yes', '1'].includes(t)) return 'hit';
  if (['miss', 'cache_miss', 'false', 'no', '0', 'fetched'].includes(t)) return 'miss';
  if (t === 'ok' || t === 'error') return t;
  return undefined;
}

export function regexParser(spec: string): FastLogParser {
  const source = spec.startsWith(REGEX_PREFIX) ? spec.slice(REGEX_PREFIX.length) : spec;
  let re: RegExp;
  try {
    re = new RegExp(source);
  } catch (e) {
    throw new Error(`logFormat "${spec}": not a valid regular expression (${(e as Error).message})`);
  }
  const groups = new Set([...source.matchAll(/\(\?<([A-Za-z_]+)>/g)].map((m) => m[1]!));
  const missing = [
    groups.has('time') || groups.has('t_unix_ms') ? undefined : 'time or t_unix_ms',
    groups.has('bytes') ? undefined : 'bytes',
    groups.has('latency_ms') || groups.has('latency_us') || groups.has('latency_s') ? undefined : 'latency_ms, latency_us or latency_s',
    groups.has('result') ? undefined : 'result',
  ].filter(Boolean);
  if (missing.length) throw new Error(`logFormat "${spec}": the pattern needs named groups for ${missing.join('; ')}`);

  return {
    name: spec,
    description: `lines matching /${source}/`,
    sniff: () => false,
    parseLine(text, line) {
      const g = re.exec(text)?.groups;
      if (!g) return undefined;
      const tUnixMs = g.t_unix_ms !== undefined ? Number(g.t_unix_ms) : Date.parse(g.time!);
      if (!Number.isFinite(tUnixMs)) throw new FastLogLineError(line, 'time', 'a date/time Date.parse understands, or t_unix_ms', JSON.stringify(g.time ?? g.t_unix_ms));
      const bytes = Number(g.bytes);
      if (!Number.isFinite(bytes) || bytes < 0) throw new FastLogLineError(line, 'bytes', 'a number ≥ 0', JSON.stringify(g.bytes));
      const latency = g.latency_ms !== undefined ? Number(g.latency_ms) : g.latency_us !== undefined ? Number(g.latency_us) / 1000 : Number(g.latency_s) * 1000;
      if (!Number.isFinite(latency) || latency < 0) {
        throw new FastLogLineError(line, 'latency', 'a number ≥ 0', JSON.stringify(g.latency_ms ?? g.latency_us ?? g.latency_s));
      }
      const result = resultOf(g.result ?? '');
      if (!result) throw new FastLogLineError(line, 'result', 'hit or miss (or HIT, cached, true/false, ok, error)', JSON.stringify(g.result));
      const kind = (g.kind?.toLowerCase() ?? 'read') as FastLogKind;
      if (!['read', 'fetch', 'prefetch'].includes(kind)) throw new FastLogLineError(line, 'kind', 'read, fetch or prefetch', JSON.stringify(g.kind));
      return {
        tUnixMs,
        kind,
        bytes,
        result,
        latencyMs: latency,
        line,
        ...(g.req !== undefined ? { request: Number(g.req) } : {}),
        ...(g.first !== undefined ? { firstBrick: Number(g.first), lastBrick: Number(g.last ?? g.first) } : {}),
      };
    },
  };
}
