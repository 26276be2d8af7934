import { z } from 'zod';
import { isKnownKey, MODIFIER_KEYS } from './keys';
import { namedEnum, strictObject } from './schemaKit';

// Workflows as data (fastbench.json "workflows"): what the harness does to the target, step by step, and
// where it waits for the target's pixels. The same steps drive Petrel (the user fills in their own
// shortcuts and click positions) and the stand-in.

const key = z.string().refine(isKnownKey, { error: 'expected a key name such as "PageDown", "F5", "a" (see extension/shared/keys.ts)' });

/** A point in the client area: pixels, or fractions of the client size (so a resized window still works). */
export const pointSchema = z.union([
  strictObject({ x: z.int().nonnegative(), y: z.int().nonnegative() }),
  strictObject({ fx: z.number().min(0).max(1), fy: z.number().min(0).max(1) }),
]);
export type Point = z.infer<typeof pointSchema>;

/** Where an input step waits for the view to render; true = the target's renderProbe regions. */
const renderWait = z.union([
  z.boolean(),
  strictObject({
    regions: z.array(z.string().min(1)).min(1).optional().describe('Names of renderProbe regions to watch (default: all).'),
    timeoutS: z.number().positive().max(3600).optional().describe('Fail the step after this long (default: the workflow step timeout).'),
    settleMs: z.int().nonnegative().max(10_000).optional(),
    until: namedEnum(['changed', 'restored'] as const, 'a render condition')
      .optional()
      .describe('"changed" (default): the picture changed and settled; "restored": a busy indicator came and went.'),
  }),
]);

const label = z.string().regex(/^[A-Za-z0-9_.:-]+$/, { error: 'expected a label of letters, digits, _ . : -' });

const common = {
  render: renderWait.optional().describe('Wait until the view has changed and settled after this input.'),
  label: label.optional().describe('Marker name written for each timed step (default "step").'),
};

const keyStep = strictObject({
  key: key.describe('Key to press and release.'),
  modifiers: z.array(namedEnum(MODIFIER_KEYS, 'a modifier key')).optional(),
  ...common,
});
const clickStep = strictObject({
  click: pointSchema,
  button: namedEnum(['left', 'right', 'middle'] as const, 'a mouse button').optional(),
  double: z.boolean().optional(),
  ...common,
});
const wheelStep = strictObject({ wheel: strictObject({ dy: z.int(), dx: z.int().optional(), at: pointSchema.optional() }), ...common });
const typeStep = strictObject({ type: z.string().min(1).max(10_000).describe('Text typed one key at a time (printable keys only).'), ...common });
const waitStep = strictObject({ waitMs: z.int().nonnegative().max(3_600_000) });
const markerStep = strictObject({
  marker: label.describe('A marker, e.g. "scrub_start" / "scrub_end"; *_end markers are stamped when the last render settled.'),
  detail: z.string().max(200).optional(),
});

export type WorkflowStep =
  | z.infer<typeof keyStep>
  | z.infer<typeof clickStep>
  | z.infer<typeof wheelStep>
  | z.infer<typeof typeStep>
  | z.infer<typeof waitStep>
  | z.infer<typeof markerStep>
  | { repeat: number; steps: WorkflowStep[] };

export const workflowStepSchema: z.ZodType<WorkflowStep> = z.lazy(() =>
  z.union([keyStep, clickStep, wheelStep, typeStep, waitStep, markerStep, strictObject({ repeat: z.int().min(1).max(100_000), steps: z.array(workflowStepSchema).min(1) })]),
);

export const workflowDefinitionSchema = strictObject({
  description: z.string().optional(),
  steps: z.array(workflowStepSchema).min(1),
  stepTimeoutS: z.number().positive().max(3600).default(120).describe('How long one render wait may take before the run fails.'),
});
export type WorkflowDefinition = z.infer<typeof workflowDefinitionSchema>;

/** The text of an input step for messages: "key PageDown", "click 0.5,0.5". */
export function describeStep(s: WorkflowStep): string {
  if ('key' in s) return `key ${[...(s.modifiers ?? []), s.key].join('+')}`;
  if ('click' in s) return `${s.double ? 'double-click' : 'click'} ${'x' in s.click ? `${s.click.x},${s.click.y}` : `${s.click.fx},${s.click.fy} of the client`}`;
  if ('wheel' in s) return `wheel ${s.wheel.dy}`;
  if ('type' in s) return `type ${JSON.stringify(s.type.slice(0, 20))}`;
  if ('waitMs' in s) return `wait ${s.waitMs} ms`;
  if ('marker' in s) return `marker ${s.marker}`;
  return `repeat ${s.repeat}`;
}
