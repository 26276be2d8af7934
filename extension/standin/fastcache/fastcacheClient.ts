// One connection to a fastcache daemon: sends requests with ids, routes replies (several per read) to
// their request, validates every line. Used by `cache clear` and `fastbench standin fastcache suspend|resume|stats`.
import { connect, type Socket } from 'node:net';
import { FASTCACHE_PROTOCOL, daemonMessageSchema, lineSplitter, parseEndpoint, type DaemonMessage, type DaemonStats } from './protocol';

type Listener = (m: DaemonMessage) => void;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export class FastcacheClient {
  private nextId = 1;
  private readonly listeners = new Map<number, Listener>();
  private failure: Error | undefined;

  private constructor(
    readonly endpoint: string,
    private readonly socket: Socket,
  ) {
    const onData = lineSplitter((line) => {
      let m: DaemonMessage;
      try {
        m = daemonMessageSchema.parse(JSON.parse(line));
      } catch {
        return this.fail(new Error(`fastcache at ${endpoint}: unreadable reply ${JSON.stringify(line.slice(0, 120))}`));
      }
      const listener = this.listeners.get(m.id);
      if (listener) listener(m);
      else if (m.type === 'error') this.fail(new Error(`fastcache at ${endpoint}: ${m.message}`));
    });
    socket.on('data', (chunk) => {
      try {
        onData(chunk);
      } catch (e) {
        this.fail(e as Error);
      }
    });
    socket.on('error', (e) => this.fail(new Error(`fastcache at ${endpoint}: connection failed (${(e as NodeJS.ErrnoException).code ?? e.message})`)));
    socket.on('close', () => this.fail(new Error(`fastcache at ${endpoint}: the daemon closed the connection`)));
  }

  static async connect(endpoint: string, timeoutMs = 5000): Promise<FastcacheClient> {
    const ep = parseEndpoint(endpoint);
    const socket = 'path' in ep ? connect(ep.path) : connect(ep.port, ep.host);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => (socket.destroy(), reject(new Error(`fastcache at ${endpoint}: no answer within ${timeoutMs} ms`))), timeoutMs);
      socket.once('connect', () => (clearTimeout(timer), resolve()));
      socket.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const why =
          e.code === 'ENOENT' || e.code === 'ECONNREFUSED'
            ? 'no daemon is listening (start it with "fastbench standin up" or "fastbench standin fastcache")'
            : (e.code ?? e.message);
        reject(new Error(`fastcache at ${endpoint}: ${why}`));
      });
    });
    socket.setNoDelay?.(true);
    return new FastcacheClient(endpoint, socket);
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    for (const l of this.listeners.values()) l({ id: 0, type: 'error', message: e.message });
    this.listeners.clear();
    this.socket.destroy();
  }

  /**
   * Sends one request; `onReply` sees every reply for it and returns true when the request is finished.
   * Rejects on an error reply or a broken connection.
   */
  request(message: DistributiveOmit<import('./protocol').ClientMessage, 'id'>, onReply: (m: DaemonMessage) => boolean): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.listeners.set(id, (m) => {
        if (m.type === 'error') {
          this.listeners.delete(id);
          return reject(new Error(m.message.startsWith('fastcache at') ? m.message : `fastcache at ${this.endpoint}: ${m.message}`));
        }
        try {
          if (onReply(m)) {
            this.listeners.delete(id);
            resolve();
          }
        } catch (e) {
          this.listeners.delete(id);
          reject(e as Error);
        }
      });
      this.socket.write(JSON.stringify({ ...message, id }) + '\n');
    });
  }

  /** A request answered by exactly one reply of the given type. */
  async call<T extends DaemonMessage['type']>(message: DistributiveOmit<import('./protocol').ClientMessage, 'id'>, type: T): Promise<Extract<DaemonMessage, { type: T }>> {
    let reply: DaemonMessage | undefined;
    await this.request(message, (m) => {
      if (m.type !== type) throw new Error(`fastcache at ${this.endpoint}: expected a "${type}" reply, got "${m.type}"`);
      reply = m;
      return true;
    });
    return reply as Extract<DaemonMessage, { type: T }>;
  }

  hello() {
    return this.call({ type: 'hello', protocol: FASTCACHE_PROTOCOL }, 'hello');
  }

  async stats(): Promise<DaemonStats> {
    return (await this.call({ type: 'stats' }, 'stats')).stats;
  }

  close(): void {
    this.failure ??= new Error('closed');
    this.listeners.clear();
    this.socket.end();
    this.socket.destroy();
  }
}
