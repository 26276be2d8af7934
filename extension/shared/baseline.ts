import { z } from 'zod';

// baseline.json: what `fastbench probe` measured about the machine, the NAS and Azure, and how far each
// figure can be trusted (the probe's own CPU, whether the client was the bottleneck, how the OS cache was
// avoided). A measurement that could not be taken carries its error instead of a number. Never a secret:
// endpoints are stored without their query string.

export const BASELINE_SCHEMA = 'fastbench-baseline/1';

const num = z.number().finite();

/** Latency samples in ms with their percentiles (nearest rank). */
export const latencyStatsSchema = z.object({
  n: z.int().positive(),
  p50: num,
  p95: num,
  p99: num,
  min: num,
  max: num,
  samplesMs: z.array(num),
});

/** The probe's own cost while it measured: a figure taken with a saturated client is a floor, not the link. */
export const probeCpuSchema = z.object({
  /** CPU time of the probe process (all threads) over wall time, % of one core. */
  procCpuPct: num,
  /** Share of wall time the probe's JavaScript thread was busy (event loop utilisation), %. */
  eventLoopPct: num,
  /** The busiest core of the machine over the measurement, %. */
  busiestCorePct: num.nullable(),
  clientBound: z.boolean(),
  why: z.string().optional(),
});

export const throughputSchema = z.object({
  streams: z.int().positive(),
  /** Size of each request (ranged GET or read call), bytes. */
  blockBytes: z.int().positive(),
  bytes: z.int().nonnegative(),
  seconds: num,
  MBps: num,
  cpu: probeCpuSchema,
});

const failed = z.object({ error: z.string() });
const orError = <T extends z.ZodType>(t: T) => z.union([t, failed]);

export const machineSchema = z.object({
  cpu: z.object({ brand: z.string(), manufacturer: z.string(), cores: z.int(), physicalCores: z.int(), speedGHz: num.nullable(), speedMaxGHz: num.nullable() }),
  memory: z.object({ totalBytes: z.number(), availableBytes: z.number() }),
  gpus: z.array(z.object({ vendor: z.string(), model: z.string(), vramMiB: num.nullable(), driverVersion: z.string().nullable() })),
  disks: z.array(z.object({ name: z.string(), type: z.string(), interfaceType: z.string(), sizeBytes: z.number() })),
  nics: z.array(z.object({ iface: z.string(), type: z.string(), speedMbps: num.nullable(), ip4: z.string(), virtual: z.boolean(), up: z.boolean() })),
  os: z.object({ platform: z.string(), distro: z.string(), release: z.string(), kernel: z.string(), arch: z.string(), hostname: z.string() }),
  versions: z.record(z.string(), z.string()),
  /** Parts of the inventory that could not be read (e.g. no GPU tool). */
  notes: z.array(z.string()),
});

export const nasSchema = z.object({
  host: z.string(),
  port: z.int(),
  tcpConnectRtt: orError(latencyStatsSchema),
  icmpRtt: z.union([latencyStatsSchema, z.object({ unavailable: z.string() })]),
  read: z
    .object({
      file: z.string(),
      sizeBytes: z.number(),
      /** What was done so that the OS file cache did not serve the reads. */
      cacheAvoidance: z.string(),
      unbuffered: z.boolean(),
      oneStream: orError(throughputSchema),
      multiStream: orError(throughputSchema),
    })
    .nullable(),
  write: orError(throughputSchema.extend({ cacheAvoidance: z.string() })).nullable(),
});

export const azureSchema = z.object({
  endpoint: z.string(),
  container: z.string(),
  blob: z.string(),
  sasSource: z.string(),
  blobBytes: z.number().nullable(),
  tcpConnectRtt: orError(latencyStatsSchema),
  /** A HEAD of the blob on a warm connection: the HTTPS request round trip. */
  requestRtt: orError(latencyStatsSchema),
  /** Ranged GETs of rangeBytes on a warm connection: request sent → first body byte. */
  ttfb: orError(latencyStatsSchema.extend({ rangeBytes: z.int() })),
  sweep: z.array(orError(throughputSchema)),
  best: throughputSchema.nullable(),
  upload: orError(throughputSchema).nullable(),
});

export const baselineSchema = z.object({
  schema: z.literal(BASELINE_SCHEMA),
  toolVersion: z.string(),
  createdUnixMs: z.int(),
  configFile: z.string().nullable(),
  durationS: num,
  machine: orError(machineSchema),
  nas: orError(nasSchema).nullable(),
  azure: orError(azureSchema).nullable(),
  /** One line per measurement that failed, for the summary and the exit code. */
  problems: z.array(z.string()),
  /** Caveats a reader must know to read the figures right. */
  notes: z.array(z.string()),
});

export type LatencyStats = z.infer<typeof latencyStatsSchema>;
export type ProbeCpu = z.infer<typeof probeCpuSchema>;
export type Throughput = z.infer<typeof throughputSchema>;
export type MachineInfo = z.infer<typeof machineSchema>;
export type NasBaseline = z.infer<typeof nasSchema>;
export type AzureBaseline = z.infer<typeof azureSchema>;
export type Baseline = z.infer<typeof baselineSchema>;
export type Failed = z.infer<typeof failed>;

export const isFailed = (v: unknown): v is Failed => typeof v === 'object' && v !== null && 'error' in v;
