// Uploads a stand-in volume as a block blob (Azurite by default, a real account when configured), and the
// blob addressing the stand-in shares (URL parsing, SAS choice, reachability). The SAS comes from the
// caller (FASTBENCH_AZURE_SAS for the CLI); for Azurite one is signed at run time with the public
// development key. Nothing here prints or keeps a SAS: every message goes through redactSecrets.
import { createHmac } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { SECRET_ENV_VAR, redactSecrets } from '../../shared/secrets';

/**
 * The Azure SDK, loaded on first use (it is heavy). require, not import(): bundled as CommonJS, the SDK's
 * ESM build breaks (its crc64 module calls createRequire(import.meta.url), undefined in a CJS bundle).
 */
function azureBlob(): typeof import('@azure/storage-blob') {
  return require('@azure/storage-blob') as typeof import('@azure/storage-blob');
}

export type BlobLocation = { accountUrl: string; container: string; blob: string };

/** Azurite's well-known development account (public, documented by Microsoft; not a secret). */
export const DEV_STORE_ACCOUNT = 'devstoreaccount1';
export const DEV_STORE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** Metadata key holding the volume's sha256, so an identical upload is skipped. */
export const DIGEST_METADATA = 'fbvolsha256';

/** Azurite's path-style URL (http://HOST:PORT/devstoreaccount1): on loopback, or in the stand-in's WAN namespace. */
export function isDevStore(accountUrl: string): boolean {
  const u = new URL(accountUrl);
  return u.protocol === 'http:' && u.pathname.replace(/\/$/, '') === `/${DEV_STORE_ACCOUNT}`;
}

/** The blob's URL without any SAS: safe to print and log. */
export function blobUrlOf(loc: BlobLocation): string {
  return `${loc.accountUrl.replace(/\/$/, '')}/${encodeURIComponent(loc.container)}/${loc.blob.split('/').map(encodeURIComponent).join('/')}`;
}

/** Splits a blob URL (no SAS) into account URL, container and blob; Azurite URLs carry the account in the path. */
export function parseBlobUrl(url: string): BlobLocation {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`blob URL ${JSON.stringify(url)}: expected http(s)://HOST/[ACCOUNT/]CONTAINER/BLOB`);
  }
  if (u.search) throw new Error(`blob URL: give it without a query (the SAS comes from ${SECRET_ENV_VAR})`);
  const parts = u.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const pathStyle = parts[0] === DEV_STORE_ACCOUNT;
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || parts.length < (pathStyle ? 3 : 2)) {
    throw new Error(`blob URL ${url}: expected http(s)://HOST/${pathStyle ? 'ACCOUNT/' : ''}CONTAINER/BLOB`);
  }
  const rest = pathStyle ? parts.slice(1) : parts;
  return { accountUrl: pathStyle ? `${u.origin}/${parts[0]}` : u.origin, container: rest[0]!, blob: rest.slice(1).join('/') };
}

/** Azure's container naming rule, checked before any request so the message says what is wrong. */
export function checkContainerName(name: string): void {
  if (!/^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/.test(name)) {
    throw new Error(`container ${JSON.stringify(name)}: expected 3–63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit`);
  }
}

/**
 * An account SAS for Azurite's development account, signed by hand (HMAC-SHA256 of the documented
 * string-to-sign for versions ≥ 2020-12-06), so the cache daemon starts without loading the Azure SDK.
 */
