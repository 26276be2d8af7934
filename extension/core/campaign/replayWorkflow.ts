import type { WindowInfo } from '../../shared/driverProtocol';
import type { DriverClient } from '../driver/driverClient';
import type { Logger } from '../ports/logger';
import { loadRecording } from '../recording/recordingFile';
import { Replayer } from '../replay/replayer';
import type { MarkerWriter } from '../runs/markerWriter';

/**
 * A recording as a workflow: replayed at its own pace with the focus guard and failsafes; its checkpoints
 * (pixel hashes taken at F6/F7/F8 while recording) are its render waits, and a missed one fails the run.
 */
export async function replayWorkflow(o: { driver: DriverClient; window: WindowInfo; file: string; markers?: MarkerWriter; signal?: AbortSignal; log: Logger }): Promise<void> {
  const recording = await loadRecording(o.file);
  const result = await new Replayer({
    driver: o.driver,
    recording,
    window: o.window,
    log: o.log,
    checkpointPolicy: 'fail',
    ...(o.markers ? { markers: o.markers } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  }).run();
  if (result.aborted) throw new Error(`the replay of ${o.file} stopped: ${result.aborted}`);
}
