import { z } from 'zod';
import { markerRowSchema } from './markers';
import { kpiRowSchema, runTimelineSchema } from './kpiViewProtocol';
import { runManifestSchema } from './runManifest';

// Messages between a webview and its host. The host posts nothing until the view says `view/ready`,
// so no message is lost to a view that has not loaded yet.

const runShowSchema = z.strictObject({
  type: z.literal('run/show'),
  folder: z.string(),
  manifest: runManifestSchema.nullable(),
  manifestError: z.string().nullable(),
  markers: z.array(markerRowSchema),
  markersError: z.string().nullable(),
  /** The core's analysis of this one run (KPIs, decimated metrics timeline); null when it cannot be analysed. */
  kpi: kpiRowSchema.nullable(),
  timeline: runTimelineSchema.nullable(),
  analysisError: z.string().nullable(),
  steps: z.array(z.strictObject({ name: z.string(), n: z.number(), p50_ms: z.number(), p95_ms: z.number(), max_ms: z.number() })),
  evidence: z.array(z.string()),
  /** open_files.tsv: each class's distinct files (pathRules classes, given at capture). */
  openFiles: z.array(z.strictObject({ class: z.string(), count: z.number(), files: z.array(z.string()), more: z.number() })),
  openFilesError: z.string().nullable(),
});

export const toViewSchema = z.discriminatedUnion('type', [
  runShowSchema,
  /** Two runs side by side (Compare Runs): each as the panel would show it alone. */
  z.strictObject({ type: z.literal('run/compare'), a: runShowSchema, b: runShowSchema }),
]);

/** What the run panel shows after a render, read back from its DOM and charts (for tests and timing). */
export const runShownSchema = z.strictObject({
  headline: z.array(z.tuple([z.string(), z.string()])),
  charts: z.array(
    z.strictObject({
      id: z.string(),
      datasets: z.array(z.strictObject({ label: z.string(), points: z.number(), hidden: z.boolean() })),
      axes: z.array(z.strictObject({ id: z.string(), title: z.string(), ticks: z.array(z.string()) })),
    }),
  ),
  renderMs: z.number(),
});
export type RunShown = z.infer<typeof runShownSchema>;

export const fromViewSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('view/ready') }),
  z.strictObject({ type: z.literal('run/shown'), folder: z.string(), shown: runShownSchema }),
  z.strictObject({ type: z.literal('view/error'), message: z.string() }),
]);

export type ToView = z.infer<typeof toViewSchema>;
export type FromView = z.infer<typeof fromViewSchema>;
