import { z } from 'zod';
import { isKnownChord } from './keys';
import { CACHE_POLICIES, MODES, SCRIPTED_WORKFLOWS } from './names';
import { namedEnum, strictObject } from './schemaKit';
import { workflowDefinitionSchema } from './workflow';

// fastbench.json: everything a campaign needs except secrets. The SAS lives in the OS secret store
// (extension) or FASTBENCH_AZURE_SAS (CLI); validation refuses a config that carries one.

export const CONFIG_VERSION = 1;

const nonEmpty = z.string().min(1, { error: 'expected a non-empty string' });

const regexString = nonEmpty.refine(
  (p) => {
    try {
      new RegExp(p);
      return true;
    } catch {
      return false;
    }
  },
  { error: 'expected a valid JavaScript regular expression' },
);

/** "Enter", "Escape", "n", "Alt+n": a key name (extension/shared/keys.ts), modifiers first, joined with +. */
const keyChord = z
  .string()
  .refine(isKnownChord, { error: 'expected a key such as "Enter", "n" or "Alt+n" (modifiers Shift, Control, Alt, Meta joined with +; keys as in extension/shared/keys.ts)' });

const interstitial = strictObject({
  name: nonEmpty.optional().describe('What it is, for run.json (e.g. "splash", "licence").'),
  titlePattern: regexString.describe('JavaScript regular expression matched against the title of a window of the launched process.'),
  action: namedEnum(['wait', 'key'] as const, 'an interstitial action')
    .default('wait')
    .describe('"wait": attach only once it is gone; "key": bring it to the front and press "key" once.'),
  key: keyChord.optional().describe('With action "key": the key that dismisses it, e.g. "Enter" or "Alt+a".'),
}).refine((i) => i.action !== 'key' || i.key !== undefined, { error: 'expected "key" when action is "key"' });

const windowMatch = strictObject({
  processImage: nonEmpty.optional().describe('Process image name, e.g. "Petrel.exe" (case-insensitive).'),
  titlePattern: regexString.optional().describe('JavaScript regular expression matched against the window title, e.g. "^Petrel".'),
}).refine((m) => m.processImage !== undefined || m.titlePattern !== undefined, {
  error: 'expected at least one of "processImage" or "titlePattern"',
});

const region = strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, { error: 'expected a region name of letters, digits, _ . -' })
    .optional(),
  x: z.int().nonnegative(),
  y: z.int().nonnegative(),
  width: z.int().positive(),
  height: z.int().positive(),
});

const renderProbe = z.union([
  region,
  strictObject({
    regions: z.array(region).min(1).describe('Client-area regions whose pixels tell that a view has rendered.'),
    settleMs: z.int().nonnegative().max(10_000).optional().describe('Unchanged this long = rendered (default 2 frames, 33 ms).'),
    openTimeoutS: z.number().positive().max(7200).optional().describe('How long the first picture may take after attach (default 600).'),
  }),
]);

const argumentList = z.array(z.string()).default([]);

