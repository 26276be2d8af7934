// The fastcache daemon's control channel: JSON lines over a Unix socket, a Windows named pipe or loopback
// TCP. Applications never use it (they read the volume's file on the FUSE mount); the harness does, to
// suspend the daemon around a Cold rotation of the cache folder (as it would stop the FAST service) and to
// read its counters.
//
//   → {"id":1,"type":"hello","protocol":2}
//   ← {"id":1,"type":"hello","protocol":2,"file":"…/mnt/fast/demo.fbvol","cacheFile":"…/demo.fbcache","header":{…},"blob":"http://…","prefetch":"off"}
//   → {"id":3,"type":"suspend","timeoutMs":120000} ← {"id":3,"type":"suspended"}   files closed, reads held (Cold rotation)
//   → {"id":4,"type":"resume"}                     ← {"id":4,"type":"resumed","cacheFile":"…"}
//   → {"id":5,"type":"stats"}                      ← {"id":5,"type":"stats","stats":{…}}
// Requests on one connection may overlap; replies carry the request id.
import { z } from 'zod';

export const FASTCACHE_PROTOCOL = 2;

const id = z.int().nonnegative();

export const clientMessageSchema = z.discriminatedUnion('type', [
  z.object({ id, type: z.literal('hello'), protocol: z.int() }),
  z.object({ id, type: z.literal('suspend'), timeoutMs: z.int().positive().optional() }),
  z.object({ id, type: z.literal('resume') }),
  z.object({ id, type: z.literal('stats') }),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;

export const daemonStatsSchema = z.object({
  requests: z.int(),
  hitBricks: z.int(),
  missBricks: z.int(),
  fetches: z.int(),
  fetchedBytes: z.number(),
  prefetchedBricks: z.int(),
  presentBricks: z.int(),
  brickCount: z.int(),
  suspended: z.boolean(),
});
export type DaemonStats = z.infer<typeof daemonStatsSchema>;

export const daemonMessageSchema = z.discriminatedUnion('type', [
  z.object({
    id,
    type: z.literal('hello'),
    protocol: z.int(),
    file: z.string(),
    cacheFile: z.string(),
    header: z.record(z.string(), z.unknown()),
    blob: z.string(),
    prefetch: z.string(),
  }),
  z.object({ id, type: z.literal('error'), message: z.string() }),
  z.object({ id, type: z.literal('suspended') }),
  z.object({ id, type: z.literal('resumed'), cacheFile: z.string() }),
  z.object({ id, type: z.literal('stats'), stats: daemonStatsSchema }),
]);
export type DaemonMessage = z.infer<typeof daemonMessageSchema>;

/** "tcp:HOST:PORT" is loopback TCP; anything else is a Unix socket path or a Windows pipe (\\.\pipe\NAME). */
export type Endpoint = { host: string; port: number } | { path: string };

export function parseEndpoint(text: string): Endpoint {
  const m = /^tcp:([^:]+|\[[^\]]+\]):(\d{1,5})$/.exec(text);
  if (m) {
    const port = Number(m[2]);
    if (port < 1 || port > 65535) throw new Error(`endpoint "${text}": expected a port from 1 to 65535`);
    return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
  }
  if (text.startsWith('tcp:')) throw new Error(`endpoint "${text}": expected tcp:HOST:PORT`);
  if (!text) throw new Error('endpoint: expected tcp:HOST:PORT, a socket path or \\\\.\\pipe\\NAME');
  return { path: text };
}

/** Splits a byte stream into lines without per-chunk string concatenation of whole buffers. */
export function lineSplitter(onLine: (line: string) => void): (chunk: Buffer) => void {
  let rest: Buffer | undefined;
  return (chunk) => {
    let data = rest ? Buffer.concat([rest, chunk]) : chunk;
    let start = 0;
    for (let nl = data.indexOf(10, start); nl !== -1; nl = data.indexOf(10, start)) {
      if (nl > start) onLine(data.toString('utf8', start, nl));
      start = nl + 1;
    }
    rest = start < data.length ? data.subarray(start) : undefined;
    if (rest && rest.length > 1024 * 1024) {
      data = rest = undefined as unknown as Buffer;
      throw new Error('protocol: a line longer than 1 MiB');
    }
  };
}
