import type { Rect, WindowInfo } from '../shared/driverProtocol';
import type { MOUSE_BUTTONS } from '../shared/recording';

export type MouseButton = (typeof MOUSE_BUTTONS)[number];

/** Input as a backend sees it: screen coordinates, monotonic time (ms, comparable across processes). */
export type RawInput =
  | { kind: 'move'; t_mono_ms: number; x: number; y: number }
  | { kind: 'down' | 'up'; t_mono_ms: number; button: MouseButton; x: number; y: number }
  | { kind: 'scroll'; t_mono_ms: number; dx: number; dy: number; x: number; y: number }
  | { kind: 'key_down' | 'key_up'; t_mono_ms: number; key: string; scan: number };

/**
 * Input to send, in screen coordinates. Wheel deltas are in notches (1 = one click of the wheel; positive dy
 * scrolls down, positive dx right). NaN coordinates on a button event mean "where the pointer is".
 */
export type Injection =
  | { kind: 'move'; x: number; y: number }
  | { kind: 'down' | 'up'; button: MouseButton; x: number; y: number }
  | { kind: 'scroll'; dx: number; dy: number; x: number; y: number }
  | { kind: 'key_down' | 'key_up'; key: string; scan?: number };

export class DriverError extends Error {
  constructor(
    readonly code:
      | 'not_found'
      | 'gone'
      | 'refused'
      | 'blocked'
      | 'unsupported'
      | 'bad_request'
      | 'os_error'
      | 'not_foreground'
      | 'obscured'
      | 'moved'
      | 'never_changed'
      | 'not_settled'
      | 'cancelled'
      | 'not_responding',
    message: string,
    /** Facts a caller may want as numbers (sent as the response error's detail). */
    readonly detail?: Record<string, number | string | null>,
  ) {
    super(message);
  }
}

/**
 * Reads a fixed set of client-relative regions of one window again and again, as cheaply as the platform allows
 * (buffers and shared memory are set up once). Made for render detection.
 */
export const READER_SLOTS = 3;

export interface RegionReader {
  /** How it reads ('xshm', 'xgetimage', 'bitblt-dib'; '+damage' when it can tell when drawing happened). */
  readonly method: string;
  /**
   * Reads every region into one of READER_SLOTS sets of buffers (set up once, so a read copies nothing more) and
   * returns that slot's views: raw pixel bytes in the backend's own format, valid until the slot is read again or
   * the reader closes. The caller keeps the baseline in one slot and alternates the other two.
   */
  read(slot: number): Uint8Array[];
  /** True while waitForDrawing works: the platform reports drawing (X DAMAGE). Otherwise the caller samples on a timer. */
  readonly reportsDrawing: boolean;
  /**
   * Resolves true as soon as something was drawn in the regions since the previous call, false after maxWaitMs
   * without drawing there (or at once when woken by drawing elsewhere). With maxWaitMs 0 it answers for everything
   * drawn up to now. Only while reportsDrawing.
   */
  waitForDrawing(maxWaitMs: number): Promise<boolean>;
  /** A read found a change no drawing report announced: stop trusting them (reportsDrawing becomes false). */
  distrustDrawingReports(): void;
  close(): void;
}

/**
 * What each platform provides. Everything platform-neutral (matching windows, client-relative coordinates,
 * watching for moves, bookkeeping of held keys) lives above this interface, so both backends share it.
 */
export interface DriverBackend {
  readonly name: 'win32' | 'x11';
  listWindows(): WindowInfo[];
  /** Fresh facts about one window, or undefined once it is gone. */
  windowInfo(handle: string): WindowInfo | undefined;
  /**
   * Brings the window (or keeps one of its own windows, e.g. its dialog) in front. Never waits on the window's own
   * UI thread: a target that does not answer within a short bound fails with 'not_responding'.
   */
  foreground(handle: string): Promise<{ ok: boolean; reason?: string }>;
  /** The window handle that currently has the foreground/input focus, if any. */
  foregroundHandle(): string | undefined;
  /** The top-level window (as listWindows reports it) under a screen point, if any. */
  windowAt(x: number, y: number): string | undefined;
  /**
   * True when `window` is the target itself or one of the target's own windows: owned by it (a dialog, on X
   * transient for it) or created by its process (menus, pop-ups, tooltips). The guards accept exactly these.
   */
  belongsTo(window: string, target: string): boolean;
  /** Moves and resizes; like foreground, bounded even when the target's UI thread is busy ('not_responding'). */
  move(handle: string, rect: Rect): Promise<void>;
  /**
   * Starts global capture of input meant for the target window; the sink may be called at any time until
   * captureStop. Refuses ('blocked') when the platform would hide that input from us (a higher-integrity target).
   */
  captureStart(handle: string, sink: (input: RawInput) => void): void;
  captureStop(): void;
  inject(events: Injection[]): void;
  /** RGB bytes (row-major, 3 per pixel) of a screen-coordinate region. */
  grab(rect: Rect): Uint8Array;
  /** A reader of client-relative regions of a window; throws bad_request when a region is outside the client area. */
  openRegionReader(handle: string, regions: Rect[]): RegionReader;
  close(): void;
  /**
   * Optional: asks for fine timer resolution while true (replaying, watching renders), gives it back when false.
   * Calls are balanced by the caller.
   */
  fineTimers?(on: boolean): void;
  /** Optional: where the backend reports what the client should know (gaps in capture, fallbacks). */
  setLog?(log: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void): void;
}
