import { closeSync, fstatSync, fsyncSync, openSync, readSync, renameSync, writeFileSync, writeSync } from 'node:fs';

/**
 * An append-only text file written with one write(2) per call, so every line is in the kernel the moment
 * it is written: a crash (even kill -9) of the writer loses nothing already appended. fsync is left to
 * close(): the agent guards against its own death, not against the machine losing power.
 */
export class LineAppender {
  private fd: number;

  constructor(
    readonly file: string,
    header: string,
  ) {
    this.fd = openSync(file, 'a+');
    const size = fstatSync(this.fd).size;
    if (size === 0) {
      writeSync(this.fd, header + '\n');
      return;
    }
    // Appending to a file another version started: its header must be ours, or the columns would lie.
    const buf = Buffer.alloc(Math.min(size, header.length + 1));
    readSync(this.fd, buf, 0, buf.length, 0);
    if (buf.toString('utf8').split('\n')[0] !== header) {
      closeSync(this.fd);
      throw new Error(`${file}: exists with a different header; expected "${header.slice(0, 60)}…"`);
    }
  }

  append(text: string): void {
    if (text) writeSync(this.fd, text);
  }

  close(): void {
    try {
      fsyncSync(this.fd);
    } catch {
      // fsync is a bonus on close; the data is already in the kernel.
    }
    closeSync(this.fd);
  }
}

/** Replaces a small JSON file atomically (write + rename), so a reader never sees half of it. */
export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  renameSync(tmp, file);
}
