import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { containerClient, explainContainerError } from './blobRunStore';
import { containerDisplayUrl, type ContainerAddress } from './containerUrl';
import { LocalRunStore, RUN_FILES } from './runStore';

// `fastbench runs push`: run folders from one workstation into a Blob container, so runs from many sites can be
// analysed together. Idempotent and resumable: a file whose blob already has the same size and Content-MD5 is left
// alone, so pushing again after an interruption sends only what is missing or changed. Every upload carries the
// file's MD5, which Azure checks against the bytes it received (400 Md5Mismatch otherwise), and the MD5 Azure
// reports back is compared with ours. run.json goes last, so a half-pushed folder is not yet a run to the analysis.

export const SINGLE_PUT_LIMIT = 256 * 1024 * 1024;
const BLOCK_BYTES = 8 * 1024 * 1024;

export type PushFileResult = { file: string; blob: string; bytes: number; action: 'uploaded' | 'unchanged' };
export type PushSummary = { runs: number; uploaded: number; unchanged: number; bytes: number; files: PushFileResult[]; skipped: { folder: string; reason: string }[] };

async function md5Of(file: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('base64');
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    if (name.startsWith('.') || name.endsWith('.tmp')) continue;
    const p = path.join(dir, name);
    const s = await stat(p);
    if (s.isDirectory()) out.push(...(await filesUnder(p)));
    else if (s.isFile()) out.push(p);
  }
  // run.json last: the folder becomes a run in the container only when everything else is there.
  return out.sort(
    (a, b) => Number(path.basename(a) === RUN_FILES.manifest && path.dirname(a) === dir) - Number(path.basename(b) === RUN_FILES.manifest && path.dirname(b) === dir),
  );
}

const toBlobPath = (...parts: string[]) =>
  parts
    .filter(Boolean)
    .join('/')
    .split(/[\\/]+/)
    .filter(Boolean)
    .join('/');

export async function pushRuns(
  root: string,
  address: ContainerAddress,
  sas: string | undefined,
  opts: { onFile?: (r: PushFileResult) => void; signal?: AbortSignal; concurrency?: number } = {},
): Promise<PushSummary> {
  const container = containerClient(address, sas);
  const store = new LocalRunStore(root);
  const { folders, skipped } = await store.discover();
  const summary: PushSummary = { runs: folders.length, uploaded: 0, unchanged: 0, bytes: 0, files: [], skipped };
  // A root that is itself one run folder is pushed under its own name.
  const base = folders.length === 1 && path.resolve(folders[0]!) === path.resolve(root) ? path.dirname(path.resolve(root)) : path.resolve(root);
  for (const folder of folders) {
    const files = await filesUnder(folder);
    // Files in parallel, but run.json strictly after the rest of its folder.
    const manifest = files.filter((f) => path.basename(f) === RUN_FILES.manifest && path.dirname(f) === folder);
    const rest = files.filter((f) => !manifest.includes(f));
    const one = async (file: string) => {
      opts.signal?.throwIfAborted();
      const blobName = toBlobPath(address.prefix, path.relative(base, file));
      const r = await pushFile(container, address, file, blobName);
      summary.files.push(r);
      if (r.action === 'uploaded') {
        summary.uploaded++;
        summary.bytes += r.bytes;
      } else summary.unchanged++;
      opts.onFile?.(r);
    };
    let next = 0;
    const worker = async () => {
      while (next < rest.length) await one(rest[next++]!);
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 4, rest.length)) }, worker));
    for (const f of manifest) await one(f);
  }
  return summary;
}

async function pushFile(container: ReturnType<typeof containerClient>, address: ContainerAddress, file: string, blobName: string): Promise<PushFileResult> {
  const size = (await stat(file)).size;
  const md5 = await md5Of(file);
  const blob = container.getBlockBlobClient(blobName);
  const where = containerDisplayUrl(address, blobName);
  try {
    const props = await blob.getProperties();
    const remote = props.contentMD5 ? Buffer.from(props.contentMD5).toString('base64') : undefined;
    if (props.contentLength === size && remote === md5) return { file, blob: where, bytes: size, action: 'unchanged' };
  } catch (e) {
    const status = (e as { statusCode?: number }).statusCode;
    if (status !== 404) throw explainContainerError(address, e, 'checking', 'read, write and create (sp=rwc)');
  }
  const md5Bytes = Buffer.from(md5, 'base64');
  try {
    if (size <= SINGLE_PUT_LIMIT) {
      const fh = await open(file, 'r');
      let data: Buffer;
      try {
        data = await fh.readFile();
      } finally {
        await fh.close();
      }
      if (data.length !== size) throw new Error(`${file} changed while it was being pushed; push again`);
      const res = await blob.upload(data, data.length, { blobHTTPHeaders: { blobContentMD5: md5Bytes } });
      if (res.contentMD5 && Buffer.from(res.contentMD5).toString('base64') !== md5) {
        throw new Error(`${where}: Azure stored content whose MD5 differs from ${file}'s; push again`);
      }
    } else {
      const ids: string[] = [];
      const fh = await open(file, 'r');
      try {
        for (let offset = 0, i = 0; offset < size; offset += BLOCK_BYTES, i++) {
          const chunk = Buffer.alloc(Math.min(BLOCK_BYTES, size - offset));
          await fh.read(chunk, 0, chunk.length, offset);
          const id = Buffer.from(`fastbench-${String(i).padStart(8, '0')}`).toString('base64');
          await blob.stageBlock(id, chunk, chunk.length, { transactionalContentMD5: createHash('md5').update(chunk).digest() });
          ids.push(id);
        }
      } finally {
        await fh.close();
      }
      await blob.commitBlockList(ids, { blobHTTPHeaders: { blobContentMD5: md5Bytes } });
    }
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 400 && /Md5Mismatch|contentMD5|Content-MD5/i.test(String((e as Error).message))) {
      throw new Error(`${where}: Azure received bytes whose MD5 differs from ${file} (400 Md5Mismatch); the file changed or the transfer was corrupted; push again`);
    }
    if (e instanceof Error && !(e as { statusCode?: number }).statusCode && e.message.startsWith(where)) throw e;
    throw explainContainerError(address, e, 'uploading', 'read, write and create (sp=rwc)');
  }
  return { file, blob: where, bytes: size, action: 'uploaded' };
}