const target = strictObject({
  executable: nonEmpty.describe('Full path of the application to launch (Petrel.exe, or the stand-in viewer).'),
  arguments: argumentList.describe('Command-line arguments; "{project}" and "{dataPath}" are replaced by the mode\'s values.'),
  project: nonEmpty.optional().describe('Project to open; a mode may override it.'),
  env: z.record(z.string(), z.string()).optional().describe('Extra environment for the target (the rest is inherited).'),
  window: windowMatch.describe('How to find the main window of the launched application.'),
  attachTimeoutS: z.number().positive().max(3600).default(180).describe('How long to wait for the main window.'),
  stableMs: z.int().nonnegative().max(60_000).default(1000).describe('The matched window must stay the same this long (skips splash screens).'),
  renderProbe: renderProbe.optional().describe('Client-area region(s) whose pixels tell that a view has rendered.'),
  batch: strictObject({
    arguments: z
      .array(z.string())
      .min(1)
      .describe(
        'Arguments of a batch run; "{workflow}", "{project}" and "{dataPath}" are replaced. Petrel: ["/nosplashscreen", "/runWorkflow", "{workflow}", "/quiet", "/exit", "{project}"].',
      ),
    timeoutS: z.number().positive().max(86_400).default(3600).describe('A batch run still going after this long is ended and failed.'),
  })
    .optional()
    .describe('Batch mode, for campaign workflows given as {"batch": "<workflow>"}: launch, wait for exit, no window.'),
  interstitials: z
    .array(interstitial)
    .default([])
    .describe(
      'Windows of the launched process shown before the main window (splash, licence, "open project" dialogs): waited out or dismissed with a key. Matched by title, never by window class.',
    ),
  interstitialTimeoutS: z.number().positive().max(3600).default(300).describe('Longest wait for the interstitial windows to go (inside attachTimeoutS).'),
  close: strictObject({
    keys: z.array(z.string()).optional().describe('Keys that close the application, e.g. ["Alt+F4"]; default: ask politely (SIGTERM / WM_CLOSE).'),
    savePrompt: strictObject({
      titlePattern: regexString.describe('Title of the "save changes?" window of the target, e.g. "^Petrel$|Save".'),
      key: keyChord.default('n').describe('The key that answers "No" / "Don\'t save" (default "n"; e.g. "Alt+n").'),
    })
      .optional()
      .describe('Answer the "save project?" prompt with No while closing, so no run changes the project.'),
    timeoutS: z.number().positive().max(600).default(30).describe('Each close step (keys, then WM_CLOSE) gets this long; then the process tree is killed.'),
  })
    .default({ timeoutS: 30 })
    .describe('How a run ends the application: close keys, the save prompt answered No, WM_CLOSE, then a kill.'),
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
  serviceControl: strictObject({
    stop: z.array(nonEmpty).min(1).describe('Command (argv) that stops FAST or closes its cache files.'),
    start: z.array(nonEmpty).min(1).describe('Command (argv) that starts it again.'),
  })
    .optional()
    .describe('Linux/macOS FAST-likes: commands run around a Cold rotation (Windows uses serviceName).'),
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
  z.string().regex(/^[A-Za-z0-9_.-]+$/, { error: 'expected a workflow name (W_scrub100, W_attribute, W_horizon, W_export, or one under "workflows")' }),
  strictObject({
    replay: nonEmpty.describe('A recording (*.fbrec.json) to replay as the workflow.'),
    name: nonEmpty.optional(),
  }),
  strictObject({
    batch: nonEmpty.describe('A workflow of the application itself, run in batch mode with target.batch.arguments ({workflow} = this name) and timed by process exit.'),
    name: nonEmpty.optional().describe('The workflow name runs are filed under (e.g. "W_attribute"); default: the batch name.'),
    markers: z.tuple([nonEmpty, nonEmpty]).optional().describe('Marker names for launch and exit (e.g. ["attr_start", "attr_end"]); default ["batch_start", "batch_end"].'),
  }),
]);

const campaign = strictObject({
  modes: z
    .array(namedEnum(MODES, 'a mode'))
    .min(1)
    .default([...MODES]),
  cachePolicies: z
    .array(namedEnum(CACHE_POLICIES, 'a cache policy'))
    .min(1)
    .default([...CACHE_POLICIES]),
  workflows: z
    .array(workflow)
    .min(1)
    .default([...SCRIPTED_WORKFLOWS]),
  repeats: z.int().min(1).max(100).default(3),
  order: namedEnum(['interleaved', 'blocked', 'shuffled'] as const, 'a run order')
    .default('interleaved')
    .describe('interleaved alternates A/B so drift hits both; shuffled uses the seed.'),
  seed: z.int().default(1),
  warm: namedEnum(['pass', 'preread'] as const, 'a warm-up method')
    .default('pass')
    .describe('Warm runs: "pass" runs the same workflow unmeasured first (or uses the run just before when it was that pass); "preread" reads the data files.'),
  warmupRuns: z.int().min(0).max(20).default(0).describe('Unmeasured runs at the start of each block, recorded with "warmup": true.'),
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
    warm: 'pass',
    warmupRuns: 0,
  }),
  workflows: z
    .record(z.string().regex(/^[A-Za-z0-9_.-]+$/, { error: 'expected a workflow name of letters, digits, _ . -' }), workflowDefinitionSchema)
    .default({})
    .describe('Workflow definitions by name (W_scrub100, W_attribute, W_horizon, W_export, or your own).'),
  pathRules: z.array(pathRule).default([]).describe('Classify the files the target holds open.'),
  runsFolder: z.string().min(1).default('runs').describe('Where run folders go, relative to fastbench.json.'),
});

export type FastbenchConfig = z.infer<typeof configSchema>;
export type FastbenchConfigInput = z.input<typeof configSchema>;
