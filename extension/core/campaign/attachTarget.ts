import type { WindowInfo } from '../../shared/driverProtocol';
import type { DriverClient } from '../driver/driverClient';
import { processTree, type LaunchedTarget } from './targetProcess';

export type AttachSpec = { processImage?: string; titlePattern?: string; timeoutMs: number; stableMs: number; pollMs?: number };

/** The window of the launched tree that best looks like a main window: visible, titled, the largest. */
function pick(windows: WindowInfo[], pids: Set<number>, spec: AttachSpec): WindowInfo | undefined {
  const title = spec.titlePattern ? new RegExp(spec.titlePattern) : undefined;
  const image = spec.processImage?.toLowerCase();
  const candidates = windows.filter(
    (w) =>
      w.visible &&
      // X11 windows without _NET_WM_PID cannot be proven ours; they are accepted only by title.
      (w.pid === null ? Boolean(title) : pids.has(w.pid)) &&
      (!title || title.test(w.title)) &&
      (!image || (w.processImage ?? '').toLowerCase().replace(/^.*[\\/]/, '') === image.replace(/^.*[\\/]/, '')),
  );
  return candidates.sort((a, b) => b.clientRect.width * b.clientRect.height - a.clientRect.width * a.clientRect.height)[0];
}

/**
 * Attaches to the main window of the launched process tree — never a window of another process — once the
 * same window has matched for stableMs (a splash screen that comes and goes is skipped). Fails early, with the
 * target's last words, when the target exits before showing a window.
 */
export async function attachToLaunched(driver: DriverClient, target: LaunchedTarget, spec: AttachSpec, signal?: AbortSignal): Promise<WindowInfo> {
  const deadline = Date.now() + spec.timeoutMs;
  let candidate: { handle: string; since: number } | undefined;
  for (;;) {
    if (signal?.aborted) throw new Error('interrupted while waiting for the target window');
    const gone = target.exitReason();
    if (gone) throw new Error(`the target exited (${gone}) before it showed a matching window${target.stderrTail() ? `; it said: ${target.stderrTail()}` : ''}`);
    const found = pick(await driver.request('windows/list', {}), new Set(processTree(target.pid)), spec);
    const now = Date.now();
    if (found) {
      if (candidate?.handle !== found.handle) candidate = { handle: found.handle, since: now };
      else if (now - candidate.since >= spec.stableMs) return found;
    } else candidate = undefined;
    if (now > deadline) {
      const what = [spec.processImage && `process ${spec.processImage}`, spec.titlePattern && `title /${spec.titlePattern}/`].filter(Boolean).join(' and ');
      throw new Error(
        `no window matching ${what} from the launched process (pid ${target.pid}) stayed up for ${spec.stableMs} ms within ${spec.timeoutMs / 1000} s (target.attachTimeoutS)`,
      );
    }
    await new Promise((r) => setTimeout(r, spec.pollMs ?? 50));
  }
}
