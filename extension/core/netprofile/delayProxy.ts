// The WAN emulation that runs anywhere (no root, any kernel, Windows too): a TCP proxy in front of Azurite
// that holds every chunk for half the RTT in each direction and paces each direction to the profile's
// rate (one shared link per direction, as on a real line). A new connection also waits one RTT before
// its first byte goes upstream (the TCP handshake). Jitter and loss as profiles.ts describes them (in
// order: a late chunk holds back the ones behind it). Not emulated: TCP window limits per connection.
// Timer resolution is ~1 ms, so profiles below 2 ms RTT are approximate.
//
// The proxy runs on a worker thread of its own: the link keeps its timing whatever the caller's event loop
// does, and a caller that reads a mount synchronously (readFileSync on sshfs, whose traffic goes through
// this proxy) cannot deadlock against it. The worker's code is one self-contained function (it needs only
// node:net), started with `eval`, so no bundle entry of its own is needed.
import { Worker } from 'node:worker_threads';
import { rtoMs, type NetProfile } from './profiles';

export type DelayProxy = { host: string; port: number; profile: NetProfile; close: () => Promise<void> };

type ProxySetup = {
  target: { host: string; port: number };
  listen: { host: string; port: number };
  rttMs: number;
  bytesPerMs: number;
  jitterMs: number;
  lossPct: number;
  rtoMs: number;
};

/** The worker: everything it uses is inside (it runs from its source text). */
function proxyWorker(): void {
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const { connect, createServer } = require('node:net') as typeof import('node:net');
  const setup = workerData as ProxySetup;
  /** Bytes held per direction of one connection before its sender is paused (a socket buffer). */
  const HIGH_WATER = 4 * 1024 * 1024;

  /** One direction of the link: when a chunk sent now arrives at the far end (queued, serialized, delayed). */
  const link = () => {
    let nextFree = 0;
    return (bytes: number): number => {
      const now = performance.now();
      const departure = Math.max(now, nextFree) + bytes / setup.bytesPerMs;
      nextFree = departure;
      let delay = setup.rttMs / 2;
      if (setup.jitterMs > 0) delay += Math.random() * setup.jitterMs;
      if (setup.lossPct > 0 && Math.random() * 100 < setup.lossPct) delay += setup.rtoMs;
      return departure + delay;
    };
  };
  const up = link();
  const down = link();

  /** Forwards `from` → `to`, each chunk at its link arrival time, strictly in order (one timer per queue head). */
  const pipeDelayed = (from: import('node:net').Socket, to: import('node:net').Socket, arrival: (bytes: number) => number) => {
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
      push(chunk, arrival(chunk.length));
    });
    from.on('end', () => push(null, queue.at(-1)?.at ?? performance.now()));
  };

  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    const upstream = connect(setup.target.port, setup.target.host);
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
      }, setup.rttMs),
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
  server.once('error', (e: NodeJS.ErrnoException) => parentPort!.postMessage({ error: `cannot listen on ${setup.listen.host}:${setup.listen.port} (${e.code ?? e.message})` }));
  server.listen(setup.listen.port, setup.listen.host, () => parentPort!.postMessage({ port: (server.address() as { port: number }).port }));
  parentPort!.on('message', () => {
    for (const s of sockets) s.destroy();
    server.close(() => parentPort!.close());
  });
}

export async function startDelayProxy(target: { host: string; port: number }, profile: NetProfile, listen = { host: '127.0.0.1', port: 0 }): Promise<DelayProxy> {
  const setup: ProxySetup = {
    target,
    listen,
    rttMs: profile.rttMs,
    bytesPerMs: (profile.mbps * 1e6) / 8 / 1000,
    jitterMs: profile.jitterMs ?? 0,
    lossPct: profile.lossPct ?? 0,
    rtoMs: rtoMs(profile),
  };
  const worker = new Worker(`(${proxyWorker.toString()})()`, { eval: true, workerData: setup });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  // The proxy must not keep a finished caller alive.
  worker.unref();
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (m: { port?: number; error?: string }) => (m.port ? resolve(m.port) : reject(new Error(`delay proxy: ${m.error}`))));
    worker.once('error', (e) => reject(new Error(`delay proxy: ${e.message}`)));
    void exited.then(() => reject(new Error('delay proxy: the worker ended before listening')));
  });
  let closing: Promise<void> | undefined;
  return {
    host: listen.host,
    port,
    profile,
    close: () =>
      (closing ??= (async () => {
        worker.postMessage('close');
        const timer = setTimeout(() => void worker.terminate(), 2000);
        await exited;
        clearTimeout(timer);
      })()),
  };
}
