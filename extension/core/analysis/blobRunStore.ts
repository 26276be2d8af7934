import type { ContainerClient } from '@azure/storage-blob';
import type { SkippedFolder } from '../../shared/kpi';
import { normaliseSasToken, safeText } from '../storage/blobAddress';
import { containerDisplayUrl, type ContainerAddress } from './containerUrl';
import { RUN_FILES, type RunStore } from './runStore';

// Run folders pushed to a Blob container, read in place: one listing finds the folders, each file is a streamed
// download fed to the same line readers as a local file.

const EVIDENCE: readonly string[] = [RUN_FILES.markers, RUN_FILES.metrics, RUN_FILES.openFiles];

/** An Azure error as a sentence about the container, never carrying the SAS. */
export function explainContainerError(a: ContainerAddress, e: unknown, what: string, needs: string): Error {
  const err = e as { statusCode?: number; code?: string; message?: string };
  const where = containerDisplayUrl(a);
  if (err.statusCode === 403) {
    return new Error(
      `Azure refused access (403${err.code ? ` ${err.code}` : ''}) while ${what} ${where}: check that the SAS in FASTBENCH_AZURE_SAS has not expired and grants ${needs} on container "${a.container}"`,
    );
  }
  if (err.statusCode === 404 && err.code === 'ContainerNotFound') return new Error(`container "${a.container}" not found at ${a.accountUrl} (404 ContainerNotFound)`);
  if (err.statusCode) return new Error(safeText(`${what} ${where}: HTTP ${err.statusCode}${err.code ? ` ${err.code}` : ''}`));
  return new Error(safeText(`${what} ${where}: ${err.message ?? String(e)}`));
}

export function containerClient(a: ContainerAddress, sas: string | undefined): ContainerClient {
  // require, not import(): the SDK's ESM build breaks inside a CommonJS bundle; loaded on first use only.
  const { ContainerClient: Client } = require('@azure/storage-blob') as typeof import('@azure/storage-blob');
  const token = normaliseSasToken(sas);
  return new Client(`${a.accountUrl}/${a.container}${token ? `?${token}` : ''}`);
}

export class BlobRunStore implements RunStore {
  private readonly client: ContainerClient;

  constructor(
    readonly address: ContainerAddress,
    sas: string | undefined,
  ) {
    this.client = containerClient(address, sas);
  }

  describe(folder: string, file?: string): string {
    return containerDisplayUrl(this.address, file ? `${folder}/${file}` : folder);
  }

  async discover(): Promise<{ folders: string[]; skipped: SkippedFolder[] }> {
    const prefix = this.address.prefix ? `${this.address.prefix}/` : '';
    const byFolder = new Map<string, Set<string>>();
    try {
      for await (const blob of this.client.listBlobsFlat(prefix ? { prefix } : {})) {
        const slash = blob.name.lastIndexOf('/');
        const folder = slash >= 0 ? blob.name.slice(0, slash) : '';
        const files = byFolder.get(folder) ?? new Set<string>();
        files.add(blob.name.slice(slash + 1));
        byFolder.set(folder, files);
      }
    } catch (e) {
      throw explainContainerError(this.address, e, 'listing', 'list and read (sp=rl)');
    }
    const folders: string[] = [];
    const skipped: SkippedFolder[] = [];
    for (const [folder, files] of [...byFolder].sort(([a], [b]) => a.localeCompare(b))) {
      if (files.has(RUN_FILES.manifest)) folders.push(folder);
      else if (EVIDENCE.some((f) => files.has(f))) skipped.push({ folder: this.describe(folder), reason: `${RUN_FILES.manifest} is missing` });
    }
    // A folder nested inside a run folder belongs to that run (e.g. attachments), as with local trees.
    const runs = folders.filter((f) => !folders.some((other) => other !== f && f.startsWith(`${other}/`)));
    return { folders: runs, skipped };
  }

  async open(folder: string, file: string): Promise<AsyncIterable<Buffer> | null> {
    const name = folder ? `${folder}/${file}` : file;
    try {
      const response = await this.client.getBlobClient(name).download(0, undefined, { maxRetryRequests: 3 });
      if (!response.readableStreamBody) throw new Error('the download has no body');
      return response.readableStreamBody as AsyncIterable<Buffer>;
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return null;
      throw explainContainerError(this.address, e, 'reading', 'read (sp=r)');
    }
  }
}
