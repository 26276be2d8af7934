import type { FastbenchConfigInput } from '../../shared/config';
import type { WorkflowDefinition } from '../../shared/workflow';

type WorkflowInput = Omit<WorkflowDefinition, 'stepTimeoutS'> & { stepTimeoutS?: number };

/**
 * The seed's four workflows for the stand-in viewer: PageDown steps an inline, A computes an attribute, a click
 * then H autotracks a horizon, E exports. Renders are detected from pixels only: the "view" region (the
 * section) changes when a step has drawn; export draws nothing, so it waits for the status text's busy
 * indicator to come and go. The others watch the view alone: the busy text is a change too, and once it had
 * stood for settleMs it passed for the step's end (the demo's horizon "took" 6 ms while the viewer was still
 * reading the next brick row).
 */
export function standinWorkflows(inlines = 100): Record<string, WorkflowInput> {
  return {
    W_scrub100: {
      description: `Step ${inlines} inlines with PageDown, each timed to its rendered section.`,
      steps: [{ marker: 'scrub_start' }, { repeat: inlines, steps: [{ key: 'PageDown', render: { regions: ['view'] }, label: 'inline' }] }, { marker: 'scrub_end' }],
    },
    W_attribute: {
      description: 'Compute the RMS amplitude attribute of the current inline.',
      steps: [{ marker: 'attr_start' }, { key: 'a', render: { regions: ['view'] }, label: 'attribute' }, { marker: 'attr_end' }],
    },
    W_horizon: {
      description: 'Pick a seed in the middle of the section, then autotrack a horizon across inlines.',
      steps: [
        { click: { fx: 0.5, fy: 0.55 }, render: { regions: ['status'] }, label: 'seed' },
        { marker: 'horizon_start' },
        { key: 'h', render: { regions: ['view'] }, label: 'horizon' },
        { marker: 'horizon_end' },
      ],
    },
    W_export: {
      description: 'Export the brick row of the current inline (the status text shows busy until it is written).',
      steps: [{ marker: 'export_start' }, { key: 'e', render: { regions: ['status'], until: 'restored' }, label: 'export' }, { marker: 'export_end' }],
    },
  };
}

/** The stand-in's render regions for a window of the given size: the section, and the status text beside the patch. */
export function standinRenderProbe(width: number, height: number, bar = 32) {
  return {
    regions: [
      { name: 'view', x: 0, y: bar, width, height: height - bar },
      { name: 'status', x: 40, y: 0, width: width - 40, height: bar },
    ],
    settleMs: 33,
    openTimeoutS: 300,
  };
}

/**
 * A starting fastbench.json for Petrel. Every value marked FILL IN must be replaced: the share, the FAST
 * paths, the project, and the shortcuts of the user's own Petrel layout; the comments in the README say how.
 */
export function petrelTemplate(): FastbenchConfigInput {
  return {
    $schema: './node_modules/fastbench/extension/shared/schemas/fastbench.schema.json',
    version: 1,
    target: {
      executable: 'C:\\Program Files\\Schlumberger\\Petrel 2024\\Petrel.exe',
      arguments: ['/nosplashscreen', '{project}'],
      project: 'D:\\Projects\\FILL_IN\\Demo.pet',
      // Batch runs ({"batch": "<Petrel workflow>"} under campaign.workflows): Petrel runs the workflow and exits.
      batch: { arguments: ['/nosplashscreen', '/runWorkflow', '{workflow}', '/quiet', '/exit', '{project}'], timeoutS: 3600 },
      // Image and title only: WPF's window class (HwndWrapper[Petrel.exe;;<GUID>]) changes on every launch.
      window: { processImage: 'Petrel.exe', titlePattern: '^Petrel 20\\d\\d.* - ' },
      interstitials: [
        { name: 'splash', titlePattern: '^Petrel( 20\\d\\d)?$', action: 'wait' },
        { name: 'licence', titlePattern: 'Licen[cs]e', action: 'key', key: 'Enter' },
      ],
      interstitialTimeoutS: 300,
      attachTimeoutS: 600,
      stableMs: 3000,
      renderProbe: {
        regions: [
          { name: 'view', x: 400, y: 150, width: 800, height: 600 },
          { name: 'status', x: 0, y: 980, width: 1200, height: 24 },
        ],
        settleMs: 100,
        openTimeoutS: 1800,
      },
      close: { keys: ['Alt+F4'], savePrompt: { titlePattern: '^(Petrel|Save project.*)$', key: 'n' }, timeoutS: 120 },
    },
    modes: {
      A_shared: { dataPath: '\\\\nas01\\seismic\\FILL_IN\\volume.zgy' },
      B_fast: {
        dataPath: 'F:\\FAST\\seismic\\FILL_IN\\volume.zgy',
        cacheFolder: 'D:\\FASTCache',
        logPath: 'C:\\ProgramData\\FAST\\logs\\fast.log',
        logFormat: 'regex:^(?<t>\\S+)\\s+(?<kind>\\w+)\\s+(?<bytes>\\d+)\\s+(?<result>\\w+)\\s+(?<latency>[\\d.]+)$',
        serviceName: 'FASTService',
      },
    },
    campaign: {
      modes: ['A_shared', 'B_fast'],
      cachePolicies: ['Cold', 'Warm'],
      workflows: ['W_scrub100', 'W_attribute', 'W_horizon', 'W_export'],
      repeats: 5,
      order: 'interleaved',
      seed: 1,
      warm: 'pass',
      warmupRuns: 1,
    },
    workflows: {
      W_scrub100: {
        description: "FILL IN: the inline slider must have the keyboard focus (click it first); PageDown steps one inline in Petrel's default layout.",
        steps: [
          { click: { fx: 0.5, fy: 0.5 } },
          { marker: 'scrub_start' },
          { repeat: 100, steps: [{ key: 'PageDown', render: { regions: ['view'] }, label: 'inline' }] },
          { marker: 'scrub_end' },
        ],
        stepTimeoutS: 120,
      },
      W_attribute: {
        description: 'FILL IN: the shortcut or menu clicks that run your attribute (e.g. a saved workflow bound to a key).',
        steps: [{ marker: 'attr_start' }, { key: 'F5', modifiers: ['Control'], render: { regions: ['view'] }, label: 'attribute' }, { marker: 'attr_end' }],
        stepTimeoutS: 1800,
      },
      W_horizon: {
        description: 'FILL IN: click a seed on the section, then your autotrack shortcut; the view redraws when tracking ends.',
        steps: [
          { click: { fx: 0.5, fy: 0.5 } },
          { marker: 'horizon_start' },
          { key: 'a', modifiers: ['Shift'], render: { regions: ['view'] }, label: 'horizon' },
          { marker: 'horizon_end' },
        ],
        stepTimeoutS: 1800,
      },
      W_export: {
        description: 'FILL IN: the export shortcut; the status bar shows progress until the export has been written.',
        steps: [
          { marker: 'export_start' },
          { key: 'e', modifiers: ['Control', 'Shift'], render: { regions: ['status'], until: 'restored' }, label: 'export' },
          { marker: 'export_end' },
        ],
        stepTimeoutS: 3600,
      },
    },
    pathRules: [
      { class: 'NAS', prefix: '\\\\nas01\\seismic\\' },
      { class: 'FAST_cache', prefix: 'F:\\FAST\\' },
      { class: 'FAST_cache', prefix: 'D:\\FASTCache\\' },
    ],
    runsFolder: 'runs',
  };
}
