import { z } from 'zod';
import { strictObject } from '../../shared/schemaKit';

// The stand-in's project file (*.fbproj.json), what Petrel's .pet is to Petrel: which volume to open and
// under which label. The harness writes one per mode; people can write their own.

const common = {
  name: z.string().min(1),
  exportFolder: z.string().min(1),
  readLog: z.string().optional(),
  stepLog: z.string().optional(),
  startInline: z.int().nonnegative().default(0),
  horizonInlines: z.int().positive().default(64),
  window: strictObject({ width: z.int().min(200), height: z.int().min(150) }).default({ width: 900, height: 700 }),
};

/**
 * One shape for every mode: the volume is a path, on the NAS mount (A_shared) or on FAST's mount (B_fast).
 * `mode` is only a label for the title and status bar; the viewer reads both the same way.
 */
export const viewerProjectSchema = strictObject({ ...common, mode: z.string().min(1), volume: z.string().min(1) });

export type ViewerProject = z.infer<typeof viewerProjectSchema>;
export const READ_LOG_HEADER = 't_unix_ms\tbrick\tbytes\tsource\tmicros\thit';
