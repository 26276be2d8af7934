import { redactSecrets } from '../../shared/secrets';

/** Where a blob is, and the SAS that opens it. The SAS only ever travels in request URLs. */
export type BlobAddress = { accountUrl: string; container: string; blob: string; sas: string | undefined };

/** A SAS as a query string without "?": accepts a token ("sv=…&sig=…"), "?sv=…", or a whole SAS URL. */
export function normaliseSasToken(input: string | undefined): string | undefined {
  const t = input?.trim();
  if (!t) return undefined;
  return t.includes('?') ? t.slice(t.indexOf('?') + 1) : t;
}

/** The blob's URL without any query: safe to print, log and store. */
export function blobDisplayUrl(a: Pick<BlobAddress, 'accountUrl' | 'container' | 'blob'>): string {
  const base = a.accountUrl.replace(/[?#].*$/, '').replace(/\/+$/, '');
  const blobPath = a.blob.split('/').map(encodeURIComponent).join('/');
  return `${base}/${encodeURIComponent(a.container)}/${blobPath}`;
}

/** The URL a request uses: the display URL plus the SAS. Never print it; use blobDisplayUrl. */
export function blobRequestUrl(a: BlobAddress, blobName = a.blob): URL {
  const url = new URL(blobDisplayUrl({ ...a, blob: blobName }));
  if (a.sas) url.search = a.sas;
  return url;
}

/** Any text about a request, with SAS signatures and keys removed. */
export const safeText = (text: string) => redactSecrets(text).replace(/([?&])(sig|se|sp|sv|skoid|sktid)=[^&\s"']*/g, '$1$2=…');
