import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { LatencyStats } from '../../shared/baseline';
import { latencyStats } from './latencyStats';

/** A connection failure in words a person can act on, naming host and port. */
export function describeNetError(e: NodeJS.ErrnoException, host: string, port: number, timeoutMs: number): string {
  switch (e.code) {
    case 'ECONNREFUSED':
      return `${host}:${port} refused the connection (nothing listens there, or a firewall rejects it)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host name "${host}" could not be resolved (${e.code})`;
    case 'ETIMEDOUT':
    case 'TIMEOUT':
      return `no answer from ${host}:${port} within ${timeoutMs} ms (host down, or packets dropped by a firewall)`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${host}:${port} is unreachable from this machine (${e.code})`;
    case 'ECONNRESET':
      return `${host}:${port} reset the connection`;
    default:
      return `${host}:${port}: ${e.code ?? e.message}`;
  }
}

/** One TCP handshake: SYN → SYN-ACK as the application sees it (connect() resolving), in ms. */
export function tcpConnectOnce(host: string, port: number, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const socket = connect({ host, port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error('timeout'), { code: 'TIMEOUT' }));
    }, timeoutMs);
    socket.once('connect', () => {
      const ms = performance.now() - t0;
      clearTimeout(timer);
      socket.destroy();
      resolve(ms);
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/**
 * TCP connect RTT over `tries` sequential connections. The host name is resolved once first, so DNS time
 * is not in the samples, and a failure names what went wrong.
 */
export async function tcpConnectRtt(host: string, port: number, tries: number, timeoutMs = 3000, signal?: AbortSignal): Promise<LatencyStats> {
  const { lookup } = await import('node:dns/promises');
  let address: string;
  try {
    address = (await lookup(host)).address;
  } catch (e) {
    throw new Error(describeNetError(e as NodeJS.ErrnoException, host, port, timeoutMs));
  }
  const samples: number[] = [];
  for (let i = 0; i < tries; i++) {
    signal?.throwIfAborted();
    try {
      samples.push(await tcpConnectOnce(address, port, timeoutMs));
    } catch (e) {
      throw new Error(describeNetError(e as NodeJS.ErrnoException, host, port, timeoutMs));
    }
  }
  return latencyStats(samples);
}
