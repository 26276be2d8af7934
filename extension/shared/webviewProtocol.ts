import { z } from 'zod';
import { markerRowSchema } from './markers';
import { runManifestSchema } from './runManifest';

// Messages between a webview and its host. The host posts nothing until the view says `view/ready`,
// so no message is lost to a view that has not loaded yet.

export const toViewSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('run/show'),
    folder: z.string(),
    manifest: runManifestSchema.nullable(),
    manifestError: z.string().nullable(),
    markers: z.array(markerRowSchema),
    markersError: z.string().nullable(),
  }),
]);

export const fromViewSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('view/ready') }),
  z.strictObject({ type: z.literal('view/error'), message: z.string() }),
]);

export type ToView = z.infer<typeof toViewSchema>;
export type FromView = z.infer<typeof fromViewSchema>;
