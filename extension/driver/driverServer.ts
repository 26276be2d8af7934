import type { z } from 'zod';
import { DRIVER_PROTOCOL_VERSION, driverMethods, requestSchema, type DriverMethod, type InputEvent, type Rect, type WindowInfo } from '../shared/driverProtocol';
import { DriverError, type DriverBackend, type Injection, type MouseButton, type RawInput } from './backend';
import { ChangeWatcher } from './changeWatch';
import { otherSystemFacts, type SystemFacts } from './systemFacts';
import { summarisePixels } from './pixelHash';
import { chooseMainWindow, compileMatch, describeMatch } from './windowMatch';

type Send = (message: object) => void;
type Params<M extends DriverMethod> = z.infer<(typeof driverMethods)[M]['params']>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** After the last injection, fine timers stay on this long: a replay sends its events seconds apart at most. */
const FINE_TIMER_HOLD_MS = 3000;
const sameRect = (a: Rect, b: Rect) => a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height;

/**
 * The platform-neutral half of the driver: validates requests, converts between client and screen
 * coordinates, watches the target window, remembers what it pressed so it can always release it.
 */
export class DriverServer {
  private readonly watched = new Map<string, WindowInfo>();
  private watchTimer: NodeJS.Timeout | undefined;
  private capture: { handle: string; client: Rect; events: number } | undefined;
  private readonly heldKeys = new Set<string>();
  private readonly heldButtons = new Set<MouseButton>();
  private closed = false;
  private readonly changes: ChangeWatcher;
  /** Who needs fine timers now: running render waits, a capture (recording or replaying), recent injection. */
  private readonly fine = { waits: 0, injectUntil: 0, on: false, recheck: undefined as NodeJS.Timeout | undefined };

  constructor(
    private readonly backend: DriverBackend,
    private readonly send: Send,
    private readonly version: string,
  ) {
    this.changes = new ChangeWatcher(
      (handle, regions) => {
        this.info(handle);
        return backend.openRegionReader(handle, regions);
      },
      (handle) => String(backend.windowInfo(handle)?.pid ?? ''),
    );
  }

  /** Backends report things only they can see (e.g. hooks silently removed) through the protocol's log events. */
  attachBackendLog(): void {
    this.backend.setLog?.((level, message) => this.log(level, message));
  }

