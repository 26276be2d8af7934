import { z } from 'zod';

// The metrics agent's stdout (JSON lines) and stdin (commands). The orchestrator validates every line:
// a heartbeat that stops coming means a stalled agent, target_exit is a fact to record, not a failure.

export const AGENT_PROTOCOL_VERSION = 1;

const targetState = z.enum(['running', 'exited', 'none']);

export const agentOutputSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('hello'),
    protocol: z.int(),
    pid: z.int(),
    targetPid: z.int().nullable(),
    sampler: z.string(),
    firstTickUnixMs: z.int(),
    intervalMs: z.int(),
  }),
  z.object({
    type: z.literal('heartbeat'),
    tick: z.int(),
    t_unix_ms: z.int(),
    lateMs: z.number(),
    rows: z.int(),
    skipped: z.int(),
    target: targetState,
    openFiles: z.int().nullable(),
  }),
  z.object({ type: z.literal('target_exit'), t_unix_ms: z.int() }),
  z.object({ type: z.literal('warning'), message: z.string() }),
  z.object({ type: z.literal('stopped'), reason: z.string(), rows: z.int(), skipped: z.int() }),
]);

export type AgentOutput = z.infer<typeof agentOutputSchema>;

export const agentCommandSchema = z.object({ type: z.literal('stop') });

/** agent.json in the output folder: what was measured, how, and how the agent ended. */
export const agentReportSchema = z.object({
  schema: z.literal('fastbench-agent/1'),
  toolVersion: z.string(),
  platform: z.string(),
  agentPid: z.int(),
  targetPid: z.int().nullable(),
  sampler: z.string(),
  /** Why this sampler (Windows: PDH in-process, or the typeperf fallback and why PDH could not be used). */
  samplerReason: z.string().optional(),
  intervalMs: z.int(),
  startedUnixMs: z.int(),
  firstTickUnixMs: z.int(),
  sources: z.record(z.string(), z.string()),
  openFilesSource: z.string(),
  pathRules: z.array(z.object({ class: z.string(), prefix: z.string() })),
  state: z.enum(['running', 'stopped']),
  targetExitUnixMs: z.int().nullable(),
  stoppedUnixMs: z.int().nullable(),
  stopReason: z.string().nullable(),
  rows: z.int(),
  skippedTicks: z.int(),
  /** Tick lateness in ms over n ticks: percentiles as extension/shared/statistics.ts defines them. */
  lateMs: z.object({ n: z.int(), p50: z.number(), p99: z.number(), max: z.number() }).nullable(),
  /** Time the open-files listing took per tick (ms), when it ran: its cost beside the sampling. */
  openFilesMs: z.object({ n: z.int(), p50: z.number(), p99: z.number(), max: z.number() }).nullable().optional(),
  /** CPU time (user + system, ms) the agent spent reading counters per tick, where the sampler measures it. */
  sampleCpuMs: z.object({ n: z.int(), mean: z.number(), p50: z.number(), p99: z.number(), max: z.number() }).optional(),
});

export type AgentReport = z.infer<typeof agentReportSchema>;
