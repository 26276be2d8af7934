import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { percentile } from '../../extension/shared/statistics';

// What the Win32 driver tests share: where things are, the mingw target program (the oracle), and "a person's
// input" — xdotool on the X server under Wine (through test/wine/xhelper.mjs), untagged SendInput from the target
// program in its --inject mode on real Windows. These tests run as Windows processes (Wine or Windows).

/** A Linux path handed in by run.sh becomes Wine's Z: drive path; Windows paths pass through. */
export function hostPath(p: string): string {
  return p.startsWith('/') ? `Z:${p.replace(/\//g, '\\')}` : p;
}

export const isWindowsHost = process.platform === 'win32';
/** Under Wine: run.sh says so, and Wine's own programs are there. */
export const isWine = isWindowsHost && (process.env.FASTBENCH_WINE === '1' || existsSync('C:\\windows\\system32\\winecfg.exe') || existsSync('C:\\windows\\syswow64\\winecfg.exe'));
export const isRealWindows = isWindowsHost && !isWine;

const repo = path.resolve(__dirname, '../../..');
export const lane = {
  driver: hostPath(process.env.FASTBENCH_TEST_DRIVER ?? path.join(repo, 'dist', 'driver.js')),
  agent: hostPath(process.env.FASTBENCH_TEST_AGENT ?? path.join(repo, 'dist', 'agent.js')),
  target: hostPath(process.env.FASTBENCH_TEST_TARGET ?? path.join(repo, 'dist', 'test', 'wine', 'target.exe')),
  work: hostPath(process.env.FASTBENCH_TEST_WORK ?? path.join(repo, 'dist', 'test', 'wine', 'work')),
  xhelperPort: Number(process.env.FASTBENCH_TEST_XHELPER ?? 0),
};

