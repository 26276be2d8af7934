import { setPriority } from 'node:os';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { loadConfig } from '../core/config/configFile';
import { agentCommandSchema, type AgentOutput } from '../core/metrics/agentMessages';
import { defaultSampler, startMetricsAgent, type SamplerName } from '../core/metrics/metricsAgent';
import type { PathRule, StorageClass } from '../core/metrics/pathClasses';
import { watchFromConfig, type WindowsWatch } from '../core/metrics/pdhCounters';
import type { WindowsPerfPort } from '../core/metrics/windowsPerfPort';
import { InputError, formatProblem } from '../core/validation/problems';

// The metrics agent process: `node dist/agent.js --out RUN_FOLDER [--pid PID] [--config fastbench.json]
// [--rule CLASS=PREFIX]… [--interval-ms 1000] [--sampler proc|pdh|typeperf|si] [--exit-with-target]
// [--no-open-files]`, and what Windows measures besides the machine and the target (--config fills what is not
// given): [--mode A_shared|B_fast] [--nas-share \\\\srv\\share] [--nas-path Z:\\data] [--cache-folder DIR]
// [--fast-service NAME] [--fast-pid PID] [--route-host HOST].
// JSON lines on stdout (hello, heartbeat every tick, target_exit, warning, stopped).
// It stops cleanly — files closed, agent.json final — on {"type":"stop"} or EOF on stdin, SIGTERM/SIGINT,
// or when its parent dies. Exit codes: 0 stopped, 1 failed, 2 bad arguments.

const USAGE =
  'usage: agent --out DIR [--pid PID] [--config FILE] [--rule CLASS=PREFIX]... [--interval-ms MS] [--sampler proc|pdh|typeperf|si] [--exit-with-target] [--no-open-files] [--mode A_shared|B_fast] [--nas-share UNC] [--nas-path MAPPED_PATH] [--cache-folder DIR] [--fast-service NAME] [--fast-pid PID] [--route-host HOST]';
const CLASSES: StorageClass[] = ['NAS', 'FAST_cache', 'local', 'other'];

