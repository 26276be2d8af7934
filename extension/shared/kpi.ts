import { z } from 'zod';
import { CACHE_POLICIES, MODES } from './names';

// One row per run in kpis.csv; KPI names are the seed plan's. A null is "not measured in this run".

export const STORAGE_CLASSES = ['NAS', 'FAST_cache', 'local', 'other', 'none'] as const;

const seconds = z.number().nonnegative().nullable();

export const kpiRowSchema = z.strictObject({
  run_id: z.string(),
  mode: z.enum(MODES),
  cache_policy: z.enum(CACHE_POLICIES),
  workflow: z.string(),
  repeat: z.int().nonnegative(),
  status: z.string(),
  open_time_s: seconds,
  scrub_time_s: seconds,
  attr_time_s: seconds,
  horizon_time_s: seconds,
  export_time_s: seconds,
  cpu_mean: z.number().nullable(),
  gpu_mean: z.number().nullable(),
  read_MB_s_p95: z.number().nullable(),
  observed_source: z.enum(STORAGE_CLASSES),
});

export type KpiRow = z.infer<typeof kpiRowSchema>;
export const KPI_COLUMNS = Object.keys(kpiRowSchema.shape) as (keyof KpiRow)[];
