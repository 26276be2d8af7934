import { StringDecoder } from 'node:string_decoder';

// Line-by-line reading of run-folder files from any byte stream (a local file or a blob download): each chunk is
// decoded and cut at newlines as it arrives, so a file is never held whole, and a multi-byte UTF-8 character split
// across chunks is joined by the decoder.

/** A line as a range of `text` ([start, end), without "\n" or "\r\n"), so hot loops need not copy it. */
export type LineRangeSink = (text: string, start: number, end: number, lineNo: number) => void;
export type LineSink = (line: string, lineNo: number) => void;

/** Calls onLine with every line's range, 1-based line numbers; returns the number of lines. */
export async function forEachLineRange(chunks: AsyncIterable<Buffer | string>, onLine: LineRangeSink): Promise<number> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let lineNo = 0;
  for await (const chunk of chunks) {
    const text = rest + (typeof chunk === 'string' ? chunk : decoder.write(chunk));
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      onLine(text, start, end, ++lineNo);
      start = nl + 1;
    }
    rest = start === 0 ? text : text.slice(start);
  }
  rest += decoder.end();
  if (rest.length > 0) onLine(rest, 0, rest.endsWith('\r') ? rest.length - 1 : rest.length, ++lineNo);
  return lineNo;
}

/** Calls onLine for every line (without "\n" or "\r\n"), 1-based; returns the number of lines. */
export function forEachLine(chunks: AsyncIterable<Buffer | string>, onLine: LineSink): Promise<number> {
  return forEachLineRange(chunks, (text, start, end, lineNo) => onLine(text.slice(start, end), lineNo));
}
