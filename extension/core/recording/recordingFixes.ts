import type { RecordingOutline } from './recordingOutline';

// Repairs for the common mistakes in a hand-edited recording, as text edits (offset, length, new text) so an
// editor applies them as one undoable change and the rest of the file, formatting included, stays as written.

export type TextEdit = { offset: number; length: number; text: string };

/** Orders the events by t_ms (stable: equal times keep their order), moving each event's text as written. */
export function sortEventsByTime(text: string, outline: RecordingOutline): TextEdit | undefined {
  const { events } = outline;
  if (events.length < 2 || outline.outOfOrder.length === 0) return undefined;
  // What sits between neighbouring events (", " or ",\n    ") stays where it was, so the layout survives.
  const gaps = events.slice(1).map((e, i) => text.slice(events[i]!.offset + events[i]!.length, e.offset));
  let latest = 0;
  const timed = events.map((e) => {
    latest = e.t_ms ?? latest; // an event without a time stays after the one before it
    return { e, t: latest };
  });
  const sorted = timed
    .map((x, i) => ({ ...x, i }))
    .sort((a, b) => a.t - b.t || a.i - b.i)
    .map((x) => x.e);
  const first = events[0]!;
  const last = events.at(-1)!;
  const body = sorted.map((e, i) => text.slice(e.offset, e.offset + e.length) + (gaps[i] ?? '')).join('');
  return { offset: first.offset, length: last.offset + last.length - first.offset, text: body };
}

/** Sets an out-of-order event's t_ms to the latest time before it, so it is sent right after its predecessor. */
export function renumberEvent(outline: RecordingOutline, index: number): TextEdit | undefined {
  const event = outline.events[index];
  if (!event?.time || !outline.outOfOrder.includes(index)) return undefined;
  const before = Math.max(0, ...outline.events.slice(0, index).map((e) => e.t_ms ?? 0));
  return { offset: event.time.offset, length: event.time.length, text: String(before) };
}

/** Removes the stop-key press and every event after it (the separator before it too, so the JSON stays valid). */
export function removeAfterStop(outline: RecordingOutline): TextEdit | undefined {
  const { stop, events } = outline;
  if (!stop) return undefined;
  const last = events.at(-1)!;
  const end = last.offset + last.length;
  const previous = events[stop.index - 1];
  const start = previous ? previous.offset + previous.length : events[stop.index]!.offset;
  return { offset: start, length: end - start, text: '' };
}

export function applyEdit(text: string, edit: TextEdit): string {
  return text.slice(0, edit.offset) + edit.text + text.slice(edit.offset + edit.length);
}
