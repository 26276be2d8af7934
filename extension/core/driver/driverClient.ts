import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import {
  DRIVER_PROTOCOL_VERSION,
  driverMethods,
  driverOutputSchema,
  type DriverMethod,
  type DriverParams,
  type DriverResult,
  type InputEvent,
  type WindowInfo,
} from '../../shared/driverProtocol';
import { silentLogger, type Logger } from '../ports/logger';
import { roleCommand } from '../runtime/selfExe';

export type DriverEvent =
  | { event: 'input'; data: InputEvent }
  | { event: 'window/gone'; data: { handle: string } }
  | { event: 'window/moved'; data: WindowInfo }
  | { event: 'restarted'; data: { attempt: number; reason: string } };

export class DriverRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** Numbers the driver attached to the failure (e.g. a render timeout's changedAt_mono_ms). */
    readonly detail: Record<string, number | string | null> = {},
  ) {
    super(message);
    this.name = 'DriverRequestError';
  }
}

export type DriverClientOptions = {
  /** The command that runs the driver; defaults to this Node running dist/driver.js, or `fastbench.exe --driver`. */
  command?: string[];
  /** stdio (default) or loopback TCP (`--connect PORT` is appended), for drivers that cannot share pipes. */
  transport?: 'stdio' | 'tcp';
  env?: NodeJS.ProcessEnv;
  log?: Logger;
  helloTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** How many times a driver that died is started again before giving up. */
  maxRestarts?: number;
};

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout; method: DriverMethod };

export function defaultDriverCommand(): string[] {
  // The CLI, the extension and the driver are bundles side by side in dist/, or one program: fastbench.exe.
  return roleCommand('driver');
}

/**
 * Starts and talks to the driver process. Every line from the driver is validated; requests time out;
 * a driver that dies is restarted a bounded number of times, and whatever it held pressed is released
 * by its successor so no key stays down after a crash.
 */
export class DriverClient {
  private child: ChildProcess | undefined;
  private socket: Socket | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(e: DriverEvent) => void>();
  private readonly heldKeys = new Set<string>();
  private readonly heldButtons = new Set<string>();
  private restarts = 0;
  private closing = false;
  /** Only a driver that once said hello is restarted; one that fails to start is the caller's error. */
  private helloSeen = false;
  backend: 'win32' | 'x11' | undefined;
  pid: number | undefined;

  private constructor(private readonly options: Required<Omit<DriverClientOptions, 'env'>> & { env?: NodeJS.ProcessEnv }) {}

  static async start(options: DriverClientOptions = {}): Promise<DriverClient> {
    const client = new DriverClient({
      command: options.command ?? defaultDriverCommand(),
      transport: options.transport ?? 'stdio',
      log: options.log ?? silentLogger,
      helloTimeoutMs: options.helloTimeoutMs ?? 15_000,
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      maxRestarts: options.maxRestarts ?? 2,
      ...(options.env ? { env: options.env } : {}),
    });
    await client.launch();
    return client;
  }