export function devStoreSas(hours = 24): string {
  const q = { sv: '2021-08-06', ss: 'b', srt: 'sco', sp: 'rwdlac', se: new Date(Date.now() + hours * 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'), spr: 'https,http' };
  const toSign = [DEV_STORE_ACCOUNT, q.sp, q.ss, q.srt, '', q.se, '', q.spr, q.sv, '', ''].join('\n');
  const sig = createHmac('sha256', Buffer.from(DEV_STORE_KEY, 'base64')).update(toSign, 'utf8').digest('base64');
  return new URLSearchParams({ ...q, sig }).toString();
}

/** The SAS query (without "?"): signed for Azurite, else `sasFromEnv`; says where a missing SAS must come from. */
export function sasFor(loc: BlobLocation, sasFromEnv: string | undefined): string {
  if (isDevStore(loc.accountUrl)) return devStoreSas();
  const sas = sasFromEnv?.trim().replace(/^\?/, '');
  if (!sas) throw new Error(`${loc.accountUrl} is not Azurite: set ${SECRET_ENV_VAR} to a SAS with read (and for uploads write/create) permission`);
  return sas;
}

/** Fails fast, with a message a person can act on, when nothing listens at the account's host:port. */
export async function checkReachable(accountUrl: string, timeoutMs = 3000): Promise<void> {
  const u = new URL(accountUrl);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  const host = u.hostname.replace(/^\[|\]$/g, '');
  await new Promise<void>((resolve, reject) => {
    const s = connect({ host, port });
    const fail = (why: string) => {
      s.destroy();
      reject(new Error(`cannot reach the blob endpoint ${u.origin}: ${why}${isDevStore(accountUrl) ? ' (is Azurite running?)' : ''}`));
    };
    s.setTimeout(timeoutMs, () => fail(`no answer within ${timeoutMs} ms`));
    s.once('error', (e: NodeJS.ErrnoException) => fail(e.code === 'ECONNREFUSED' ? 'connection refused' : (e.code ?? e.message)));
    s.once('connect', () => {
      s.destroy();
      resolve();
    });
  });
}

function describeStorageError(e: unknown, loc: BlobLocation, action: string): Error {
  const err = e as { statusCode?: number; code?: string; message?: string };
  let why: string;
  if (err.statusCode === 403) why = `access denied (HTTP 403): the SAS is expired, for another account, or lacks permission for ${action}`;
  else if (err.statusCode === 404) why = `not found (HTTP 404): ${err.code === 'ContainerNotFound' ? `container "${loc.container}" does not exist` : 'no such blob'}`;
  else if (err.statusCode) why = `HTTP ${err.statusCode} ${err.code ?? ''}`.trim();
  else why = err.message?.split('\n')[0] ?? String(e);
  return new Error(redactSecrets(`${blobUrlOf(loc)}: ${action} failed: ${why}`));
}

export type UploadOptions = {
  file: string;
  location: BlobLocation;
  sas: string;
  /** The file's sha256; an existing blob with this digest and size is left alone. */
  sha256: string;
  force?: boolean;
  concurrency?: number;
  blockBytes?: number;
  onProgress?: (doneBytes: number, totalBytes: number) => void;
  signal?: AbortSignal;
};

export type UploadResult = { url: string; bytes: number; seconds: number; skipped: boolean };

export async function uploadVolume(o: UploadOptions): Promise<UploadResult> {
  const t0 = performance.now();
  checkContainerName(o.location.container);
  const bytes = (await stat(o.file)).size;
  await checkReachable(o.location.accountUrl);
  const { AnonymousCredential, ContainerClient, newPipeline } = azureBlob();
  // Few retries: a wrong URL or a dead Azurite should fail in seconds, not after minutes of backoff.
  const pipeline = newPipeline(new AnonymousCredential(), { retryOptions: { maxTries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2000 } });
  const container = new ContainerClient(`${o.location.accountUrl.replace(/\/$/, '')}/${encodeURIComponent(o.location.container)}?${o.sas}`, pipeline);
  try {
    await container.createIfNotExists({ abortSignal: o.signal });
  } catch (e) {
    throw describeStorageError(e, o.location, 'creating the container');
  }
  const blob = container.getBlockBlobClient(o.location.blob);
  if (!o.force) {
    try {
      const props = await blob.getProperties({ abortSignal: o.signal });
      if (props.contentLength === bytes && props.metadata?.[DIGEST_METADATA] === o.sha256) {
        return { url: blobUrlOf(o.location), bytes, seconds: (performance.now() - t0) / 1000, skipped: true };
      }
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 404) throw describeStorageError(e, o.location, 'reading blob properties');
    }
  }
  try {
    await blob.uploadFile(o.file, {
      blockSize: o.blockBytes ?? 8 * 1024 * 1024,
      concurrency: o.concurrency ?? 4,
      metadata: { [DIGEST_METADATA]: o.sha256 },
      blobHTTPHeaders: { blobContentType: 'application/octet-stream' },
      onProgress: (p) => o.onProgress?.(p.loadedBytes, bytes),
      abortSignal: o.signal,
    });
  } catch (e) {
    throw describeStorageError(e, o.location, 'upload');
  }
  return { url: blobUrlOf(o.location), bytes, seconds: (performance.now() - t0) / 1000, skipped: false };
}
