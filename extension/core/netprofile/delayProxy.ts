// The WAN emulation that runs anywhere (no root, any kernel, Windows too): a TCP proxy in front of Azurite
// that holds every chunk for half the RTT in each direction and paces each direction to the profile's
// rate (one shared link per direction, as on a real line). A new connection also waits one RTT before
// its first byte goes upstream (the TCP handshake). Jitter and loss as profiles.ts describes them (in
// order: a late chunk holds back the ones behind it). Not emulated: TCP window limits per connection.
// Timer resolution is ~1 ms, so profiles below 2 ms RTT are approximate.
import { connect, createServer, type Socket } from 'node:net';
import { rtoMs, type NetProfile } from './profiles';

export type DelayProxy = { host: string; port: number; profile: NetProfile; close: () => Promise<void> };

/** Bytes held per direction of one connection before its sender is paused (a socket buffer). */
const HIGH_WATER = 4 * 1024 * 1024;

class Link {
  private nextFree = 0;
  constructor(
    private readonly oneWayMs: number,
    private readonly bytesPerMs: number,
    private readonly jitterMs = 0,
    private readonly lossPct = 0,
    private readonly rto = 200,
  ) {}
  /** When a chunk sent now arrives at the far end: queued behind earlier chunks, serialized, delayed. */
  arrival(bytes: number): number {
    const now = performance.now();
    const departure = Math.max(now, this.nextFree) + bytes / this.bytesPerMs;
    this.nextFree = departure;
    let delay = this.oneWayMs;
    if (this.jitterMs > 0) delay += Math.random() * this.jitterMs;
    if (this.lossPct > 0 && Math.random() * 100 < this.lossPct) delay += this.rto;
    return departure + delay;
  }
}

/** Forwards `from` → `to`, each chunk at its link arrival time, strictly in order (one timer per queue head). */
function pipeDelayed(from: Socket, to: Socket, link: Link): void {
  const queue: { chunk: Buffer | null; at: number }[] = [];
  let queued = 0;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    const now = performance.now();
    // In order: a chunk held by jitter or loss also holds the ones queued behind it.
    while (queue.length && queue[0]!.at <= now + 0.5) {
      const { chunk } = queue.shift()!;
      if (to.destroyed) continue;
      if (chunk === null) to.end();
      else {
        to.write(chunk);
        queued -= chunk.length;
      }
    }
    if (queued <= HIGH_WATER / 2 && from.isPaused() && !from.destroyed) from.resume();
    if (queue.length) timer = setTimeout(flush, Math.max(0, queue[0]!.at - performance.now()));
  };
  const push = (chunk: Buffer | null, at: number) => {
    queue.push({ chunk, at });
    if (!timer) timer = setTimeout(flush, Math.max(0, queue[0]!.at - performance.now()));
  };
  from.on('data', (chunk: Buffer) => {
    queued += chunk.length;
    if (queued > HIGH_WATER) from.pause();
    push(chunk, link.arrival(chunk.length));
  });
  from.on('end', () => push(null, queue.at(-1)?.at ?? performance.now()));
}

export async function startDelayProxy(target: { host: string; port: number }, profile: NetProfile, listen = { host: '127.0.0.1', port: 0 }): Promise<DelayProxy> {
  const bytesPerMs = (profile.mbps * 1e6) / 8 / 1000;
  const up = new Link(profile.rttMs / 2, bytesPerMs, profile.jitterMs, profile.lossPct, rtoMs(profile));
  const down = new Link(profile.rttMs / 2, bytesPerMs, profile.jitterMs, profile.lossPct, rtoMs(profile));
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    const upstream = connect(target.port, target.host);
    sockets.add(upstream);
    // The link's delay is ours to add: Nagle's algorithm against delayed ACKs would add ~40 ms stalls.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    // The handshake: nothing the client sends moves until one RTT after the upstream connection exists.
    client.pause();
    upstream.once('connect', () =>
      setTimeout(() => {
        pipeDelayed(client, upstream, up);
        client.resume();
      }, profile.rttMs),
    );
    pipeDelayed(upstream, client, down);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, resolve);
  });
  const port = (server.address() as { port: number }).port;
  return {
    host: listen.host,
    port,
    profile,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
