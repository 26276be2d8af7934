// Ranged GETs of one blob over plain node:http(s) with keep-alive sockets, straight into a caller's buffer.
// The Azure SDK's download path allocates per chunk and costs more CPU than the transfer on two cores;
// with a SAS in the query a GET needs no signing, so the plain client is all the cache needs.
// Errors name the blob (never the SAS) and say what to do; transient failures are retried.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { redactSecrets } from '../../shared/secrets';

const API_VERSION = '2021-08-06';
const RETRIES = 3;

export class BlobReadError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly transient = false,
  ) {
    super(redactSecrets(message));
    this.name = 'BlobReadError';
  }
}

export type BlobProperties = { bytes: number; etag: string };

export class BlobReader {
  private readonly agent: HttpAgent;
  private readonly url: URL;

  /** `blobUrl` without a SAS (printed in messages); `sas` is the query string without "?". */
  constructor(
    readonly blobUrl: string,
    sas: string,
    streams: number,
    private readonly timeoutMs = 30_000,
  ) {
    this.url = new URL(blobUrl);
    this.url.search = sas;
    const options = { keepAlive: true, maxSockets: streams + 1, maxFreeSockets: streams + 1 };
    this.agent = this.url.protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options);
  }

  private send(method: 'GET' | 'HEAD', headers: Record<string, string>): Promise<IncomingMessage> {
    const request = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(this.url, { method, agent: this.agent, headers: { 'x-ms-version': API_VERSION, ...headers }, timeout: this.timeoutMs }, resolve);
      req.on('timeout', () => req.destroy(new BlobReadError(`${this.blobUrl}: no answer within ${this.timeoutMs} ms`, undefined, true)));
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (e instanceof BlobReadError) return reject(e);
        const refused = e.code === 'ECONNREFUSED';
        reject(
          new BlobReadError(
            `${this.blobUrl}: cannot reach blob storage (${refused ? 'connection refused: is Azurite running?' : (e.code ?? e.message)})`,
            undefined,
            e.code === 'ECONNRESET' || e.code === 'EPIPE' || e.code === 'ETIMEDOUT',
          ),
        );
      });
      req.end();
    });
  }

  private statusError(res: IncomingMessage, action: string): BlobReadError {
    const code = String(res.headers['x-ms-error-code'] ?? '');
    const s = res.statusCode ?? 0;
    const why =
      s === 404
        ? code === 'ContainerNotFound'
          ? 'the container does not exist'
          : 'no such blob (upload it with "fastbench standin data")'
        : s === 403
          ? 'access denied: the SAS is expired or lacks read permission'
          : `HTTP ${s} ${code}`.trim();
    return new BlobReadError(`${this.blobUrl}: ${action}: ${why}`, s, s === 429 || s >= 500);
  }

  private async retrying<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (!(e instanceof BlobReadError) || !e.transient || attempt >= RETRIES) throw e;
        await new Promise((r) => setTimeout(r, 100 * 4 ** attempt));
      }
    }
  }

  properties(): Promise<BlobProperties> {
    return this.retrying(async () => {
      const res = await this.send('HEAD', {});
      res.resume();
      if (res.statusCode !== 200) throw this.statusError(res, 'reading properties');
      return { bytes: Number(res.headers['content-length']), etag: String(res.headers.etag ?? '') };
    });
  }

  /** Reads bytes [offset, offset + length) into `into` at 0. */
  readRange(offset: number, length: number, into: Buffer): Promise<void> {
    return this.retrying(async () => {
      const res = await this.send('GET', { 'x-ms-range': `bytes=${offset}-${offset + length - 1}` });
      if (res.statusCode !== 206 && res.statusCode !== 200) {
        res.resume();
        throw this.statusError(res, `GET bytes ${offset}-${offset + length - 1}`);
      }
      let at = 0;
      await new Promise<void>((resolve, reject) => {
        res.on('data', (chunk: Buffer) => {
          if (at + chunk.length > length) return res.destroy(new BlobReadError(`${this.blobUrl}: GET returned more than the ${length} bytes asked for`));
          chunk.copy(into, at);
          at += chunk.length;
        });
        res.on('end', resolve);
        res.on('error', (e) => reject(e instanceof BlobReadError ? e : new BlobReadError(`${this.blobUrl}: transfer broke off (${e.message})`, undefined, true)));
        res.on('aborted', () => reject(new BlobReadError(`${this.blobUrl}: transfer broke off`, undefined, true)));
      });
      if (at !== length) throw new BlobReadError(`${this.blobUrl}: GET bytes ${offset}-${offset + length - 1} returned ${at} bytes (blob shorter than expected?)`, undefined, true);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
