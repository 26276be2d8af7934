// What the analysis needs from any FAST log, whatever its text looks like: one record per request with
// its time, size, cache result and latency. Parsers for each log format turn lines into these.

export type FastLogKind = 'read' | 'fetch' | 'prefetch';
export type FastLogResult = 'hit' | 'miss' | 'ok' | 'error';

export type FastLogRecord = {
  /** When the request arrived, ms since the Unix epoch. */
  tUnixMs: number;
  /** read = an application request answered by the cache; fetch/prefetch = a ranged GET to storage. */
  kind: FastLogKind;
  request?: number;
  firstBrick?: number;
  lastBrick?: number;
  bytes: number;
  result: FastLogResult;
  latencyMs: number;
  detail?: string;
  /** 1-based line in the log file. */
  line: number;
};

/** A line that claims to be a record but is not a valid one; the message names the field. */
export class FastLogLineError extends Error {
  constructor(
    readonly line: number,
    readonly field: string,
    readonly expected: string,
    readonly found: string,
  ) {
    super(`line ${line}: ${field}: expected ${expected}, found ${found}`);
  }
}

export interface FastLogParser {
  /** The name used in fastbench.json (modes.B_fast.logFormat), e.g. "fastcache-v1". */
  readonly name: string;
  readonly description: string;
  /** True when the first non-empty line says the log is in this format. */
  sniff(firstLine: string): boolean;
  /** A record, or undefined for lines that carry none (comments, blank, banners); throws FastLogLineError. */
  parseLine(text: string, line: number): FastLogRecord | undefined;
}
