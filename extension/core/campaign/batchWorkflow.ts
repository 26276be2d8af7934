// A workflow the application runs itself in batch mode (Petrel: /runWorkflow "<name>" /quiet /exit), timed by
// process exit: start = launch, end = exit. Start-up and licence checkout are inside that time, so a campaign
// that wants the work alone also runs an empty workflow the same way and subtracts its median (README, Petrel).
import type { MarkerWriter } from '../runs/markerWriter';
import type { LaunchedTarget } from './targetProcess';

export async function waitBatch(
  t: LaunchedTarget,
  o: { name: string; timeoutMs: number; markers?: MarkerWriter | undefined; names?: [string, string] | undefined; signal: AbortSignal },
): Promise<string> {
  const [start, end] = o.names ?? ['batch_start', 'batch_end'];
  o.markers?.mark(start, `batch workflow ${o.name}`);
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    t.exited.then(() => 'exited' as const),
    new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), o.timeoutMs))),
    new Promise<'aborted'>((r) => (o.signal.aborted ? r('aborted') : o.signal.addEventListener('abort', () => r('aborted'), { once: true }))),
  ]);
  clearTimeout(timer);
  if (outcome === 'aborted') throw new Error('interrupted during the batch workflow');
  if (outcome === 'timeout') throw new Error(`batch workflow ${o.name} still running after ${Math.round(o.timeoutMs / 1000)} s (target.batch.timeoutS)`);
  const how = t.exitReason() ?? 'exited';
  if (how !== 'exit code 0') throw new Error(`batch workflow ${o.name} ended with ${how}${t.stderrTail() ? `; it said: ${t.stderrTail()}` : ''}`);
  o.markers?.mark(end, `${how} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return how;
}
