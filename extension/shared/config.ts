import { z } from 'zod';
import { CACHE_POLICIES, MODES, SCRIPTED_WORKFLOWS } from './names';
import { namedEnum, strictObject } from './schemaKit';

// fastbench.json: everything a campaign needs except secrets. The SAS lives in the OS secret store
// (extension) or FASTBENCH_AZURE_SAS (CLI); validation refuses a config that carries one.

export const CONFIG_VERSION = 1;

const nonEmpty = z.string().min(1, { error: 'expected a non-empty string' });

const windowMatch = strictObject({
  processImage: nonEmpty.optional().describe('Process image name, e.g. "Petrel.exe" (case-insensitive).'),
  titlePattern: nonEmpty
    .refine(
      (p) => {
        try {
          new RegExp(p);
          return true;
        } catch {
          return false;
        }
      },
      { error: 'expected a valid JavaScript regular expression' },
    )
    .optional()
    .describe('JavaScript regular expression matched against the window title, e.g. "^Petrel".'),
}).refine((m) => m.processImage !== undefined || m.titlePattern !== undefined, {
  error: 'expected at least one of "processImage" or "titlePattern"',
});

const target = strictObject({
  executable: nonEmpty.describe('Full path of the application to launch (Petrel.exe, or the stand-in viewer).'),
  arguments: z.array(z.string()).default([]).describe('Command-line arguments; "{project}" is replaced by the project path.'),
  project: nonEmpty.optional().describe('Project to open; a mode may override it.'),
  window: windowMatch.describe('How to find the main window of the launched application.'),
  attachTimeoutS: z.number().positive().max(3600).default(180).describe('How long to wait for the main window.'),
  renderProbe: strictObject({
    x: z.int().nonnegative(),
    y: z.int().nonnegative(),
    width: z.int().positive(),
    height: z.int().positive(),
  })
    .optional()
    .describe('Client-area region whose pixels tell that a view has rendered.'),
});

const sharedMode = strictObject({
  dataPath: nonEmpty.describe('The volume on the NAS share, e.g. "\\\\\\\\nas01\\\\seismic\\\\vol.zgy".'),
  project: nonEmpty.optional().describe('Project to open in this mode (overrides target.project).'),
});

const fastMode = strictObject({
  dataPath: nonEmpty.describe('The path the application opens through FAST.'),
  project: nonEmpty.optional(),
  cacheFolder: nonEmpty.describe('FAST cache / pre-fetch folder, rotated empty for Cold runs.'),
  logPath: nonEmpty.optional().describe('FAST log file, read for per-request latency.'),
  logFormat: z.string().default('fastcache-v1').describe('Parser for the FAST log.'),
  serviceName: nonEmpty.optional().describe('Windows service to stop/start around a cache rotation.'),
  keepRotated: z.int().nonnegative().default(2).describe('Rotated cache folders to keep.'),
});

const azure = strictObject({
  accountUrl: z
    .url({ error: 'expected an https:// (or http:// for Azurite) blob endpoint URL' })
    .describe('Blob endpoint, e.g. "https://myaccount.blob.core.windows.net" (no SAS here).'),
  container: nonEmpty,
  blob: nonEmpty.describe('The volume blob used by the probe and the stand-in cache.'),
});

const probe = strictObject({
  nas: strictObject({
    host: nonEmpty.describe('NAS host name or address for the RTT test.'),
    port: z.int().min(1).max(65535).default(445),
    testFile: nonEmpty.optional().describe('A large file on the share to read for throughput.'),
    streams: z.int().min(1).max(64).default(4),
    writeTest: z.boolean().default(false),
  }).optional(),
  azure: strictObject({
    streams: z.array(z.int().min(1).max(256)).min(1).default([1, 2, 4, 8, 16]),
    rangeMiB: z.number().positive().max(256).default(8),
    uploadTest: z.boolean().default(false),
  }).optional(),
  tries: z.int().min(1).max(10000).default(20).describe('Samples per RTT measurement.'),
});

const workflow = z.union([
  namedEnum(SCRIPTED_WORKFLOWS, 'a scripted workflow'),
  strictObject({
    replay: nonEmpty.describe('A recording (*.fbrec.json) to replay as the workflow.'),
    name: nonEmpty.optional(),
  }),
]);

const campaign = strictObject({
  modes: z.array(namedEnum(MODES, 'a mode')).min(1).default([...MODES]),
  cachePolicies: z.array(namedEnum(CACHE_POLICIES, 'a cache policy')).min(1).default([...CACHE_POLICIES]),
  workflows: z.array(workflow).min(1).default([...SCRIPTED_WORKFLOWS]),
  repeats: z.int().min(1).max(100).default(3),
  order: namedEnum(['interleaved', 'blocked', 'shuffled'] as const, 'a run order')
    .default('interleaved')
    .describe('interleaved alternates A/B so drift hits both; shuffled uses the seed.'),
  seed: z.int().default(1),
});

const pathRule = strictObject({
  class: namedEnum(['NAS', 'FAST_cache', 'local', 'other'] as const, 'a storage class'),
  prefix: nonEmpty.describe('Path prefix (case-insensitive on Windows).'),
});

export const configSchema = strictObject({
  $schema: z.string().optional(),
  version: z.literal(CONFIG_VERSION, { error: `expected version ${CONFIG_VERSION}` }),
  target,
  modes: strictObject({ A_shared: sharedMode.optional(), B_fast: fastMode.optional() }),
  azure: azure.optional(),
  probe: probe.optional(),
  campaign: campaign.default({
    modes: [...MODES],
    cachePolicies: [...CACHE_POLICIES],
    workflows: [...SCRIPTED_WORKFLOWS],
    repeats: 3,
    order: 'interleaved',
    seed: 1,
  }),
  pathRules: z.array(pathRule).default([]).describe('Classify the files the target holds open.'),
  runsFolder: z.string().min(1).default('runs').describe('Where run folders go, relative to fastbench.json.'),
});

export type FastbenchConfig = z.infer<typeof configSchema>;
export type FastbenchConfigInput = z.input<typeof configSchema>;
