import { closeSync, existsSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { FASTCACHE_LOG_HEADER, formatFastcacheLine } from '../../shared/fastcacheFormat';
import { parseFastLogText } from '../fastlog/fastLogParsers';

/** Where the FAST log ends now: a run keeps what the log gains from here on. */
export function fastLogOffset(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

/**
 * Copies what the FAST log gained during the run into the run folder as fast_log.tsv, parsed with the
 * configured format and written as fastcache-v1, so every run carries its own FAST evidence in one format.
 * A log that shrank was rotated: the run then keeps the new log from its start.
 */
export function copyFastLog(file: string, from: number, out: string, format: string): Record<string, unknown> {
  if (!existsSync(file)) return { file, error: 'the FAST log does not exist' };
  const size = statSync(file).size;
  const start = size < from ? 0 : from;
  const buf = Buffer.alloc(size - start);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, start);
  } finally {
    closeSync(fd);
  }
  // A line still being written at the end is not ours to judge.
  const text = buf.toString('utf8');
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  const parsed = parseFastLogText(complete, format === 'fastcache-v1' ? 'fastcache-v1' : format);
  writeFileSync(out, [FASTCACHE_LOG_HEADER, ...parsed.records.map((r) => formatFastcacheLine(r))].join('\n') + '\n');
  return {
    file,
    bytes: [start, start + Buffer.byteLength(complete)],
    format: parsed.format,
    records: parsed.records.length,
    malformed: parsed.problems.slice(0, 5).map((p) => p.message),
    malformed_count: parsed.problems.length,
    ...(size < from ? { rotated: true } : {}),
  };
}
