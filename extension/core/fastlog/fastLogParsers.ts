// Chooses a FAST log parser by name (modes.B_fast.logFormat) or by sniffing the first line, and reads a
// whole log into records. Bad lines are collected with their line numbers rather than aborting, so one
// torn line at the end of a log (the writer was killed) does not hide thousands of good ones.
import { readFile } from 'node:fs/promises';
import { fastcacheParser } from '../../shared/fastcacheFormat';
import { FastLogLineError, type FastLogParser, type FastLogRecord } from '../../shared/fastLogRecord';
import { REGEX_PREFIX, regexParser } from './regexFormat';

const BUILT_IN: FastLogParser[] = [fastcacheParser];

export function fastLogFormats(): string[] {
  return [...BUILT_IN.map((p) => p.name), `${REGEX_PREFIX}PATTERN`, 'auto'];
}

export function parserFor(format: string, firstLine = ''): FastLogParser {
  if (format.startsWith(REGEX_PREFIX)) return regexParser(format);
  if (format === 'auto') {
    const found = BUILT_IN.find((p) => p.sniff(firstLine));
    if (!found) throw new Error(`cannot tell the log format from its first line ${JSON.stringify(firstLine.slice(0, 80))}; set logFormat (one of ${fastLogFormats().join(', ')})`);
    return found;
  }
  const named = BUILT_IN.find((p) => p.name === format);
  if (!named) throw new Error(`logFormat "${format}": expected one of ${fastLogFormats().join(', ')}`);
  return named;
}

export type ParsedFastLog = {
  format: string;
  records: FastLogRecord[];
  /** Lines that carried no record (comments, banners, lines a regex did not match). */
  skipped: number;
  problems: FastLogLineError[];
};

export function parseFastLogText(text: string, format = 'auto'): ParsedFastLog {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  const parser = parserFor(format, lines.find((l) => l.trim() !== '') ?? '');
  const records: FastLogRecord[] = [];
  const problems: FastLogLineError[] = [];
  let skipped = 0;
  lines.forEach((text, i) => {
    try {
      const r = parser.parseLine(text, i + 1);
      if (r) records.push(r);
      else skipped++;
    } catch (e) {
      if (!(e instanceof FastLogLineError)) throw e;
      problems.push(e);
    }
  });
  return { format: parser.name, records, skipped, problems };
}

export async function readFastLog(file: string, format = 'auto'): Promise<ParsedFastLog> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${file}: cannot read the FAST log (${code === 'ENOENT' ? 'no such file' : code})`);
  }
  try {
    return parseFastLogText(text, format);
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
}
