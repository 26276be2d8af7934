import type { Recording, RecordingEvent } from '../../shared/recording';

// "Replay from here": the events from one marker on, re-timed to start at 0. Releases whose press was cut off
// are dropped (a replay that starts mid-drag must not let go of a button it never pressed); nothing is held down
// at the start, which the person chose by starting at a marker.

export function recordingFrom(recording: Recording, index: number): Recording {
  const tail = recording.events.slice(index);
  const start = tail[0]?.t_ms ?? 0;
  const held = new Set<string>();
  const events: RecordingEvent[] = [];
  for (const e of tail) {
    const id = e.type === 'down' || e.type === 'up' ? `button:${e.button}` : e.type === 'key_down' || e.type === 'key_up' ? `key:${e.key}` : undefined;
    if (e.type === 'down' || e.type === 'key_down') held.add(id!);
    if ((e.type === 'up' || e.type === 'key_up') && !held.delete(id!)) continue;
    events.push({ ...e, t_ms: e.t_ms - start });
  }
  return { ...recording, events };
}
