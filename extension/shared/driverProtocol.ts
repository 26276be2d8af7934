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
  /** Scale of the monitor the window is on (Windows: effective monitor DPI / 96; X: Xft.dpi / 96). */
  dpiScale: z.number().positive(),
  /** Windows: how the window's app handles DPI (per-monitor apps lay their controls out again on another scale). */
  dpiAwareness: z.enum(['unaware', 'system', 'per-monitor', 'per-monitor-v2', 'unknown']).optional(),
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

// Render detection without the target's cooperation: the driver grabs client-relative regions of the window at
// ≥ 200 Hz and stamps every grab with the monotonic clock when it was taken (the midpoint of the read). Stamps are
// process.hrtime milliseconds: CLOCK_MONOTONIC on Linux and QueryPerformanceCounter on Windows, both system-wide,
// so they compare directly with the core's Clock.mono() and with any other process using hrtime (the stand-in's
// ground truth). performance.now() is NOT comparable across processes (each has its own time origin).
const clientRegion = z.strictObject({
  x: z.int().nonnegative(),
  y: z.int().nonnegative(),
  width: z.int().positive(),
  height: z.int().positive(),
});
export type ClientRegion = z.infer<typeof clientRegion>;
/** Two frames at 60 Hz: a view that has stayed the same this long has finished drawing. */
export const DEFAULT_SETTLE_MS = 33;
export const changeWaitParamsSchema = z.strictObject({
  handle,
  regions: z.array(clientRegion).min(1).max(16),
  /** How long the final content must stay unchanged; the step's time is when that content was first seen. */
  settleMs: z.number().nonnegative().max(10_000).default(DEFAULT_SETTLE_MS),
  timeoutMs: z.int().positive().max(3_600_000),
  /**
   * What "before" is: 'now' grabs it when the request arrives (racy if the step's input was already sent); a
   * token from window/grabBaseline is content grabbed before the input was sent. A token is used up by the wait.
   */
  baseline: z.union([z.literal('now'), z.string().regex(/^b[0-9]+$/)]).default('now'),
  /**
   * 'changed' (default): done when the content differs from the baseline and then stays the same for settleMs.
   * 'restored': done when the content changed and then came back to the baseline and stayed (a busy indicator,
   * progress text or dialog that appears and goes away, e.g. an export that leaves the view as it was).
   * 'nonblank': done when every region shows more than one flat colour and stays the same (a first picture on
   * an empty canvas: project open, whatever was on screen when the wait began).
   */
  until: z.enum(['changed', 'restored', 'nonblank']).default('changed'),
});
export const changeWaitResultSchema = z.strictObject({
  /** Grab time of the first grab that differed from the baseline. */
  changedAt_mono_ms: z.number(),
  /** Grab time of the first grab of the final content (which then stayed unchanged for settleMs): "rendered". */
  settledAt_mono_ms: z.number(),
  /** Index (into regions) of the first region seen to differ from the baseline. */
  changedRegion: z.int().nonnegative(),
  /** Grab time of the baseline. */
  baselineAt_mono_ms: z.number(),
  /** Reads of the regions while waiting. */
  grabs: z.int().nonnegative(),
  /** Reads per second over the wait (with watch 'damage' low by design: reads happen when something was drawn). */
  grabHz: z.number().nonnegative(),
  /**
   * How changes were noticed. 'damage': the X server reports drawing in the window and the regions are read at once
   * (plus a safety read every 100 ms), so a change is seen within a fraction of a millisecond. 'poll': the regions
   * are read every ~2 ms (≥ 200 Hz; Win32, or X without DAMAGE, or a client drawing without damage reports).
   */
  watch: z.enum(['damage', 'poll']),
  /** Largest gap between two reads (ms): with watch 'poll' the worst-case resolution of the stamps above. */
  maxGapMs: z.number().nonnegative(),
  /** How pixels were read: 'xshm' or 'xgetimage' ('+damage' with drawing reports), or 'bitblt-dib'. */
  method: z.string(),
});
export type ChangeWaitResult = z.infer<typeof changeWaitResultSchema>;

export const SESSION_STATES = ['active', 'locked', 'disconnected', 'unknown'] as const;
export const sessionFactsSchema = z.strictObject({
  state: z.enum(SESSION_STATES),
  /** How the state was found, or why it could not be (WTS connect state, input desktop name). */
  detail: z.string(),
  remote: z.boolean().nullable(),
  monitors: z.array(z.strictObject({ x: z.int(), y: z.int(), width: z.int(), height: z.int(), dpi: z.int().nullable(), primary: z.boolean() })),
});
export type SessionFacts = z.infer<typeof sessionFactsSchema>;

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
  /** Grabs the regions now and keeps them in the driver as the "before" of a step; send the step's input after. */
  'window/grabBaseline': {
    params: z.strictObject({ handle, regions: z.array(clientRegion).min(1).max(16) }),
    result: z.strictObject({ baseline: z.string(), grabbedAt_mono_ms: z.number(), method: z.string() }),
  },
  /**
   * Waits in the driver until the regions changed from the baseline and settled. Fails with code 'never_changed'
   * or 'not_settled' (detail: timeoutMs, changedAt_mono_ms, lastChangeAt_mono_ms, grabs) when timeoutMs passes.
   */
  'window/waitForChange': { params: changeWaitParamsSchema, result: changeWaitResultSchema },
  /** Ends the window's running waits (they fail with code 'cancelled'), e.g. when the caller was interrupted. */
  'window/cancelWaits': { params: z.strictObject({ handle }), result: z.strictObject({ cancelled: z.int().nonnegative() }) },
  /**
   * The interactive session right now: 'active' (unlocked, connected), 'locked' (the secure desktop has the input),
   * 'disconnected' (a remote session with no client), or 'unknown' (the platform cannot tell); whether it is a remote
   * session, and each monitor with its DPI. Checked before and after every run: input and pixels mean nothing otherwise.
   */
  'system/session': { params: z.strictObject({}), result: sessionFactsSchema },
  /** Keeps the machine and display awake while on (Windows: SetThreadExecutionState on the driver's thread, so it ends
   *  with the driver at the latest). ok false with the reason where the platform has no such thing. */
  'system/keepAwake': { params: z.strictObject({ on: z.boolean() }), result: z.strictObject({ ok: z.boolean(), detail: z.string() }) },
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
    // detail: machine-readable facts about the failure (numbers a caller may report), e.g. a render timeout's.
    error: z.strictObject({ code: z.string(), message: z.string(), detail: z.record(z.string(), z.union([z.number(), z.string(), z.null()])).optional() }),
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
