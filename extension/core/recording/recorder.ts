import { renameSync, writeFileSync } from 'node:fs';
import type { DriverClient, DriverEvent } from '../driver/driverClient';
import type { InputEvent, WindowInfo } from '../../shared/driverProtocol';
import { RECORDING_VERSION, type Checkpoint, type Recording, type RecordingEvent, type Region } from '../../shared/recording';
import { systemClock, type Clock } from '../ports/clock';
import type { Logger } from '../ports/logger';
import { TOOL_VERSION } from '../version';

export type ControlKeys = { startPause: string; stop: string; markers: string[] };
export const DEFAULT_CONTROL_KEYS: ControlKeys = { startPause: 'F9', stop: 'F12', markers: ['F6', 'F7', 'F8'] };

export type RecorderState = 'armed' | 'recording' | 'paused' | 'stopped';
export type RecorderStatus = { state: RecorderState; elapsedMs: number; events: number; file: string };

export type RecorderOptions = {
  driver: DriverClient;
  window: WindowInfo;
  out: string;
  target: { processImage?: string; titlePattern?: string };
  controlKeys?: ControlKeys;
  /** Client region hashed at each marker; 'none' records markers without checkpoints. */
  checkpointRegion?: Region | 'none';
  startImmediately?: boolean;
  autosaveMs?: number;
  clock?: Clock;
  log: Logger;
  onStatus?: (s: RecorderStatus) => void;
};

const MODIFIERS: Record<string, 'shift' | 'ctrl' | 'alt' | 'meta'> = { Shift: 'shift', Control: 'ctrl', Alt: 'alt', Meta: 'meta' };

/** The default checkpoint region: the middle of the view, where applications draw what they load. */
export function defaultCheckpointRegion(client: { width: number; height: number }): Region {
  const width = Math.max(1, Math.min(128, client.width));
  const height = Math.max(1, Math.min(128, client.height));
  return { x: Math.floor((client.width - width) / 2), y: Math.floor((client.height - height) / 2), width, height };
}

/**
 * Records a session against one window: F9 starts and pauses, F12 stops and saves, F6/F7/F8 drop markers
 * with a pixel checkpoint. Control keys are never recorded. Times exclude paused spans. The file is
 * written atomically (temp + rename) at least once a second, so a killed recorder loses at most that.
 */
export class Recorder {
  private state: RecorderState = 'armed';
  private readonly events: RecordingEvent[] = [];
  private t0 = 0;
  private pausedAt = 0;
  private pausedTotal = 0;
  private readonly held = new Set<string>();
  private dirty = false;
  private stopAt: number | undefined;
  private wasRecording = false;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly keys: ControlKeys;
  private readonly clock: Clock;
  private readonly pendingCheckpoints: Promise<void>[] = [];
  private resolveStopped!: (r: Recording) => void;
  private rejectStopped!: (e: Error) => void;
  readonly stopped: Promise<Recording>;

  constructor(private readonly o: RecorderOptions) {
    this.keys = o.controlKeys ?? DEFAULT_CONTROL_KEYS;
    this.clock = o.clock ?? systemClock;
    this.stopped = new Promise((res, rej) => {
      this.resolveStopped = res;
      this.rejectStopped = rej;
    });
  }

  async start(): Promise<void> {
    this.unsubscribe = this.o.driver.onEvent((e) => this.onDriverEvent(e));
    await this.o.driver.request('input/captureStart', { handle: this.o.window.handle });
    this.timer = setInterval(() => this.autosave(), this.o.autosaveMs ?? 1000);
    if (this.o.startImmediately) this.begin(this.clock.mono());
    this.status();
  }

  get recording(): Recording {
    return {
      version: RECORDING_VERSION,
      createdAt: new Date().toISOString(),
      tool: `fastbench ${TOOL_VERSION}`,
      target: this.o.target,
      client: { width: this.o.window.clientRect.width, height: this.o.window.clientRect.height, dpiScale: this.o.window.dpiScale },
      events: this.events,
    };
  }

  private status(): void {
    const now = this.clock.mono();
    const elapsedMs = this.state === 'armed' ? 0 : (this.state === 'paused' ? this.pausedAt : now) - this.t0 - this.pausedTotal;
    this.o.onStatus?.({ state: this.state, elapsedMs, events: this.events.length, file: this.o.out });
  }

  private tMs(mono: number): number {
    return Math.max(0, Math.round((mono - this.t0 - this.pausedTotal) * 100) / 100);
  }

  private begin(mono: number): void {
    this.t0 = mono;
    this.state = 'recording';
    this.o.log.info(`recording ${this.o.out}`);
  }

  private onDriverEvent(e: DriverEvent): void {
    if (e.event === 'window/gone' && e.data.handle === this.o.window.handle) {
      this.o.log.warn('the target window closed; saving what was recorded');
      void this.stop();
      return;
    }
    if (e.event === 'restarted') {
      // A new driver has no capture running; resume it so the session continues.
      void this.o.driver.request('input/captureStart', { handle: this.o.window.handle }).catch((err: Error) => this.o.log.error(`capture lost: ${err.message}`));
      return;
    }
    if (e.event === 'input') this.onInput(e.data);
  }

