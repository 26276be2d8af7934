import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { describeNetError } from '../probe/tcpRtt';
import { blobDisplayUrl, blobRequestUrl, safeText, type BlobAddress } from './blobAddress';

// A minimal Blob REST client for measuring: HEAD and ranged GET over keep-alive connections, bodies
// counted and dropped. The SDK buffers and copies every byte and runs a policy pipeline per request; here
// the client must cost as little as possible so that the figure is the link's, not ours.

export const X_MS_VERSION = '2021-12-02';

export class BlobRequestError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'BlobRequestError';
  }
}

/** What went wrong, in terms of the SAS, the container and the blob, never with the SAS itself. */
export function explainBlobStatus(a: BlobAddress, status: number, code: string | undefined, what = 'blob'): string {
  const where = blobDisplayUrl(a);
  const c = code ? ` ${code}` : '';
  if (status === 403) {
    return a.sas
      ? `Azure refused the SAS (${status}${c}) for ${where}: check that it has not expired (se=), grants ${what === 'upload' ? 'write and create (sp=cw) and delete (d)' : 'read (sp=r)'}, and belongs to this account and container`
      : `Azure refused anonymous access (${status}${c}) to ${where}: set a SAS (FastBench: Set Azure SAS, or FASTBENCH_AZURE_SAS for the CLI)`;
  }
  if (status === 404) {
    if (code === 'ContainerNotFound') return `container "${a.container}" not found at ${a.accountUrl} (404 ContainerNotFound)`;
    if (code === 'ResourceNotFound' || code === 'AccountNotFound') return `${where}: not found (404${c}); check accountUrl`;
    return `blob "${a.blob}" not found in container "${a.container}" at ${a.accountUrl} (404${c || ' BlobNotFound'})`;
  }
  if (status === 416) return `${where}: range not satisfiable (416); is the blob empty?`;
  return `${where}: HTTP ${status}${c}`;
}

type RangeResult = { bytes: number; ttfbMs: number; totalMs: number };

export class BlobRangeClient {
  private readonly agent: http.Agent;
  private readonly url: URL;
  private readonly transport: typeof http | typeof https;

  constructor(
    readonly address: BlobAddress,
    maxSockets: number,
    private readonly timeoutMs = 30_000,
  ) {
    this.url = blobRequestUrl(address);
    this.transport = this.url.protocol === 'https:' ? https : http;
    this.agent = new this.transport.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'fifo' });
  }

  private request(
    method: 'HEAD' | 'GET',
    headers: Record<string, string>,
    onBody?: (bytes: number, first: boolean) => void,
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; bytes: number }> {
    const host = this.url.hostname;
    const port = Number(this.url.port || (this.url.protocol === 'https:' ? 443 : 80));
    return new Promise((resolve, reject) => {
      const req = this.transport.request(this.url, { method, agent: this.agent, headers: { 'x-ms-version': X_MS_VERSION, ...headers }, timeout: this.timeoutMs }, (res) => {
        let bytes = 0;
        let first = true;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          onBody?.(chunk.length, first);
          first = false;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes }));
        res.on('error', (e) => reject(new BlobRequestError(safeText(`${blobDisplayUrl(this.address)}: response broke off: ${e.message}`))));
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
      req.on('error', (e: NodeJS.ErrnoException) => {
        const msg = e.code ? describeNetError(e, host, port, this.timeoutMs) : e.message;
        reject(new BlobRequestError(safeText(`cannot reach the blob endpoint: ${msg}`)));
      });
      req.end();
    });
  }

  private check(status: number, headers: http.IncomingHttpHeaders, ok: number[]): void {
    if (ok.includes(status)) return;
    const code = headers['x-ms-error-code'];
    throw new BlobRequestError(explainBlobStatus(this.address, status, typeof code === 'string' ? code : undefined), status, typeof code === 'string' ? code : undefined);
  }

  /** HEAD: the blob's size, and the request round trip in ms. */
  async head(): Promise<{ sizeBytes: number; ms: number }> {
    const t0 = performance.now();
    const r = await this.request('HEAD', {});
    const ms = performance.now() - t0;
    this.check(r.status, r.headers, [200]);
    return { sizeBytes: Number(r.headers['content-length'] ?? NaN), ms };
  }

  /** GET bytes [offset, offset+length): time to first body byte and to the last, bytes received. */
  async getRange(offset: number, length: number): Promise<RangeResult> {
    const t0 = performance.now();
    let ttfb = NaN;
    const r = await this.request('GET', { 'x-ms-range': `bytes=${offset}-${offset + length - 1}` }, (_n, first) => {
      if (first) ttfb = performance.now() - t0;
    });
    this.check(r.status, r.headers, [206, 200]);
    return { bytes: r.bytes, ttfbMs: ttfb, totalMs: performance.now() - t0 };
  }

  close(): void {
    this.agent.destroy();
  }
}
