import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Server, Socket } from 'node:net';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { driverOutputSchema, type DriverMethod, type DriverOutput, type DriverParams, type DriverResult } from '../../extension/shared/driverProtocol';

// A test client of the real driver process: spawns `node dist/driver.js`, speaks its JSON-lines protocol over
// stdio, validates every line it receives against the protocol schemas, and keeps events for assertions.

export type DriverEvent = Extract<DriverOutput, { type: 'event' }>;
export type InputEventData = Extract<DriverEvent, { event: 'input' }>['data'];

export class DriverError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export class DriverClient {
  readonly events: DriverEvent[] = [];
  readonly protocolErrors: string[] = [];
  stderr = '';
  hello: Extract<DriverOutput, { type: 'hello' }> | undefined;
  /** ms from spawn to the hello line. */
  startMs = 0;
  readonly exited: Promise<number | null>;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly waiters = new Set<() => void>();

  private constructor(
    input: Readable,
    private readonly output: Writable,
    exited: Promise<number | null>,
    private readonly killer: () => void,
    /** The driver process when this client spawned it (stdio transport). */
    readonly child?: ChildProcessWithoutNullStreams,
  ) {
    this.exited = exited;
    createInterface({ input }).on('line', (line) => this.onLine(line));
    void this.exited.then(() => {
      for (const p of this.pending.values()) p.reject(new Error(`driver exited; stderr: ${this.stderr.slice(-500)}`));
      this.pending.clear();
      this.wake();
    });
  }

  /** Spawns `node driver.js` with this node and talks over its stdio. */
  static async start(driverJs: string, env: Record<string, string> = {}, timeoutMs = 30_000): Promise<DriverClient> {
    const t0 = performance.now();
    const child = spawn(process.execPath, [driverJs], { stdio: 'pipe', env: { ...process.env, ...env }, windowsHide: true });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const client = new DriverClient(child.stdout, child.stdin, exited, () => child.kill('SIGKILL'), child);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (client.stderr += d));
    await client.until(() => client.hello !== undefined, timeoutMs, 'driver hello');
    client.startMs = performance.now() - t0;
    return client;
  }

  /**
   * A driver started by someone else (`launch`) with `--connect PORT`, PORT being `server`'s: the loopback TCP
   * transport. Resolves once it has connected and said hello.
   */
  static async accept(server: Server, launch: () => void, timeoutMs = 30_000): Promise<DriverClient> {
    const t0 = performance.now();
    const connected = new Promise<Socket>((resolve) => server.once('connection', resolve));
    launch();
    const socket = await Promise.race([connected, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no driver connected within ${timeoutMs} ms`)), timeoutMs))]);
    socket.setNoDelay(true);
    const exited = new Promise<number | null>((resolve) => socket.once('close', () => resolve(null)));
    const client = new DriverClient(socket, socket, exited, () => socket.destroy());
    await client.until(() => client.hello !== undefined, timeoutMs, 'driver hello');
    client.startMs = performance.now() - t0;
    return client;
  }

  private onLine(line: string): void {
    let parsed: DriverOutput;
    try {
      const result = driverOutputSchema.safeParse(JSON.parse(line));
      if (!result.success) {
        this.protocolErrors.push(`invalid line ${line.slice(0, 200)}: ${result.error.issues[0]?.message}`);
        return;
      }
      parsed = result.data;
    } catch {
      this.protocolErrors.push(`not JSON: ${line.slice(0, 200)}`);
      return;
    }
    if (parsed.type === 'hello') this.hello = parsed;
    else if (parsed.type === 'response') {
      const p = this.pending.get(parsed.id);
      this.pending.delete(parsed.id);
      if (!p) this.protocolErrors.push(`response to unknown id ${parsed.id}`);
      else if (parsed.ok) p.resolve(parsed.result);
      else p.reject(new DriverError(parsed.error.code, parsed.error.message));
    } else this.events.push(parsed);
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  request<M extends DriverMethod>(method: M, params: DriverParams<M>, timeoutMs = 20_000): Promise<DriverResult<M>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as DriverResult<M>);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.output.write(JSON.stringify({ type: 'request', id, method, params }) + '\n');
    });
  }

  /** Resolves when `check` holds (re-checked on every line from the driver and every 50 ms). */
  until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (check()) return resolve();
      const finish = (error?: Error) => {
        clearInterval(timer);
        clearTimeout(deadline);
        this.waiters.delete(test);
        if (error) reject(error);
        else resolve();
      };
      const test = () => {
        if (check()) finish();
      };
      const timer = setInterval(test, 50);
      const deadline = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; driver stderr: ${this.stderr.slice(-400)}`)), timeoutMs);
      this.waiters.add(test);
    });
  }

  inputs(): InputEventData[] {
    return this.events.flatMap((e) => (e.event === 'input' ? [e.data] : []));
  }

  /** Shuts down through the protocol and waits for a clean exit. */
  async shutdown(timeoutMs = 10_000): Promise<number | null> {
    if (this.child && this.child.exitCode !== null) return this.child.exitCode;
    try {
      await this.request('driver/shutdown', {}, timeoutMs);
    } catch {
      // it may exit before answering
    }
    const code = await Promise.race([this.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs))]);
    if (code === 'timeout') {
      this.killer();
      return this.exited;
    }
    return code;
  }

  /** TerminateProcess: no chance to unhook or clean up (what a crash looks like). */
  kill(): Promise<number | null> {
    this.killer();
    return this.exited;
  }

  /** Closes the driver's input, as a dying parent would. */
  closeInput(): void {
    this.output.end();
  }
}
