// Malformed rows are counted and named (file:line: what was wrong), never fatal: one torn line at the end of a
// metrics.csv whose writer was killed must not cost the run. The first few are kept as examples for the report.

const MAX_EXAMPLES = 5;

export class RowProblems {
  count = 0;
  readonly examples: string[] = [];

  constructor(readonly file: string) {}

  add(line: number, message: string): void {
    this.count++;
    if (this.examples.length < MAX_EXAMPLES) this.examples.push(`${this.file}:${line}: ${message}`);
  }
}

/** A growable Float64Array: per-row values without boxing every number. */
export class Float64List {
  private data = new Float64Array(1024);
  length = 0;

  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }

  view(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

export const shown = (cell: string) => JSON.stringify(cell.length > 40 ? `${cell.slice(0, 37)}...` : cell);
