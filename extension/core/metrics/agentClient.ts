import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { silentLogger, type Logger } from '../ports/logger';
import { nodeOptionsEnv, roleCommand } from '../runtime/selfExe';
import { AGENT_PROTOCOL_VERSION, agentOutputSchema, type AgentOutput } from './agentMessages';
import type { PathRule } from './pathClasses';
import type { WindowsWatch } from './pdhCounters';

export type AgentClientOptions = {
  outDir: string;
  targetPid?: number;
  pathRules?: PathRule[];
  intervalMs?: number;
  sampler?: 'proc' | 'pdh' | 'typeperf' | 'si';
  /** Windows: the NAS share, FAST cache folder and service, and route host the PDH sampler measures. */
  watch?: WindowsWatch;
  exitWithTarget?: boolean;
  /** The command that runs the agent; defaults to this Node running dist/agent.js, or `fastbench.exe --agent`. */
  command?: string[];
  log?: Logger;
  /** No heartbeat for this long means the agent has stalled (default 3.5 intervals). */
  stallMs?: number;
  helloTimeoutMs?: number;
  /** The agent's environment (default this process's); the extension host adds ELECTRON_RUN_AS_NODE. */
  env?: NodeJS.ProcessEnv;
};

/**
 * Node flags that keep the agent small: a 1 Hz sampler allocates little, so a tight young generation
 * (1 MiB semi-spaces instead of 16) and a capped old space cost no time and keep RSS down.
 */
export const AGENT_NODE_FLAGS = ['--max-semi-space-size=1', '--max-old-space-size=64'];

export function defaultAgentCommand(): string[] {
  // The CLI, the extension and the agent are bundles side by side in dist/, or one program: fastbench.exe.
  return roleCommand('agent', AGENT_NODE_FLAGS);
}

/** Starts the metrics agent for a run, validates what it says, notices when it stalls, and stops it. */
export class MetricsAgentClient {
  hello: Extract<AgentOutput, { type: 'hello' }> | undefined;
  lastHeartbeat: Extract<AgentOutput, { type: 'heartbeat' }> | undefined;
  targetExitUnixMs: number | undefined;
  stopped: Extract<AgentOutput, { type: 'stopped' }> | undefined;
  stalled = false;
  readonly warnings: string[] = [];
  private readonly listeners = new Set<(m: AgentOutput | { type: 'stalled'; sinceMs: number }) => void>();
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stallTimer: NodeJS.Timeout | undefined;
  private stderr = '';

  private constructor(
    readonly child: ChildProcess,
    private readonly log: Logger,
    private readonly stallMs: number,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  static async start(options: AgentClientOptions): Promise<MetricsAgentClient> {
    const [cmd, ...base] = options.command ?? defaultAgentCommand();
    const args = [...base, '--out', options.outDir];
    if (options.targetPid !== undefined) args.push('--pid', String(options.targetPid));
    for (const r of options.pathRules ?? []) args.push('--rule', `${r.class}=${r.prefix}`);
    if (options.intervalMs !== undefined) args.push('--interval-ms', String(options.intervalMs));
    if (options.sampler) args.push('--sampler', options.sampler);
    if (options.exitWithTarget) args.push('--exit-with-target');
    const w = options.watch ?? {};
    if (w.nasShare) args.push('--nas-share', w.nasShare);
    if (w.nasDataPath) args.push('--nas-path', w.nasDataPath);
    if (w.cacheFolder) args.push('--cache-folder', w.cacheFolder);
    if (w.fastService) args.push('--fast-service', w.fastService);
    if (w.fastPid !== undefined) args.push('--fast-pid', String(w.fastPid));
    if (w.routeHost) args.push('--route-host', w.routeHost);
    // Inside fastbench.exe the agent's Node flags travel in NODE_OPTIONS (they cannot go on the exe's command line).
    const env = options.command ? options.env : nodeOptionsEnv(options.env ?? process.env, AGENT_NODE_FLAGS);
    const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true, ...(env ? { env } : {}) });
    const client = new MetricsAgentClient(child, options.log ?? silentLogger, options.stallMs ?? 3.5 * (options.intervalMs ?? 1000));
    child.stdin!.on('error', () => {}); // EPIPE after the agent exits is reported through 'exit'
    createInterface({ input: child.stderr! }).on('line', (l) => {
      client.stderr += l + '\n';
      client.log.warn(`agent: ${l}`);
    });
    const hello = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`metrics agent said no hello within ${options.helloTimeoutMs ?? 15_000} ms`)), options.helloTimeoutMs ?? 15_000);
      client.onMessage((m) => {
        if (m.type === 'hello') {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('error', (e) => reject(new Error(`cannot start the metrics agent (${cmd}): ${e.message}`)));
      void client.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`metrics agent exited (${signal ?? `code ${code}`}) before saying hello${client.stderr ? `: ${client.stderr.trim()}` : ''}`));
      });
    });
    createInterface({ input: child.stdout! }).on('line', (line) => client.onLine(line));
    try {
      await hello;
    } catch (e) {
      child.kill('SIGKILL');
      throw e;
    }
    client.armStall();
    return client;
  }

  onMessage(listener: (m: AgentOutput | { type: 'stalled'; sinceMs: number }) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private armStall(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => {
      if (this.stopped) return;
      this.stalled = true;
      this.log.warn(`metrics agent: no heartbeat for ${this.stallMs} ms`);
      for (const l of this.listeners) l({ type: 'stalled', sinceMs: this.stallMs });
    }, this.stallMs);
    this.stallTimer.unref();
  }

  private onLine(line: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      this.log.warn(`metrics agent wrote a line that is not JSON: ${line.slice(0, 120)}`);
      return;
    }
    const parsed = agentOutputSchema.safeParse(raw);
    if (!parsed.success) {
      this.log.warn(`metrics agent wrote an unexpected message: ${line.slice(0, 120)}`);
      return;
    }
    const m = parsed.data;
    if (m.type === 'hello') {
      if (m.protocol !== AGENT_PROTOCOL_VERSION) this.log.warn(`metrics agent speaks protocol ${m.protocol}, expected ${AGENT_PROTOCOL_VERSION}`);
      this.hello = m;
    } else if (m.type === 'heartbeat') {
      this.lastHeartbeat = m;
      this.stalled = false;
      this.armStall();
    } else if (m.type === 'target_exit') this.targetExitUnixMs = m.t_unix_ms;
    else if (m.type === 'warning') {
      this.warnings.push(m.message);
      this.log.warn(`metrics agent: ${m.message}`);
    } else if (m.type === 'stopped') {
      this.stopped = m;
      if (this.stallTimer) clearTimeout(this.stallTimer);
    }
    for (const l of this.listeners) l(m);
  }

  /** Asks the agent to stop and waits; one that does not exit within the timeout is killed. */
  async stop(timeoutMs = 5000): Promise<{ code: number | null; signal: NodeJS.Signals | null; clean: boolean }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.stdin!.end(JSON.stringify({ type: 'stop' }) + '\n');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const result = await this.exited;
    clearTimeout(timer);
    if (this.stallTimer) clearTimeout(this.stallTimer);
    return { ...result, clean: result.code === 0 && this.stopped !== undefined };
  }

  /** Resolves when the agent exits by itself (e.g. --exit-with-target). */
  exit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exited;
  }
}
