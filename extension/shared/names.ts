// Names carried over from the seed plan: analysis, run folders and reports key on them, so they never change.

export const MODES = ['A_shared', 'B_fast'] as const;
export type Mode = (typeof MODES)[number];

export const CACHE_POLICIES = ['Cold', 'Warm'] as const;
export type CachePolicy = (typeof CACHE_POLICIES)[number];

export const SCRIPTED_WORKFLOWS = ['W_scrub100', 'W_attribute', 'W_horizon', 'W_export'] as const;
export type ScriptedWorkflow = (typeof SCRIPTED_WORKFLOWS)[number];

/** Marker names the analysis reads; user markers (F6/F7/F8 or named) may use any other name. */
export const MARKER_NAMES = [
  'open_start',
  'first_pixel',
  'scrub_start',
  'scrub_end',
  'attr_start',
  'attr_end',
  'horizon_start',
  'horizon_end',
  'export_start',
  'export_end',
  'replay_start',
  'replay_end',
  'session_end',
] as const;
export type MarkerName = (typeof MARKER_NAMES)[number];

export const RECORDING_FILE_SUFFIX = '.fbrec.json';
export const CONFIG_FILE_NAME = 'fastbench.json';
