import { open as openFile, readdir, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { SkippedFolder } from '../../shared/kpi';

// Where run folders live: a local tree, or a Blob container prefix (runs pushed from many workstations). The
// analysis reads both through this port, file by file as streams, so it never cares which one it is.

const CHUNK_BYTES = 1 << 20;

export const RUN_FILES = { manifest: 'run.json', markers: 'markers.tsv', metrics: 'metrics.csv', openFiles: 'open_files.tsv', fastLog: 'fast_log.tsv' } as const;

/** Files whose presence without a run.json means "this was meant to be a run folder". */
const RUN_FOLDER_EVIDENCE: readonly string[] = [RUN_FILES.markers, RUN_FILES.metrics, RUN_FILES.openFiles];

export interface RunStore {
  /** Every run folder (a folder holding run.json), at any depth, and folders that look like broken runs. */
  discover(): Promise<{ folders: string[]; skipped: SkippedFolder[] }>;
  /** The file's bytes as a stream, or null when the folder has no such file. */
  open(folder: string, file: string): Promise<AsyncIterable<Buffer> | null>;
  /** How to name a file of a folder in messages (a path, or a URL without any SAS). */
  describe(folder: string, file?: string): string;
}

export class LocalRunStore implements RunStore {
  constructor(readonly root: string) {}

  describe(folder: string, file?: string): string {
    return file ? path.join(folder, file) : folder;
  }

  async discover(): Promise<{ folders: string[]; skipped: SkippedFolder[] }> {
    const folders: string[] = [];
    const skipped: SkippedFolder[] = [];
    const visit = async (dir: string) => {
      let names: string[];
      try {
        names = (await readdir(dir)).sort();
      } catch (e) {
        skipped.push({ folder: dir, reason: `cannot list the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
        return;
      }
      if (names.includes(RUN_FILES.manifest)) {
        folders.push(dir);
        return;
      }
      if (names.some((n) => RUN_FOLDER_EVIDENCE.includes(n))) skipped.push({ folder: dir, reason: `${RUN_FILES.manifest} is missing` });
      for (const name of names) {
        if (name.startsWith('.')) continue;
        const child = path.join(dir, name);
        const isDir = await stat(child).then(
          (s) => s.isDirectory(),
          () => false,
        );
        if (isDir) await visit(child);
      }
    };
    await visit(this.root);
    return { folders, skipped };
  }

  async open(folder: string, file: string): Promise<AsyncIterable<Buffer> | null> {
    let fh: FileHandle;
    try {
      fh = await openFile(path.join(folder, file), 'r');
    } catch (e) {
      if (['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '')) return null;
      throw e;
    }
    try {
      const s = await fh.stat();
      if (!s.isFile()) {
        await fh.close();
        return null;
      }
      // A file no bigger than one stream chunk is read in one go: the same memory, fewer round trips.
      if (s.size <= CHUNK_BYTES) {
        const data = await fh.readFile();
        await fh.close();
        return (async function* () {
          yield data;
        })();
      }
    } catch (e) {
      await fh.close();
      throw e;
    }
    return fh.createReadStream({ highWaterMark: CHUNK_BYTES, autoClose: true });
  }
}
