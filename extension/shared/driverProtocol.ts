import { z } from 'zod';
import { MOUSE_BUTTONS, regionSchema } from './recording';

// The driver speaks JSON lines over stdio (or loopback TCP under Wine): `hello` first, then requests with
// ids answered by id, and events pushed at any time. The client validates every line against these schemas.
// Window handles travel as decimal strings because koffi pointers are BigInt and HWNDs can exceed 2^53.

export const DRIVER_PROTOCOL_VERSION = 1;
export const DRIVER_BACKENDS = ['win32', 'x11'] as const;

const handle = z.string().regex(/^[0-9]+$/, { error: 'expected a window handle as a decimal string' });
export const rectSchema = z.strictObject({ x: z.int(), y: z.int(), width: z.int().nonnegative(), height: z.int().nonnegative() });
export type Rect = z.infer<typeof rectSchema>;

export const windowInfoSchema = z.strictObject({
  handle,
  title: z.string(),
  className: z.string(),
  pid: z.int().nullable(),
  processImage: z.string().nullable(),
  visible: z.boolean(),
  rect: rectSchema,
  clientRect: rectSchema.describe('Client area in screen coordinates.'),
  dpiScale: z.number().positive(),
});
export type WindowInfo = z.infer<typeof windowInfoSchema>;

const windowMatch = z.strictObject({
  processImage: z.string().optional(),
  titlePattern: z.string().optional(),
  timeoutMs: z.int().nonnegative().default(180_000),
});

export const inputEventSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('move'), t_mono_ms: z.number(), x: z.number(), y: z.number(), outside: z.boolean() }),
  z.strictObject({
    kind: z.enum(['down', 'up']),
    t_mono_ms: z.number(),
    button: z.enum(MOUSE_BUTTONS),
    x: z.number(),
    y: z.number(),
    outside: z.boolean(),
  }),
  z.strictObject({
    kind: z.literal('scroll'),
    t_mono_ms: z.number(),
    dx: z.number(),
    dy: z.number(),
    x: z.number(),
    y: z.number(),
    outside: z.boolean(),
  }),
  z.strictObject({
    kind: z.enum(['key_down', 'key_up']),
    t_mono_ms: z.number(),
    key: z.string(),
    scan: z.int(),
  }),
]);
export type InputEvent = z.infer<typeof inputEventSchema>;

const injectSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('move'), x: z.number(), y: z.number() }),
  // A button without coordinates (omitted or null) is pressed where the pointer is, e.g. to release after a crash.
  z.strictObject({
    kind: z.enum(['down', 'up']),
    button: z.enum(MOUSE_BUTTONS),
    x: z.number().nullable().optional(),
    y: z.number().nullable().optional(),
  }),
  z.strictObject({ kind: z.literal('scroll'), dx: z.number(), dy: z.number(), x: z.number(), y: z.number() }),
  z.strictObject({ kind: z.enum(['key_down', 'key_up']), key: z.string(), scan: z.int().optional() }),
]);

/** Every request method with its params and result, so both sides share one source of truth. */
export const driverMethods = {
  'windows/list': { params: z.strictObject({}), result: z.array(windowInfoSchema) },
  'window/attach': { params: windowMatch, result: windowInfoSchema },
  'window/info': { params: z.strictObject({ handle }), result: windowInfoSchema },
  'window/foreground': {
    params: z.strictObject({ handle }),
    result: z.strictObject({ ok: z.boolean(), reason: z.string().optional() }),
  },
  'window/active': { params: z.strictObject({}), result: z.strictObject({ handle: handle.nullable() }) },
  'window/move': { params: z.strictObject({ handle, rect: rectSchema }), result: windowInfoSchema },
  'input/captureStart': { params: z.strictObject({ handle }), result: z.strictObject({}) },
  'input/captureStop': { params: z.strictObject({}), result: z.strictObject({ events: z.int() }) },
  'input/inject': {
    params: z.strictObject({
      handle,
      events: z.array(injectSchema),
      coordinates: z.enum(['client', 'screen']),
      // With a guard the driver checks, just before sending, that the target has the focus, has not
      // moved, and is the window actually under every pointer position: input never lands elsewhere.
      guard: z.strictObject({ foreground: z.boolean(), clientRect: rectSchema.optional() }).optional(),
    }),
    result: z.strictObject({ sent: z.int() }),
  },
  'pixels/probe': {
    params: z.strictObject({ handle, region: regionSchema }),
    result: z.strictObject({ hash: z.string(), meanRgb: z.tuple([z.number(), z.number(), z.number()]) }),
  },
  'driver/shutdown': { params: z.strictObject({}), result: z.strictObject({}) },
} as const;

export type DriverMethod = keyof typeof driverMethods;
export type DriverParams<M extends DriverMethod> = z.input<(typeof driverMethods)[M]['params']>;
export type DriverResult<M extends DriverMethod> = z.infer<(typeof driverMethods)[M]['result']>;

const methodNames = Object.keys(driverMethods) as [DriverMethod, ...DriverMethod[]];

export const helloSchema = z.strictObject({
  type: z.literal('hello'),
  protocol: z.int(),
  backend: z.enum(DRIVER_BACKENDS),
  pid: z.int(),
  version: z.string(),
});

export const requestSchema = z.strictObject({
  type: z.literal('request'),
  id: z.int().positive(),
  method: z.enum(methodNames),
  params: z.unknown(),
});

export const responseSchema = z.discriminatedUnion('ok', [
  z.strictObject({ type: z.literal('response'), id: z.int().positive(), ok: z.literal(true), result: z.unknown() }),
  z.strictObject({
    type: z.literal('response'),
    id: z.int().positive(),
    ok: z.literal(false),
    error: z.strictObject({ code: z.string(), message: z.string() }),
  }),
]);

export const driverEventSchema = z.discriminatedUnion('event', [
  z.strictObject({ type: z.literal('event'), event: z.literal('input'), data: inputEventSchema }),
  z.strictObject({ type: z.literal('event'), event: z.literal('window/gone'), data: z.strictObject({ handle }) }),
  z.strictObject({ type: z.literal('event'), event: z.literal('window/moved'), data: windowInfoSchema }),
  z.strictObject({
    type: z.literal('event'),
    event: z.literal('log'),
    data: z.strictObject({ level: z.enum(['debug', 'info', 'warn', 'error']), message: z.string() }),
  }),
]);

/** Anything the driver may write on its output. */
export const driverOutputSchema = z.union([helloSchema, responseSchema, driverEventSchema]);
export type DriverOutput = z.infer<typeof driverOutputSchema>;
export type DriverRequest = z.infer<typeof requestSchema>;
