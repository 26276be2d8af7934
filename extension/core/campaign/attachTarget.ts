import type { WindowInfo } from '../../shared/driverProtocol';
import type { DriverClient } from '../driver/driverClient';
import { processTree, type LaunchedTarget } from './targetProcess';
import { keyEvents } from './workflowRunner';

/** A window of the target shown before its main window: a splash, a licence dialog, an "open project" dialog. */
export type Interstitial = { name?: string | undefined; titlePattern: string; action: 'wait' | 'key'; key?: string | undefined };
export type InterstitialSeen = { name: string; title: string; firstMs: number; goneMs?: number; pressed?: string; action: 'wait' | 'key' };

export type AttachSpec = {
  processImage?: string | undefined;
  titlePattern?: string | undefined;
  timeoutMs: number;
  stableMs: number;
  pollMs?: number;
  interstitials?: Interstitial[];
  /** Longest the interstitials may keep the main window from being attached (inside timeoutMs). */
  interstitialTimeoutMs?: number;
  /** Filled as interstitials come and go, for run.json. */
  seen?: InterstitialSeen[];
};

const baseName = (p: string) => p.toLowerCase().replace(/^.*[\\/]/, '');

/** Windows of the launched tree (X11 windows without _NET_WM_PID cannot be proven ours: accepted only by title). */
function ours(w: WindowInfo, pids: Set<number>, byTitle: boolean): boolean {
  return w.visible && (w.pid === null ? byTitle : pids.has(w.pid));
}

/**
 * The window of the launched tree that best looks like a main window: visible, matching the configured process
 * image and title (never the window class: WPF's HwndWrapper[Petrel.exe;;<GUID>] changes on every launch), not an
 * interstitial, the largest.
 */
export function pickMainWindow(windows: WindowInfo[], pids: Set<number>, spec: Pick<AttachSpec, 'processImage' | 'titlePattern' | 'interstitials'>): WindowInfo | undefined {
  const title = spec.titlePattern ? new RegExp(spec.titlePattern) : undefined;
  const image = spec.processImage ? baseName(spec.processImage) : undefined;
  const skip = (spec.interstitials ?? []).map((i) => new RegExp(i.titlePattern));
  const candidates = windows.filter(
    (w) => ours(w, pids, Boolean(title)) && (!title || title.test(w.title)) && (!image || baseName(w.processImage ?? '') === image) && !skip.some((re) => re.test(w.title)),
  );
  return candidates.sort((a, b) => b.clientRect.width * b.clientRect.height - a.clientRect.width * a.clientRect.height)[0];
}

/** The interstitial windows of the launched tree now up, with the rule each matched. */
export function interstitialsUp(windows: WindowInfo[], pids: Set<number>, rules: Interstitial[]): { window: WindowInfo; rule: Interstitial }[] {
  const up: { window: WindowInfo; rule: Interstitial }[] = [];
  for (const w of windows) {
    if (!ours(w, pids, true)) continue;
    const rule = rules.find((r) => new RegExp(r.titlePattern).test(w.title));
    if (rule) up.push({ window: w, rule });
  }
  return up;
}

/** Presses a chord ("Enter", "Alt+N") into a window of the target, after bringing it to the front. */
export async function pressInto(driver: DriverClient, handle: string, chord: string): Promise<void> {
  const parts = chord.split('+');
  const key = parts.pop()!;
  // A refused foreground (Windows' foreground lock) must not send the key to whatever window is in front: the
  // guard makes the driver refuse the injection unless this window of the target has the focus.
  const fg = (await driver.request('window/foreground', { handle })) as { ok?: boolean; reason?: string } | undefined;
  if (fg && fg.ok === false) throw new Error(`could not bring window ${handle} to the front to press ${chord}${fg.reason ? `: ${fg.reason}` : ''}`);
  await driver.request('input/inject', { handle, coordinates: 'client', events: keyEvents(key, parts) as never, guard: { foreground: true } });
}

/**
 * Attaches to the main window of the launched process tree — never a window of another process — once the
 * same window has matched for stableMs while no interstitial window is up (a splash or licence dialog that comes
 * and goes is waited out; one with action "key" is dismissed once). Fails early, with the target's last words,
 * when the target exits before showing a window.
 */
export async function attachToLaunched(driver: DriverClient, target: LaunchedTarget, spec: AttachSpec, signal?: AbortSignal): Promise<WindowInfo> {
  const t0 = Date.now();
  const deadline = t0 + spec.timeoutMs;
  const rules = spec.interstitials ?? [];
  const seen = spec.seen ?? [];
  const open = new Map<string, InterstitialSeen>();
  let candidate: { handle: string; since: number } | undefined;
  for (;;) {
    if (signal?.aborted) throw new Error('interrupted while waiting for the target window');
    const gone = target.exitReason();
    if (gone) throw new Error(`the target exited (${gone}) before it showed a matching window${target.stderrTail() ? `; it said: ${target.stderrTail()}` : ''}`);
    const windows = await driver.request('windows/list', {});
    const pids = new Set(processTree(target.pid));
    const now = Date.now();
    const up = rules.length ? interstitialsUp(windows, pids, rules) : [];
    for (const { window, rule } of up) {
      let s = open.get(window.handle);
      if (!s) {
        s = { name: rule.name ?? rule.titlePattern, title: window.title, firstMs: now - t0, action: rule.action };
        open.set(window.handle, s);
        seen.push(s);
      }
      if (rule.action === 'key' && rule.key && !s.pressed) {
        s.pressed = rule.key;
        await pressInto(driver, window.handle, rule.key);
      }
    }
    for (const [handle, s] of open) {
      if (!up.some((u) => u.window.handle === handle)) {
        s.goneMs ??= now - t0;
        open.delete(handle);
      }
    }
    if (up.length) {
      // The main window may already exist behind a licence dialog; it counts only once the dialog is gone.
      candidate = undefined;
      const limit = spec.interstitialTimeoutMs ?? spec.timeoutMs;
      if (now - t0 > limit) {
        throw new Error(
          `interstitial window(s) still up after ${Math.round(limit / 1000)} s (target.interstitialTimeoutS): ${up.map((u) => `"${u.window.title}" (${u.rule.name ?? u.rule.titlePattern}${u.rule.action === 'key' ? `, pressed ${u.rule.key}` : ''})`).join(', ')}`,
        );
      }
    } else {
      const found = pickMainWindow(windows, pids, { ...spec, interstitials: rules });
      if (found) {
        if (candidate?.handle !== found.handle) candidate = { handle: found.handle, since: now };
        else if (now - candidate.since >= spec.stableMs) return found;
      } else candidate = undefined;
    }
    if (now > deadline) {
      const what = [spec.processImage && `process ${spec.processImage}`, spec.titlePattern && `title /${spec.titlePattern}/`].filter(Boolean).join(' and ');
      throw new Error(
        `no window matching ${what} from the launched process (pid ${target.pid}) stayed up for ${spec.stableMs} ms within ${spec.timeoutMs / 1000} s (target.attachTimeoutS)`,
      );
    }
    await new Promise((r) => setTimeout(r, spec.pollMs ?? 50));
  }
}
