import { z } from 'zod';
import { strictObject } from '../../shared/schemaKit';

// The stand-in's project file (*.fbproj.json), what Petrel's .pet is to Petrel: which volume to open and
// through what. The harness writes one per mode; people can write their own.

const common = {
  name: z.string().min(1),
  exportFolder: z.string().min(1),
  readLog: z.string().optional(),
  stepLog: z.string().optional(),
  startInline: z.int().nonnegative().default(0),
  horizonInlines: z.int().positive().default(64),
  window: strictObject({ width: z.int().min(200), height: z.int().min(150) }).default({ width: 900, height: 700 }),
};

export const viewerProjectSchema = z.union([
  /** A_shared: the volume on the "NAS" share, read directly. */
  strictObject({ ...common, mode: z.literal('A_shared'), volume: z.string().min(1) }),
  /** B_fast: the fastcache daemon's endpoint (socket path, named pipe or tcp:HOST:PORT). */
  strictObject({ ...common, mode: z.literal('B_fast'), fastcache: z.string().min(1) }),
]);

export type ViewerProject = z.infer<typeof viewerProjectSchema>;
export const READ_LOG_HEADER = 't_unix_ms\tbrick\tbytes\tsource\tmicros\thit';