  /** Recording now, or stopped but still draining events that happened before the stop. */
  private accepting(mono: number): boolean {
    if (this.state === 'recording') return true;
    return this.state === 'stopped' && this.wasRecording && this.stopAt !== undefined && mono < this.stopAt;
  }

  private onInput(input: InputEvent): void {
    if ('key' in input && this.isControlKey(input.key)) {
      if (input.kind !== 'key_down') return;
      if (this.state !== 'stopped') this.onControl(input.key, input.t_mono_ms);
      else if (this.keys.markers.includes(input.key)) this.addMarker(input.key, input.key, input.t_mono_ms);
      return;
    }
    if (this.accepting(input.t_mono_ms)) this.append(input);
  }

  private append(input: InputEvent): void {
    const t_ms = this.tMs(input.t_mono_ms);
    let event: RecordingEvent;
    if ('key' in input) {
      const mod = MODIFIERS[input.key];
      if (mod && input.kind === 'key_down') this.held.add(mod);
      if (mod && input.kind === 'key_up') this.held.delete(mod);
      const modifiers = [...this.held].filter((m) => m !== mod) as ('shift' | 'ctrl' | 'alt' | 'meta')[];
      event = { t_ms, type: input.kind, key: input.key, scan: input.scan, ...(modifiers.length ? { modifiers } : {}) };
    } else {
      const where = { x: input.x, y: input.y, ...(input.outside ? { outside: true } : {}) };
      if (input.kind === 'scroll') event = { t_ms, type: 'scroll', dx: input.dx, dy: input.dy, ...where };
      else if (input.kind === 'move') event = { t_ms, type: 'move', ...where };
      else event = { t_ms, type: input.kind, button: input.button, ...where };
    }
    this.events.push(event);
    this.dirty = true;
  }

  private isControlKey(key: string): boolean {
    return key === this.keys.startPause || key === this.keys.stop || this.keys.markers.includes(key);
  }

  private onControl(key: string, mono: number): void {
    if (key === this.keys.startPause) {
      if (this.state === 'armed') this.begin(mono);
      else if (this.state === 'recording') {
        this.events.push({ t_ms: this.tMs(mono), type: 'pause' });
        this.pausedAt = mono;
        this.state = 'paused';
      } else if (this.state === 'paused') {
        this.pausedTotal += mono - this.pausedAt;
        this.state = 'recording';
        this.events.push({ t_ms: this.tMs(mono), type: 'resume' });
      }
      this.dirty = true;
    } else if (key === this.keys.stop) {
      void this.stop(mono);
      return;
    } else if (this.state === 'recording') {
      this.addMarker(key, key, mono);
    }
    this.status();
  }

  /** A marker now (F6/F7/F8 or a command), with a pixel checkpoint of the target's view. */
  addMarker(name: string, key?: string, mono = this.clock.mono()): void {
    if (!this.accepting(mono)) return;
    const marker: RecordingEvent = { t_ms: this.tMs(mono), type: 'marker', name, ...(key ? { key } : {}) };
    this.events.push(marker);
    this.dirty = true;
    const region = this.o.checkpointRegion === 'none' ? undefined : (this.o.checkpointRegion ?? defaultCheckpointRegion(this.o.window.clientRect));
    if (!region) return;
    this.pendingCheckpoints.push(
      this.o.driver.request('pixels/probe', { handle: this.o.window.handle, region }).then(
        (probe) => {
          const checkpoint: Checkpoint = { region, hash: probe.hash, meanRgb: probe.meanRgb };
          Object.assign(marker, { checkpoint });
          this.dirty = true;
        },
        (e: Error) => this.o.log.warn(`checkpoint at ${name} failed: ${e.message}`),
      ),
    );
  }

  private save(): void {
    const tmp = `${this.o.out}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(this.recording, null, 1) + '\n');
    renameSync(tmp, this.o.out);
    this.dirty = false;
  }

  private autosave(): void {
    try {
      if (this.dirty) this.save();
      this.status();
    } catch (e) {
      this.o.log.error(`autosave failed: ${(e as Error).message}`);
    }
  }

  /** Stops capture, waits for outstanding checkpoints, and writes the final file. */
  async stop(atMono = this.clock.mono()): Promise<Recording> {
    if (this.state === 'stopped') return this.stopped;
    this.wasRecording = this.state === 'recording';
    if (this.state === 'paused') this.pausedTotal += atMono - this.pausedAt;
    this.state = 'stopped';
    this.stopAt = atMono;
    clearInterval(this.timer);
    try {
      // The driver answers captureStop after every event it captured before: they drain in order.
      await this.o.driver.request('input/captureStop', {}).catch(() => undefined);
      this.unsubscribe?.();
      await Promise.all(this.pendingCheckpoints);
      this.save();
      this.status();
      this.resolveStopped(this.recording);
    } catch (e) {
      this.rejectStopped(e as Error);
    }
    return this.stopped;
  }
}