function fail(message: string, code = 2): never {
  process.stderr.write(`agent: ${message}\n${code === 2 ? USAGE + '\n' : ''}`);
  process.exit(code);
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        out: { type: 'string' },
        pid: { type: 'string' },
        config: { type: 'string' },
        rule: { type: 'string', multiple: true },
        'interval-ms': { type: 'string' },
        sampler: { type: 'string' },
        'exit-with-target': { type: 'boolean' },
        'no-open-files': { type: 'boolean' },
        mode: { type: 'string' },
        'nas-share': { type: 'string' },
        'nas-path': { type: 'string' },
        'cache-folder': { type: 'string' },
        'fast-service': { type: 'string' },
        'fast-pid': { type: 'string' },
        'route-host': { type: 'string' },
      },
      strict: true,
    }).values;
  } catch (e) {
    fail((e as Error).message.split('\n')[0]!);
  }
  if (!args.out) fail('--out DIR is required');
  const pid = args.pid === undefined ? undefined : Number(args.pid);
  if (pid !== undefined && !(Number.isInteger(pid) && pid > 0)) fail(`--pid: expected a process id, found ${JSON.stringify(args.pid)}`);
  const intervalMs = args['interval-ms'] === undefined ? 1000 : Number(args['interval-ms']);
  if (!(Number.isInteger(intervalMs) && intervalMs >= 100 && intervalMs <= 60_000)) fail(`--interval-ms: expected an integer 100..60000, found ${args['interval-ms']}`);
  const sampler = (args.sampler ?? defaultSampler()) as SamplerName;
  if (!['proc', 'pdh', 'typeperf', 'si'].includes(sampler)) fail(`--sampler: expected proc, pdh, typeperf or si, found ${JSON.stringify(args.sampler)}`);
  if (sampler === 'proc' && process.platform !== 'linux') fail('--sampler proc needs Linux (/proc)');
  if ((sampler === 'pdh' || sampler === 'typeperf') && process.platform !== 'win32') fail(`--sampler ${sampler} needs Windows`);
  if (args.mode !== undefined && args.mode !== 'A_shared' && args.mode !== 'B_fast') fail(`--mode: expected A_shared or B_fast, found ${JSON.stringify(args.mode)}`);
  const fastPid = args['fast-pid'] === undefined ? undefined : Number(args['fast-pid']);
  if (fastPid !== undefined && !(Number.isInteger(fastPid) && fastPid > 0)) fail(`--fast-pid: expected a process id, found ${JSON.stringify(args['fast-pid'])}`);

  const pathRules: PathRule[] = [];
  let watch: WindowsWatch = {};
  if (args.config) {
    try {
      const { config } = await loadConfig(args.config);
      pathRules.push(...config.pathRules);
      watch = watchFromConfig(config, args.mode as 'A_shared' | 'B_fast' | undefined);
    } catch (e) {
      if (e instanceof InputError) fail(e.problems.map(formatProblem).join('\n'));
      throw e;
    }
  }
  for (const r of args.rule ?? []) {
    const eq = r.indexOf('=');
    const cls = r.slice(0, eq) as StorageClass;
    if (eq < 1 || !CLASSES.includes(cls) || eq === r.length - 1) fail(`--rule: expected CLASS=PREFIX with CLASS one of ${CLASSES.join(', ')}, found ${JSON.stringify(r)}`);
    pathRules.push({ class: cls, prefix: r.slice(eq + 1) });
  }

  watch = {
    ...watch,
    ...(args['nas-share'] ? { nasShare: args['nas-share'] } : {}),
    ...(args['nas-path'] ? { nasDataPath: args['nas-path'] } : {}),
    ...(args['cache-folder'] ? { cacheFolder: args['cache-folder'] } : {}),
    ...(args['fast-service'] ? { fastService: args['fast-service'] } : {}),
    ...(fastPid !== undefined ? { fastPid } : {}),
    ...(args['route-host'] ? { routeHost: args['route-host'] } : {}),
  };
  // PDH through koffi lives with the other native code; loaded only here, only on Windows.
  let windowsPerf: WindowsPerfPort | { error: string } | undefined;
  if (sampler === 'pdh') {
    try {
      windowsPerf = (await import('../driver/win32/windowsPerf')).loadWindowsPerf();
    } catch (e) {
      windowsPerf = { error: (e as Error).message.split('\n')[0]! };
    }
  }

  try {
    // Punctual ticks on a busy machine: the agent needs ~1 ms a second, but it must get it on time, so it
    // asks to be scheduled ahead of normal work. Best effort: refused without the privilege, and then
    // lateness shows in agent.json instead.
    setPriority(0, -10);
  } catch {
    // not permitted here
  }

  let stdoutOpen = true;
  process.stdout.on('error', () => {
    // The reader went away (EPIPE): nobody hears heartbeats; the parent check below stops us.
    stdoutOpen = false;
  });
  const emit = (m: AgentOutput) => {
    if (stdoutOpen) process.stdout.write(JSON.stringify(m) + '\n');
  };

  // Windows has no /proc: the target's handles are read by native code (koffi), loaded only there.
  const openFilesLister =
    process.platform === 'win32' && pid !== undefined && args['no-open-files'] !== true
      ? (await import('../driver/win32/openHandles')).windowsOpenFilesLister({
          ...(process.env.FASTBENCH_OPENFILES_TEST_STALL_MS ? { stallMs: Number(process.env.FASTBENCH_OPENFILES_TEST_STALL_MS) } : {}),
        })
      : undefined;

  const agent = await startMetricsAgent({
    outDir: args.out,
    ...(pid !== undefined ? { targetPid: pid } : {}),
    pathRules,
    intervalMs,
    sampler,
    exitWithTarget: args['exit-with-target'] === true,
    openFiles: args['no-open-files'] !== true,
    ...(openFilesLister ? { openFilesLister } : {}),
    watch,
    ...(windowsPerf ? { windowsPerf } : {}),
    emit: (m) => {
      emit(m);
      if (m.type === 'stopped') setImmediate(() => process.exit(0));
    },
  });

  const stop = (why: string) => {
    agent.stop(why);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => stop('SIGHUP'));
  const parent = process.ppid;
  setInterval(() => {
    // Reparented: the parent died without closing our stdin (e.g. it was SIGKILLed with a leaked pipe).
    if (process.ppid !== parent) stop('parent died');
  }, 1000).unref();

  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  lines.on('line', (line) => {
    if (!line.trim()) return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      raw = line.trim() === 'stop' ? { type: 'stop' } : undefined;
    }
    if (agentCommandSchema.safeParse(raw).success) stop('stop requested');
    else emit({ type: 'warning', message: `unknown command ignored: ${line.slice(0, 80)}` });
  });
  lines.on('close', () => stop('stdin closed'));
}

main().catch((e: unknown) => fail((e as Error).message, 1));
