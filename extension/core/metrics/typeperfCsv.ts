// typeperf -f CSV output: a header row of counter paths, then one row per interval, every cell quoted.
// A counter with no value yet (rates on their first interval, a process that exited) is a blank cell.

export function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (line[i] === '"') {
      let cell = '';
      i++;
      while (i < line.length) {
        if (line[i] === '"' && line[i + 1] === '"') {
          cell += '"';
          i += 2;
        } else if (line[i] === '"') {
          i++;
          break;
        } else cell += line[i++];
      }
      cells.push(cell);
      if (line[i] === ',') i++;
    } else {
      const end = line.indexOf(',', i);
      cells.push(end < 0 ? line.slice(i) : line.slice(i, end));
      i = end < 0 ? line.length : end + 1;
    }
  }
  return cells;
}

/** "\\HOST\Process V2(Petrel:1234)\IO Read Bytes/sec" → { object: "Process V2", instance: "Petrel:1234", counter: "IO Read Bytes/sec" } */
export function parseCounterPath(path: string): { object: string; instance: string | undefined; counter: string } | undefined {
  const m = /^(?:\\\\[^\\]+)?\\([^\\(]+)(?:\(([^)]*)\))?\\(.+)$/.exec(path);
  return m ? { object: m[1]!, instance: m[2], counter: m[3]! } : undefined;
}

export type TypeperfRow = { object: string; instance: string | undefined; counter: string; value: number | null }[];

/** Maps one data row onto the header's counters. */
export function parseTypeperfRow(header: string[], line: string): TypeperfRow {
  const cells = splitCsvLine(line);
  const row: TypeperfRow = [];
  for (let i = 1; i < header.length; i++) {
    const path = parseCounterPath(header[i]!);
    if (!path) continue;
    const text = (cells[i] ?? '').trim();
    const value = text === '' ? null : Number(text);
    row.push({ ...path, value: value !== null && Number.isFinite(value) ? value : null });
  }
  return row;
}