/** Why this suite cannot run here (printed as the skip reason), or undefined when it can. */
export function laneUnavailable(): string | undefined {
  if (!isWindowsHost) return `the Win32 driver tests run on Windows or under Wine (bash test/wine/run.sh), not on ${process.platform}`;
  if (!existsSync(lane.driver)) return `no driver bundle at ${lane.driver} (node esbuild.mjs --only=driver)`;
  if (!existsSync(lane.target)) return `no target program at ${lane.target} (run.sh builds it with mingw)`;
  return undefined;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` returns a value (not undefined), or throws after `timeoutMs` with `what`. */
export async function waitFor<T>(check: () => T | undefined, timeoutMs: number, what: string | (() => string)): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await sleep(20);
  }
}

export type Rect = { x: number; y: number; width: number; height: number };
export type TargetLine = { t: number; kind: string; f: Record<string, string> };
const parseRect = (s: string | undefined): Rect => {
  const [x, y, width, height] = (s ?? '').split(',').map(Number);
  return { x: x!, y: y!, width: width!, height: height! };
};

let targets = 0;

/** The mingw target program: one window, a log line per message it receives. */
export class Target {
  readonly logPath: string;
  readonly title: string;
  private constructor(
    readonly proc: ChildProcess,
    logPath: string,
    title: string,
  ) {
    this.logPath = logPath;
    this.title = title;
  }

  static async start(opts: { title?: string; x?: number; y?: number; w?: number; h?: number; extra?: string[] } = {}): Promise<Target> {
    mkdirSync(lane.work, { recursive: true });
    const n = ++targets;
    const title = opts.title ?? `FastBench Target ${process.pid}-${n}`;
    const logPath = path.join(lane.work, `target-${process.pid}-${n}.log`);
    const args = [
      logPath,
      '--title',
      title,
      '--x',
      String(opts.x ?? 100),
      '--y',
      String(opts.y ?? 100),
      '--w',
      String(opts.w ?? 640),
      '--h',
      String(opts.h ?? 480),
      ...(opts.extra ?? []),
    ];
    const proc = spawn(lane.target, args, { stdio: 'ignore' });
    const target = new Target(proc, logPath, title);
    await waitFor(() => target.lines().find((l) => l.kind === 'ready'), 20_000, `target "${title}" to log ready`);
    return target;
  }

  lines(): TargetLine[] {
    if (!existsSync(this.logPath)) return [];
    return readFileSync(this.logPath, 'utf8')
      .split(/\r?\n/)
      .filter(Boolean)
      .map((line) => {
        const [t, kind, ...rest] = line.split(' ');
        return { t: Number(t), kind: kind!, f: Object.fromEntries(rest.map((kv) => kv.split('=') as [string, string])) };
      });
  }

  get ready(): { pid: number; hwnd: string; client: Rect; window: Rect; dpi: number } {
    const r = this.lines().find((l) => l.kind === 'ready');
    if (!r) throw new Error('target not ready');
    const moved =
      this.lines()
        .filter((l) => l.kind === 'moved')
        .at(-1) ?? r;
    return { pid: Number(r.f.pid), hwnd: r.f.hwnd!, client: parseRect(moved.f.client), window: parseRect(moved.f.window), dpi: Number(moved.f.dpi) };
  }

  /** Lines after `from` (an index into lines()) matching `kind`. */
  since(from: number, ...kinds: string[]): TargetLine[] {
    return this.lines()
      .slice(from)
      .filter((l) => kinds.includes(l.kind));
  }

  async waitLines(from: number, kinds: string[], count: number, timeoutMs = 5000): Promise<TargetLine[]> {
    return waitFor(
      () => {
        const got = this.since(from, ...kinds);
        return got.length >= count ? got : undefined;
      },
      timeoutMs,
      () => `${count} ${kinds.join('/')} line(s) in ${this.logPath}; got: ${JSON.stringify(this.since(from, ...kinds)).slice(0, 600)}`,
    );
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill();
    await Promise.race([exited, sleep(5000)]);
  }
}

/** Runs one of the target program's helper modes (--gettext, --inject, --monitors, ...). */
export function targetHelper(args: string[], timeoutMs = 20_000): number | null {
  return spawnSync(lane.target, args, { stdio: 'ignore', timeout: timeoutMs }).status;
}

/** The Linux-side X input helper (xdotool), reached over loopback TCP from inside Wine. */
export class XHelper {
  private nextId = 1;
  private readonly pending = new Map<number, (v: Record<string, unknown>) => void>();
  private constructor(private readonly socket: net.Socket) {
    createInterface({ input: socket }).on('line', (line) => {
      const msg = JSON.parse(line) as { id: number };
      this.pending.get(msg.id)?.(msg);
      this.pending.delete(msg.id);
    });
  }

  static async connect(port = lane.xhelperPort): Promise<XHelper> {
    const socket = net.createConnection({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.setNoDelay(true);
    return new XHelper(socket);
  }

  call(msg: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, (v) => (v.error ? reject(new Error(String(v.error))) : resolve(v)));
      this.socket.write(JSON.stringify({ id, ...msg }) + '\n');
    });
  }

  /** Runs an xdotool script line; resolves after it ran, with the Linux CLOCK_MONOTONIC ms it was sent at. */
  async x(line: string): Promise<{ t: number; tAck: number }> {
    return (await this.call({ cmd: 'x', line })) as { t: number; tAck: number };
  }

  async focus(name: string): Promise<boolean> {
    return (await this.call({ cmd: 'focus', name })).ok === true;
  }

  /** Linux kill -9 of the processes whose command line holds `token` (see xhelper.mjs); their Linux pids. */
  async kill9(token: string): Promise<number[]> {
    return (await this.call({ cmd: 'kill9', token })).pids as number[];
  }

  /** Linux SIGSTOP of the processes whose command line holds `token`: they stop answering. */
  async stop(token: string): Promise<number[]> {
    return (await this.call({ cmd: 'stop', token })).pids as number[];
  }

  async linuxNow(): Promise<number> {
    return (await this.call({ cmd: 'time' })).t as number;
  }

  close(): void {
    this.socket.end();
  }
}

/**
 * Offset to add to a Linux CLOCK_MONOTONIC ms to get this process's hrtime ms (Wine's QueryPerformanceCounter),
 * estimated NTP-style from the fastest of `rounds` round trips; `error` bounds it (half that round trip).
 */
export async function calibrateClocks(x: XHelper, rounds = 50): Promise<{ offset: number; error: number }> {
  let best = { offset: 0, error: Infinity };
  for (let i = 0; i < rounds; i++) {
    const t0 = Number(process.hrtime.bigint()) / 1e6;
    const linux = await x.linuxNow();
    const t1 = Number(process.hrtime.bigint()) / 1e6;
    const error = (t1 - t0) / 2;
    if (error < best.error) best = { offset: (t0 + t1) / 2 - linux, error };
  }
  return best;
}

/** "A person" acting on the screen, in screen pixels: xdotool under Wine, untagged SendInput on Windows. */
export type ExternalInput = {
  readonly how: string;
  click(x: number, y: number): Promise<void>;
  key(name: 'a' | 'Escape'): Promise<void>;
  wheelDown(): Promise<void>;
  focus(title: string): Promise<void>;
  close(): void;
};

export async function externalInput(): Promise<ExternalInput | string> {
  if (isWine) {
    if (!lane.xhelperPort) return 'no X input helper (FASTBENCH_TEST_XHELPER); run the lane with bash test/wine/run.sh';
    const x = await XHelper.connect();
    return {
      how: 'xdotool (X server input, delivered by Wine)',
      click: async (cx, cy) => void (await x.x(`mousemove ${cx} ${cy} click 1`)),
      key: async (name) => void (await x.x(`key ${name === 'a' ? 'a' : 'Escape'}`)),
      wheelDown: async () => void (await x.x('click 5')),
      focus: async (title) => {
        if (!(await x.focus(title))) throw new Error(`xdotool could not focus "${title}"`);
      },
      close: () => x.close(),
    };
  }
  return {
    how: 'SendInput from another process, untagged (target.exe --inject)',
    click: async (cx, cy) => void targetHelper(['--inject', 'click', String(cx), String(cy)]),
    key: async (name) => void targetHelper(['--inject', 'key', name === 'a' ? '0x41' : '0x1b']),
    wheelDown: async () => void targetHelper(['--inject', 'wheel', '-120']),
    focus: async () => {},
    close: () => {},
  };
}

/** Quantile q in [0, 1] as the statistics module defines percentiles (numpy linear), so p99 is not the maximum at n ≤ 100. */
export function quantile(values: number[], q: number): number {
  return percentile(values, q * 100);
}