  onEvent(listener: (e: DriverEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: DriverEvent): void {
    for (const l of this.listeners) l(e);
  }

  private async launch(): Promise<void> {
    const [cmd, ...args] = this.options.command;
    const log = this.options.log;
    let helloResolve!: () => void;
    let helloReject!: (e: Error) => void;
    const hello = new Promise<void>((res, rej) => {
      helloResolve = res;
      helloReject = rej;
    });
    let input: NodeJS.ReadableStream;
    let server: ReturnType<typeof createServer> | undefined;
    if (this.options.transport === 'tcp') {
      server = createServer();
      await new Promise<void>((res) => server!.listen(0, '127.0.0.1', res));
      const port = (server.address() as { port: number }).port;
      this.child = spawn(cmd!, [...args, '--connect', String(port)], { stdio: ['ignore', 'pipe', 'pipe'], env: this.options.env ?? process.env });
      let socket: Socket;
      try {
        socket = await new Promise<Socket>((res, rej) => {
          const timer = setTimeout(() => rej(new Error(`driver did not connect to 127.0.0.1:${port} within ${this.options.helloTimeoutMs} ms`)), this.options.helloTimeoutMs);
          server!.once('connection', (s) => {
            clearTimeout(timer);
            res(s);
          });
          this.child!.once('exit', (code) => {
            clearTimeout(timer);
            rej(new Error(`driver exited (code ${code}) before connecting`));
          });
        });
      } catch (e) {
        this.child.kill('SIGKILL');
        throw e;
      } finally {
        server.close();
      }
      socket.setNoDelay(true);
      this.socket = socket;
      input = socket;
      createInterface({ input: this.child.stdout! }).on('line', (l) => log.debug(`driver stdout: ${l}`));
    } else {
      this.child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'], env: this.options.env ?? process.env });
      input = this.child.stdout!;
    }
    const child = this.child;
    child.stdin?.on('error', () => {}); // EPIPE after a crash is reported through 'exit'
    createInterface({ input: child.stderr! }).on('line', (l) => log.debug(`driver: ${l}`));
    createInterface({ input }).on('line', (line) => this.onLine(line, helloResolve, helloReject));
    child.once('error', (e) => helloReject(new Error(`cannot start the driver (${cmd}): ${e.message}`)));
    child.once('exit', (code, signal) => {
      helloReject(new Error(`driver exited (${signal ?? `code ${code}`}) before saying hello`));
      this.onExit(child, code, signal);
    });
    const timer = setTimeout(() => helloReject(new Error(`driver said no hello within ${this.options.helloTimeoutMs} ms`)), this.options.helloTimeoutMs);
    try {
      await hello;
    } catch (e) {
      child.kill('SIGKILL');
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  private onLine(line: string, helloResolve: () => void, helloReject: (e: Error) => void): void {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      this.options.log.warn(`driver wrote a line that is not JSON: ${line.slice(0, 120)}`);
      return;
    }
    const parsed = driverOutputSchema.safeParse(raw);
    if (!parsed.success) {
      this.options.log.warn(`driver wrote an unexpected message (${parsed.error.issues[0]?.message}): ${line.slice(0, 120)}`);
      return;
    }
    const msg = parsed.data;
    if (msg.type === 'hello') {
      if (msg.protocol !== DRIVER_PROTOCOL_VERSION) {
        helloReject(new Error(`driver speaks protocol ${msg.protocol}, this FastBench speaks ${DRIVER_PROTOCOL_VERSION}`));
        return;
      }
      this.backend = msg.backend;
      this.pid = msg.pid;
      this.helloSeen = true;
      helloResolve();
      return;
    }
    if (msg.type === 'response') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (!msg.ok) {
        p.reject(new DriverRequestError(msg.error.code, msg.error.message, msg.error.detail));
        return;
      }
      const result = driverMethods[p.method].result.safeParse(msg.result);
      if (result.success) p.resolve(result.data);
      else p.reject(new DriverRequestError('bad_response', `${p.method}: driver result does not match the protocol: ${result.error.issues[0]?.message}`));
      return;
    }
    if (msg.event === 'log') {
      const { level, message } = msg.data;
      this.options.log[level](`driver: ${message}`);
      return;
    }
    this.emit(msg as DriverEvent);
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    const reason = signal ? `killed by ${signal}` : `exited with code ${code}`;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new DriverRequestError('driver_exited', `${p.method}: the driver ${reason}`));
      this.pending.delete(id);
    }
    this.child = undefined;
    if (this.closing || !this.helloSeen) return;
    this.options.log.warn(`driver ${reason}`);
    if (this.restarts >= this.options.maxRestarts) {
      this.options.log.error(`driver died ${this.restarts + 1} time(s); not restarting`);
      void this.releaseWithFreshDriver(`the driver ${reason} and is not restarted`);
      return;
    }
    this.restarts++;
    this.helloSeen = false;
    void this.launch().then(
      async () => {
        await this.releaseHeld();
        this.emit({ event: 'restarted', data: { attempt: this.restarts, reason } });
      },
      (e: Error) => this.options.log.error(`driver restart failed: ${e.message}`),
    );
  }

  /** Key-ups and button-ups for everything a driver may still hold down. */
  private releases() {
    return [...[...this.heldKeys].map((key) => ({ kind: 'key_up' as const, key })), ...[...this.heldButtons].map((button) => ({ kind: 'up' as const, button: button as 'left' }))];
  }

  /**
   * When no driver of ours will run again (it was killed on close, or died too often), a short-lived one releases
   * what the dead one held: Windows and X keep a key pressed by a killed process down for the whole session.
   */
  private async releaseWithFreshDriver(why: string): Promise<void> {
    const events = this.releases();
    if (!events.length) return;
    this.options.log.warn(`${why}: releasing ${events.length} key(s)/button(s) it held with a fresh driver`);
    let helper: DriverClient | undefined;
    try {
      helper = await DriverClient.start({ ...this.options, maxRestarts: 0 });
      await helper.request('input/inject', { handle: '0', coordinates: 'screen', events });
      this.heldKeys.clear();
      this.heldButtons.clear();
    } catch (e) {
      this.options.log.error(`could not release held input: ${(e as Error).message}`);
    } finally {
      await helper?.close();
    }
  }

  /** After a crash: whatever the dead driver pressed is released by the new one. */
  private async releaseHeld(): Promise<void> {
    const events = this.releases();
    if (!events.length) return;
    this.options.log.warn(`releasing ${events.length} key(s)/button(s) the crashed driver held`);
    // Screen coordinates need no window; buttons without coordinates are released where the pointer is.
    await this.send('input/inject', { handle: '0', coordinates: 'screen', events }).catch((e: Error) => this.options.log.error(`could not release held input: ${e.message}`));
    this.heldKeys.clear();
    this.heldButtons.clear();
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  request<M extends DriverMethod>(method: M, params: DriverParams<M>, timeoutMs?: number): Promise<DriverResult<M>> {
    if (method !== 'input/inject') return this.send(method, params, timeoutMs);
    // Presses count as held from the moment they are sent: a driver killed after SendInput but before its answer
    // has pressed them. Only a refusal the driver answered with (the guard refuses a batch before sending any of
    // it) takes them back; releases count once the driver says they were sent.
    const events = (params as DriverParams<'input/inject'>).events;
    const added = { keys: [] as string[], buttons: [] as string[] };
    for (const e of events) {
      if (e.kind === 'key_down' && !this.heldKeys.has(e.key)) added.keys.push(e.key);
      if (e.kind === 'down' && !this.heldButtons.has(e.button)) added.buttons.push(e.button);
    }
    for (const k of added.keys) this.heldKeys.add(k);
    for (const b of added.buttons) this.heldButtons.add(b);
    return this.send(method, params, timeoutMs).then(
      (result) => {
        for (const e of events) {
          if (e.kind === 'key_down') this.heldKeys.add(e.key);
          if (e.kind === 'key_up') this.heldKeys.delete(e.key);
          if (e.kind === 'down') this.heldButtons.add(e.button);
          if (e.kind === 'up') this.heldButtons.delete(e.button);
        }
        return result;
      },
      (e: unknown) => {
        const unknownOutcome = e instanceof DriverRequestError && (e.code === 'driver_exited' || e.code === 'timeout');
        if (!unknownOutcome) {
          for (const k of added.keys) this.heldKeys.delete(k);
          for (const b of added.buttons) this.heldButtons.delete(b);
        }
        throw e;
      },
    );
  }

  private send<M extends DriverMethod>(method: M, params: DriverParams<M>, timeoutMs?: number): Promise<DriverResult<M>> {
    const out = this.socket ?? this.child?.stdin;
    if (!this.child || !out) return Promise.reject(new DriverRequestError('driver_exited', `${method}: the driver is not running`));
    const id = this.nextId++;
    // Requests that wait in the driver carry their own timeout; the client allows that plus a margin for the reply.
    const waits = method === 'window/attach' || method === 'window/waitForChange';
    const limit = timeoutMs ?? (waits ? ((params as { timeoutMs?: number }).timeoutMs ?? 180_000) + 5_000 : this.options.requestTimeoutMs);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new DriverRequestError('timeout', `${method}: no answer from the driver within ${limit} ms`));
      }, limit);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer, method });
      out.write(JSON.stringify({ type: 'request', id, method, params }) + '\n');
    });
  }

  /**
   * Asks the driver to shut down (it releases input and unhooks), then closes its input (which it also obeys), and
   * only then kills it: on Windows a kill is TerminateProcess, which runs none of its clean-up. Whatever a killed
   * driver held is then released by a fresh one.
   */
  async close(): Promise<void> {
    this.closing = true;
    const child = this.child;
    if (!child) return;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const exited = new Promise<void>((res) =>
      child.once('exit', (code, signal) => {
        exit = { code, signal };
        res();
      }),
    );
    await this.send('driver/shutdown', {}, 2000).catch(() => undefined);
    if (!exit) (this.socket ?? child.stdin)?.end();
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGTERM');
    }, 2000);
    const killer = setTimeout(() => child.kill('SIGKILL'), 4000);
    await exited;
    clearTimeout(timer);
    clearTimeout(killer);
    this.socket?.destroy();
    const clean = !killed && exit?.code === 0 && !exit.signal;
    if (clean) {
      this.heldKeys.clear();
      this.heldButtons.clear();
    } else {
      await this.releaseWithFreshDriver(`the driver did not shut down by itself (${killed ? 'killed' : exit?.signal ? `killed by ${exit.signal}` : `exit code ${exit?.code}`})`);
    }
  }
}
