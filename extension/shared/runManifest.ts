import { z } from 'zod';
import { CACHE_POLICIES, MODES } from './names';

// run.json makes a run folder self-describing: it must be analysable years later by another version,
// so it is loose (new fields survive) and versioned.

export const RUN_SCHEMA_VERSION = 1;
export const RUN_STATUSES = ['running', 'complete', 'aborted', 'failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const runManifestSchema = z.looseObject({
  schema_version: z.literal(RUN_SCHEMA_VERSION, { error: `expected schema_version ${RUN_SCHEMA_VERSION}` }),
  run_id: z.string().min(1),
  campaign_id: z.string().min(1).optional(),
  mode: z.enum(MODES),
  cache_policy: z.enum(CACHE_POLICIES),
  workflow: z.string().min(1),
  repeat: z.int().nonnegative(),
  started_at: z.iso.datetime({ offset: true }),
  ended_at: z.iso.datetime({ offset: true }).nullable().optional(),
  status: z.enum(RUN_STATUSES),
  reason: z.string().optional(),
  machine: z
    .looseObject({
      hostname: z.string(),
      os: z.string(),
      cpu: z.string().optional(),
      cores: z.int().optional(),
      ram_gb: z.number().optional(),
    })
    .optional(),
  app: z.looseObject({ executable: z.string(), version: z.string().optional() }).optional(),
  tool: z.looseObject({ name: z.literal('fastbench'), version: z.string() }),
  config_digest: z
    .string()
    .regex(/^sha256:[0-9a-f]{64}$/)
    .optional(),
  // A warm-up run is measured like any other but never enters a comparison.
  warmup: z.boolean().optional(),
  campaign: z
    .looseObject({ index: z.int().nonnegative(), total: z.int().positive(), block: z.int().nonnegative().optional() })
    .optional()
    .describe('Where this run sits in its campaign plan.'),
  dataset: z
    .looseObject({ path: z.string(), size: z.number().nonnegative().optional(), mtime: z.string().optional(), head_sha256: z.string().optional() })
    .optional()
    .describe('The data the run read: path, size, mtime and a hash of its first MiB.'),
  // Older run folders have none; every fact inside is a value or "unknown: <why>".
  environment: z
    .looseObject({ collected_at: z.iso.datetime({ offset: true }), collect_ms: z.number().nonnegative(), platform: z.string() })
    .optional()
    .describe(
      'The machine around the campaign, collected once per campaign: Windows build and display language, power plan, monitors with DPI, remote or console session, SMB client settings, antivirus real-time scanning of the data paths, GPU driver (Linux: kernel, locale, CPU governor, display). A fact that could not be read is "unknown: <why>".',
    ),
});

export type RunManifest = z.infer<typeof runManifestSchema>;