  hello(): void {
    this.send({ type: 'hello', protocol: DRIVER_PROTOCOL_VERSION, backend: this.backend.name, pid: process.pid, version: this.version });
  }

  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
    this.send({ type: 'event', event: 'log', data: { level, message } });
  }

  /** Handles one input line; every outcome is a response, never an exception out of here. */
  async handleLine(line: string): Promise<'continue' | 'shutdown'> {
    let id = 0;
    try {
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        throw new DriverError('bad_request', `not JSON: ${line.slice(0, 80)}`);
      }
      id = typeof (raw as { id?: unknown })?.id === 'number' ? (raw as { id: number }).id : 0;
      const request = requestSchema.safeParse(raw);
      if (!request.success) throw new DriverError('bad_request', `bad request: ${request.error.issues[0]?.message}`);
      const { method } = request.data;
      const params = driverMethods[method].params.safeParse(request.data.params ?? {});
      if (!params.success) {
        const issue = params.error.issues[0];
        throw new DriverError('bad_request', `${method}: params.${issue?.path.join('.')}: ${issue?.message}`);
      }
      const result = await this.dispatch(method, params.data);
      this.send({ type: 'response', id, ok: true, result });
      return method === 'driver/shutdown' ? 'shutdown' : 'continue';
    } catch (e) {
      const code = e instanceof DriverError ? e.code : 'os_error';
      // An unreadable request has no id to answer; say so as a log event rather than misaddress a response.
      const detail = e instanceof DriverError && e.detail ? { detail: e.detail } : {};
      if (id > 0) this.send({ type: 'response', id, ok: false, error: { code, message: (e as Error).message, ...detail } });
      else this.log('error', (e as Error).message);
      return 'continue';
    }
  }

  private async dispatch(method: DriverMethod, params: unknown): Promise<unknown> {
    const b = this.backend;
    switch (method) {
      case 'windows/list':
        return b.listWindows();
      case 'window/attach':
        return this.attach(params as Params<'window/attach'>);
      case 'window/info':
        return this.info((params as Params<'window/info'>).handle);
      case 'window/foreground': {
        const { handle } = params as Params<'window/foreground'>;
        this.info(handle);
        return b.foreground(handle);
      }
      case 'window/active':
        return { handle: b.foregroundHandle() ?? null };
      case 'window/move': {
        const { handle, rect } = params as Params<'window/move'>;
        this.info(handle);
        await b.move(handle, rect);
        return this.info(handle);
      }
      case 'input/captureStart':
        return this.captureStart((params as Params<'input/captureStart'>).handle);
      case 'input/captureStop':
        return { events: this.captureStop() };
      case 'input/inject':
        return this.inject(params as Params<'input/inject'>);
      case 'pixels/probe': {
        const { handle, region } = params as Params<'pixels/probe'>;
        const client = this.info(handle).clientRect;
        if (region.x + region.width > client.width || region.y + region.height > client.height) {
          throw new DriverError('bad_request', `probe region ${region.width}x${region.height}+${region.x}+${region.y} is outside the ${client.width}x${client.height} client area`);
        }
        return summarisePixels(b.grab({ x: client.x + region.x, y: client.y + region.y, width: region.width, height: region.height }));
      }
      case 'window/grabBaseline': {
        const { handle, regions } = params as Params<'window/grabBaseline'>;
        return this.changes.grabBaseline(handle, regions);
      }
      case 'window/waitForChange': {
        // Runs on timers: injection and other requests are served while it waits. The timers' resolution sets
        // how finely a render is stamped (Windows' default tick is 15.6 ms), so it is raised for the wait.
        this.fine.waits++;
        this.updateFineTimers();
        try {
          return await this.changes.waitForChange(params as Params<'window/waitForChange'>);
        } finally {
          this.fine.waits--;
          this.updateFineTimers();
        }
      }
      case 'window/cancelWaits':
        return { cancelled: this.changes.cancel((params as Params<'window/cancelWaits'>).handle, 'cancelled by the client') };
      case 'system/session':
        return this.system().session();
      case 'system/keepAwake':
        return this.system().keepAwake((params as Params<'system/keepAwake'>).on);
      case 'driver/shutdown':
        return {};
    }
  }

  private systemFacts: SystemFacts | undefined;
  /** Session and power facts: native on Windows (loaded on first use), plain answers elsewhere. */
  private system(): SystemFacts {
    this.systemFacts ??= this.backend.name === 'win32' ? new (require('./win32/sessionState') as typeof import('./win32/sessionState')).Win32SystemFacts() : otherSystemFacts;
    return this.systemFacts;
  }

  private info(handle: string): WindowInfo {
    const info = this.backend.windowInfo(handle);
    if (!info) throw new DriverError('gone', `window ${handle} no longer exists`);
    return info;
  }

  private async attach(params: Params<'window/attach'>): Promise<WindowInfo> {
    let matches: (w: WindowInfo) => boolean;
    try {
      matches = compileMatch(params);
    } catch (e) {
      throw new DriverError('bad_request', (e as Error).message);
    }
    const deadline = performance.now() + params.timeoutMs;
    for (;;) {
      if (this.closed) throw new DriverError('gone', 'driver is shutting down');
      const found = chooseMainWindow(this.backend.listWindows().filter(matches));
      if (found) {
        this.watch(found);
        return found;
      }
      if (performance.now() >= deadline) {
        const visible = this.backend
          .listWindows()
          .filter((w) => w.visible && w.title)
          .slice(0, 8)
          .map((w) => `"${w.title}" (${w.processImage ?? '?'})`);
        throw new DriverError(
          'not_found',
          `no visible window matching ${describeMatch(params)} within ${params.timeoutMs / 1000} s; visible windows: ${visible.join(', ') || 'none'}`,
        );
      }
      await sleep(Math.min(250, Math.max(0, deadline - performance.now())));
    }
  }

  /** Polls watched windows so the client hears about moves and closes without asking. */
  private watch(info: WindowInfo): void {
    this.watched.set(info.handle, info);
    this.watchTimer ??= setInterval(() => this.pollWatched(), 200);
  }

  private pollWatched(): void {
    for (const [handle, last] of this.watched) {
      const now = this.backend.windowInfo(handle);
      if (!now) {
        this.watched.delete(handle);
        this.send({ type: 'event', event: 'window/gone', data: { handle } });
        continue;
      }
      if (!sameRect(now.rect, last.rect) || !sameRect(now.clientRect, last.clientRect)) {
        this.watched.set(handle, now);
        if (this.capture?.handle === handle) this.capture.client = now.clientRect;
        this.send({ type: 'event', event: 'window/moved', data: now });
      }
    }
    if (this.watched.size === 0 && this.watchTimer) {
      clearInterval(this.watchTimer);
      this.watchTimer = undefined;
    }
  }

  private captureStart(handle: string): object {
    if (this.capture) throw new DriverError('refused', 'capture is already running; stop it first');
    const info = this.info(handle);
    this.watch(info);
    // Set only once the backend has started, so a failed start does not leave capture "running".
    const capture = { handle, client: info.clientRect, events: 0 };
    this.backend.captureStart(handle, (input) => this.onInput(input));
    this.capture = capture;
    this.updateFineTimers();
    return {};
  }

  private onInput(input: RawInput): void {
    const capture = this.capture;
    if (!capture) return;
    capture.events++;
    let event: InputEvent;
    if ('key' in input) {
      event = input;
    } else {
      const { client } = capture;
      const x = input.x - client.x;
      const y = input.y - client.y;
      const outside = x < 0 || y < 0 || x >= client.width || y >= client.height;
      event = { ...input, x, y, outside };
    }
    this.send({ type: 'event', event: 'input', data: event });
  }

  private captureStop(): number {
    const events = this.capture?.events ?? 0;
    if (this.capture) this.backend.captureStop();
    this.capture = undefined;
    this.updateFineTimers();
    return events;
  }

  /**
   * Fine timers while they serve a measurement (render waits, replays and recordings), the platform default
   * otherwise: a raised resolution costs the whole machine timer interrupts. Released on close, too.
   */
  private updateFineTimers(): void {
    const f = this.fine;
    const now = performance.now();
    const want = !this.closed && (f.waits > 0 || this.capture !== undefined || now < f.injectUntil);
    if (want !== f.on && this.backend.fineTimers) {
      try {
        this.backend.fineTimers(want);
        f.on = want;
        this.log('debug', want ? 'fine timer resolution on' : 'fine timer resolution off');
      } catch (e) {
        this.log('warn', `timer resolution could not be ${want ? 'raised' : 'restored'}: ${(e as Error).message}`);
      }
    }
    clearTimeout(f.recheck);
    f.recheck = f.on && now < f.injectUntil ? setTimeout(() => this.updateFineTimers(), f.injectUntil - now + 1).unref() : undefined;
  }

  private inject(params: Params<'input/inject'>): { sent: number } {
    const origin = params.coordinates === 'client' ? this.info(params.handle).clientRect : { x: 0, y: 0 };
    const events: Injection[] = params.events.map((e) => {
      if ('key' in e) return e;
      if (e.x === undefined || e.y === undefined || e.x === null || e.y === null) return { ...e, x: NaN, y: NaN } as Injection;
      return { ...e, x: Math.round(e.x + origin.x), y: Math.round(e.y + origin.y) };
    });
    if (params.guard) this.checkGuard(params.handle, params.guard, events);
    this.backend.inject(events);
    if (events.length) {
      this.fine.injectUntil = performance.now() + FINE_TIMER_HOLD_MS;
      this.updateFineTimers();
    }
    for (const e of events) {
      if (e.kind === 'key_down') this.heldKeys.add(e.key);
      if (e.kind === 'key_up') this.heldKeys.delete(e.key);
      if (e.kind === 'down') this.heldButtons.add(e.button);
      if (e.kind === 'up') this.heldButtons.delete(e.button);
    }
    return { sent: events.length };
  }

  private checkGuard(handle: string, guard: { foreground: boolean; clientRect?: Rect | undefined }, events: Injection[]): void {
    const info = this.info(handle);
    if (guard.clientRect && !sameRect(info.clientRect, guard.clientRect)) {
      const r = info.clientRect;
      throw new DriverError('moved', `window ${handle} moved or was resized (client now ${r.width}x${r.height}+${r.x}+${r.y})`);
    }
    // The target's own dialogs, menus and pop-ups are the target too: while one is up it has the foreground and
    // covers the main window, and a replay must be able to click it. Anything else is refused.
    const ours = (w: string | undefined) => w !== undefined && (w === handle || this.backend.belongsTo(w, handle));
    if (guard.foreground) {
      const active = this.backend.foregroundHandle();
      if (!ours(active)) {
        throw new DriverError('not_foreground', `window ${handle} is not in the foreground (${active ? `window ${active}, not one of the target's, is` : 'no window is'})`);
      }
    }
    for (const e of events) {
      if (!('x' in e) || !Number.isFinite(e.x)) continue;
      const at = this.backend.windowAt(e.x, e.y);
      if (!ours(at)) {
        throw new DriverError('obscured', `screen point ${e.x},${e.y} is on ${at ? `window ${at}` : 'no window'}, not on window ${handle} or one of its own windows`);
      }
    }
  }

  /** Releases everything this driver pressed, stops capture and closes the backend. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.watchTimer);
    this.updateFineTimers();
    this.changes.close();
    try {
      const releases: Injection[] = [
        ...[...this.heldKeys].map((key) => ({ kind: 'key_up' as const, key })),
        ...[...this.heldButtons].map((button) => ({ kind: 'up' as const, button, x: NaN, y: NaN })),
      ];
      if (releases.length) this.backend.inject(releases);
    } catch {
      // best effort: the backend is closing anyway
    }
    this.heldKeys.clear();
    this.heldButtons.clear();
    if (this.capture) this.backend.captureStop();
    this.capture = undefined;
    this.backend.close();
  }
}
