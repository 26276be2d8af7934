// The ESM build: the package's "main" is a UMD wrapper whose require() calls no bundler can follow.
import { parseTree, type Node } from 'jsonc-parser/lib/esm/main.js';

// A recording as an editor sees it: where each event sits in the text, its time, the markers and the time from
// each to the next, and the mistakes a quick fix can repair. Tolerant on purpose (jsonc-parser's error-recovering
// tree): a half-typed file still gets its outline, lenses and hovers; validation says what is wrong.

export type Span = { offset: number; length: number };

export type OutlineEvent = Span & {
  index: number;
  type?: string;
  t_ms?: number;
  /** Where the t_ms value is, for an edit that renumbers it. */
  time?: Span;
  name?: string;
  key?: string;
  button?: string;
  x?: number;
  y?: number;
  dx?: number;
  dy?: number;
  checkpoint: boolean;
};

export type OutlineMarker = {
  index: number;
  name: string;
  t_ms: number;
  /** Time from this marker to the next one, or to the last event for the last marker. */
  untilNextMs: number;
  /** The last event before the next marker (inclusive), for "from here" ranges and outline children. */
  lastIndex: number;
  checkpoint: boolean;
};

export type RecordingOutline = {
  client?: { width: number; height: number; dpiScale: number };
  events: OutlineEvent[];
  markers: OutlineMarker[];
  durationMs: number;
  /** Events whose t_ms is below an earlier event's: replay would send them at once, out of order. */
  outOfOrder: number[];
  /** A press of the recorder's stop key in the events, and how many events follow it. */
  stop?: { index: number; key: string; after: number };
};

const num = (n: Node | undefined) => (n?.type === 'number' && typeof n.value === 'number' ? n.value : undefined);
const str = (n: Node | undefined) => (n?.type === 'string' && typeof n.value === 'string' ? n.value : undefined);

function property(obj: Node | undefined, key: string): Node | undefined {
  if (obj?.type !== 'object') return undefined;
  for (const p of obj.children ?? []) if (p.children?.[0]?.value === key) return p.children[1];
  return undefined;
}

function toEvent(node: Node, index: number): OutlineEvent {
  const t = property(node, 't_ms');
  const e: OutlineEvent = { index, offset: node.offset, length: node.length, checkpoint: property(node, 'checkpoint')?.type === 'object' };
  const set = <K extends keyof OutlineEvent>(k: K, v: OutlineEvent[K] | undefined) => {
    if (v !== undefined) e[k] = v;
  };
  set('type', str(property(node, 'type')));
  set('t_ms', num(t));
  if (t) e.time = { offset: t.offset, length: t.length };
  set('name', str(property(node, 'name')));
  set('key', str(property(node, 'key')));
  set('button', str(property(node, 'button')));
  for (const k of ['x', 'y', 'dx', 'dy'] as const) set(k, num(property(node, k)));
  return e;
}

/** The recorder's stop key (DEFAULT_CONTROL_KEYS.stop; not imported: recorder.ts pulls in zod, this stays light). */
export const STOP_KEY = 'F12';

export function outlineRecording(text: string, stopKey = STOP_KEY): RecordingOutline {
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: true });
  const clientNode = property(root, 'client');
  const width = num(property(clientNode, 'width'));
  const height = num(property(clientNode, 'height'));
  const client = width !== undefined && height !== undefined ? { width, height, dpiScale: num(property(clientNode, 'dpiScale')) ?? 1 } : undefined;
  const eventsNode = property(root, 'events');
  const events = eventsNode?.type === 'array' ? (eventsNode.children ?? []).filter((n) => n.type === 'object').map(toEvent) : [];

  const outOfOrder: number[] = [];
  let latest = 0;
  for (const e of events) {
    if (e.t_ms === undefined) continue;
    if (e.t_ms < latest) outOfOrder.push(e.index);
    latest = Math.max(latest, e.t_ms);
  }
  const durationMs = latest;

  const markerEvents = events.filter((e) => e.type === 'marker');
  const markers = markerEvents.map((e, k): OutlineMarker => {
    const next = markerEvents[k + 1];
    const t = e.t_ms ?? 0;
    const until = next?.t_ms ?? durationMs;
    return {
      index: e.index,
      name: e.name ?? '(unnamed)',
      t_ms: t,
      untilNextMs: Math.max(0, until - t),
      lastIndex: next ? next.index - 1 : events.length - 1,
      checkpoint: e.checkpoint,
    };
  });

  const stopAt = events.find((e) => (e.type === 'key_down' || e.type === 'key_up') && e.key === stopKey);
  const stop = stopAt ? { index: stopAt.index, key: stopKey, after: events.length - 1 - stopAt.index } : undefined;
  return { ...(client ? { client } : {}), events, markers, durationMs, outOfOrder, ...(stop ? { stop } : {}) };
}

/** The event whose text holds this offset (or the nearest one before it), by binary search. */
export function eventAtOffset(outline: RecordingOutline, offset: number): OutlineEvent | undefined {
  const { events } = outline;
  let lo = 0;
  let hi = events.length - 1;
  let found: OutlineEvent | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const e = events[mid]!;
    if (e.offset <= offset) {
      found = e;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found && offset <= found.offset + found.length ? found : undefined;
}

/** The marker whose stretch (marker … event before the next marker) holds this event. */
export function markerOf(outline: RecordingOutline, index: number): OutlineMarker | undefined {
  return outline.markers.find((m) => m.index <= index && index <= m.lastIndex);
}

export function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms < 600_000 ? `${Math.round(ms / 1000)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** One line a person reads: "down left at 400, 300", "key_down PageDown", "marker F7 (checkpoint)". */
export function describeEvent(e: OutlineEvent): string {
  const at = e.x !== undefined && e.y !== undefined ? ` at ${e.x}, ${e.y}` : '';
  switch (e.type) {
    case 'move':
      return `move${at}`;
    case 'down':
    case 'up':
      return `${e.type} ${e.button ?? '?'}${at}`;
    case 'scroll':
      return `scroll dx ${e.dx ?? 0}, dy ${e.dy ?? 0}${at}`;
    case 'key_down':
    case 'key_up':
      return `${e.type} ${e.key ?? '?'}`;
    case 'marker':
      return `marker ${e.name ?? '(unnamed)'}${e.checkpoint ? ' (checkpoint)' : ''}`;
    default:
      return e.type ?? '(no type)';
  }
}

/** Where a pointer event lands in the recorded client area, as pixels and fractions (what replay scales). */
export function clientPosition(e: OutlineEvent, client: RecordingOutline['client']): string | undefined {
  if (e.x === undefined || e.y === undefined) return undefined;
  if (!client) return `x ${e.x}, y ${e.y} (client size unknown)`;
  const pct = (v: number, of: number) => `${((v / of) * 100).toFixed(1)} %`;
  const inside = e.x >= 0 && e.y >= 0 && e.x < client.width && e.y < client.height;
  return `x ${e.x}, y ${e.y} of the ${client.width}×${client.height} client (${pct(e.x, client.width)}, ${pct(e.y, client.height)})${inside ? '' : ', outside it'}`;
}
