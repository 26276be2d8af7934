import { z } from 'zod';
import { namedEnum } from './schemaKit';

// Recording version 2. Objects are loose on purpose: fields a later version adds survive an edit in an
// older FastBench (the architecture contract), while every field we know is checked.

export const RECORDING_VERSION = 2;

const ms = z.number({ error: 'expected a time in milliseconds from record start' }).nonnegative();
const px = z.number({ error: 'expected a client-area pixel coordinate' }).finite();
const point = { x: px, y: px, outside: z.boolean().optional() };

export const MOUSE_BUTTONS = ['left', 'right', 'middle', 'x1', 'x2'] as const;
const button = namedEnum(MOUSE_BUTTONS, 'a mouse button');

export const regionSchema = z.looseObject({
  x: z.int().nonnegative(),
  y: z.int().nonnegative(),
  width: z.int().positive(),
  height: z.int().positive(),
});

export const checkpointSchema = z.looseObject({
  region: regionSchema,
  hash: z.string().regex(/^[0-9a-f]{8,64}$/, { error: 'expected a lowercase hex pixel hash' }),
  meanRgb: z.tuple([z.number(), z.number(), z.number()]).optional(),
});

const key = {
  key: z.string().min(1, { error: 'expected a key name such as "PageDown" or "a"' }),
  scan: z.int().nonnegative().optional(),
  modifiers: z.array(namedEnum(['shift', 'ctrl', 'alt', 'meta'] as const, 'a modifier')).optional(),
};

export const recordingEventSchema = z.discriminatedUnion(
  'type',
  [
    z.looseObject({ type: z.literal('move'), t_ms: ms, ...point }),
    z.looseObject({ type: z.literal('down'), t_ms: ms, button, ...point }),
    z.looseObject({ type: z.literal('up'), t_ms: ms, button, ...point }),
    z.looseObject({ type: z.literal('scroll'), t_ms: ms, dx: z.number(), dy: z.number(), ...point }),
    z.looseObject({ type: z.literal('key_down'), t_ms: ms, ...key }),
    z.looseObject({ type: z.literal('key_up'), t_ms: ms, ...key }),
    z.looseObject({
      type: z.literal('marker'),
      t_ms: ms,
      name: z.string().min(1),
      key: z.string().optional(),
      checkpoint: checkpointSchema.optional(),
    }),
    z.looseObject({ type: z.literal('pause'), t_ms: ms }),
    z.looseObject({ type: z.literal('resume'), t_ms: ms }),
  ],
  {
    error: (issue) => (issue.code === 'invalid_union' ? 'expected an event with "type" one of move, down, up, scroll, key_down, key_up, marker, pause, resume' : undefined),
  },
);

export const recordingSchema = z
  .looseObject({
    $schema: z.string().optional(),
    version: z.literal(RECORDING_VERSION, { error: `expected version ${RECORDING_VERSION}` }),
    createdAt: z.iso.datetime({ offset: true }).optional(),
    tool: z.string().optional(),
    target: z.looseObject({ processImage: z.string().optional(), titlePattern: z.string().optional() }).describe('Which window the recording was made against.'),
    client: z
      .looseObject({
        width: z.int().positive(),
        height: z.int().positive(),
        dpiScale: z.number().positive().default(1),
      })
      .describe('Client-area size and DPI scale at record time; replay scales coordinates from these.'),
    events: z.array(recordingEventSchema),
  })
  .superRefine((rec, ctx) => {
    // Replay schedules against absolute deadlines; a time going backwards would be sent immediately and
    // silently reorder input, so it is an error here rather than a surprise there.
    let previous = 0;
    rec.events.forEach((event, index) => {
      if (event.t_ms < previous) {
        ctx.addIssue({
          code: 'custom',
          path: ['events', index, 't_ms'],
          message: `expected a number ≥ previous event (${previous}), got ${event.t_ms}`,
        });
      }
      previous = Math.max(previous, event.t_ms);
    });
  });

export type Recording = z.infer<typeof recordingSchema>;
export type RecordingEvent = z.infer<typeof recordingEventSchema>;
export type Checkpoint = z.infer<typeof checkpointSchema>;
export type Region = z.infer<typeof regionSchema>;
