import type { ClientRegion, WindowInfo } from '../../shared/driverProtocol';
import { describeStep, type Point, type WorkflowDefinition, type WorkflowStep } from '../../shared/workflow';
import type { DriverClient } from '../driver/driverClient';
import { systemClock, type Clock } from '../ports/clock';
import type { MarkerWriter } from '../runs/markerWriter';
import { renderStep } from '../workflows/renderWait';

export type NamedRegion = ClientRegion & { name?: string };

export type WorkflowContext = {
  driver: DriverClient;
  window: WindowInfo;
  /** renderProbe regions, client-relative. */
  regions: NamedRegion[];
  settleMs?: number;
  markers?: MarkerWriter;
  clock?: Clock;
  signal?: AbortSignal;
};

export type StepTime = { label: string; n: number; ms: number; at: number };
export type WorkflowOutcome = { steps: StepTime[]; durationMs: number };

type Injection = { kind: string } & Record<string, unknown>;

function at(p: Point, w: WindowInfo): { x: number; y: number } {
  if ('x' in p) return { x: p.x, y: p.y };
  return { x: Math.round(p.fx * (w.clientRect.width - 1)), y: Math.round(p.fy * (w.clientRect.height - 1)) };
}

/** A key press with its modifiers held around it, released in reverse order. */
export function keyEvents(key: string, modifiers: readonly string[] = []): Injection[] {
  return [
    ...modifiers.map((m) => ({ kind: 'key_down', key: m })),
    { kind: 'key_down', key },
    { kind: 'key_up', key },
    ...[...modifiers].reverse().map((m) => ({ kind: 'key_up', key: m })),
  ];
}

/** Printable text as key presses; capitals and shifted US characters go with Shift. */
function textEvents(text: string): Injection[] {
  const shifted: Record<string, string> = {
    '!': '1',
    '@': '2',
    '#': '3',
    $: '4',
    '%': '5',
    '^': '6',
    '&': '7',
    '*': '8',
    '(': '9',
    ')': '0',
    _: '-',
    '+': '=',
    '{': '[',
    '}': ']',
    '|': '\\',
    ':': ';',
    '"': "'",
    '<': ',',
    '>': '.',
    '?': '/',
    '~': '`',
  };
  return [...text].flatMap((ch) => {
    if (ch === ' ') return keyEvents('Space');
    if (ch === '\n') return keyEvents('Enter');
    if (ch === '\t') return keyEvents('Tab');
    if (/[A-Z]/.test(ch)) return keyEvents(ch.toLowerCase(), ['Shift']);
    if (shifted[ch]) return keyEvents(shifted[ch]!, ['Shift']);
    return keyEvents(ch);
  });
}

function inputOf(s: WorkflowStep, w: WindowInfo): Injection[] | undefined {
  if ('key' in s) return keyEvents(s.key, s.modifiers);
  if ('type' in s) return textEvents(s.type);
  if ('click' in s) {
    const p = at(s.click, w);
    const button = s.button ?? 'left';
    const one = [
      { kind: 'down', button, ...p },
      { kind: 'up', button, ...p },
    ];
    return [{ kind: 'move', ...p }, ...one, ...(s.double ? one : [])];
  }
  if ('wheel' in s) {
    const p = s.wheel.at ? at(s.wheel.at, w) : { x: Math.round(w.clientRect.width / 2), y: Math.round(w.clientRect.height / 2) };
    return [{ kind: 'scroll', dx: s.wheel.dx ?? 0, dy: s.wheel.dy, ...p }];
  }
  return undefined;
}

/**
 * Runs a workflow's steps against the attached window. An input step with `render` is timed from just before
 * its input was sent to the driver's grab time of the final picture; each timed step writes a marker (its label,
 * "#n ms"), and a marker step named *_end is stamped at the last render's time, so the markers bracket exactly
 * the work that was measured. A step that never renders fails the workflow, naming the step.
 */
export async function runWorkflow(def: WorkflowDefinition, ctx: WorkflowContext): Promise<WorkflowOutcome> {
  const clock = ctx.clock ?? systemClock;
  const steps: StepTime[] = [];
  const counts = new Map<string, number>();
  let lastRenderAt: number | undefined;
  const t0 = clock.mono();

  const sleep = (ms: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      ctx.signal?.addEventListener('abort', () => (clearTimeout(timer), reject(new Error('interrupted'))), { once: true });
    });

  const send = (events: Injection[]) =>
    ctx.driver.request('input/inject', { handle: ctx.window.handle, coordinates: 'client', events: events as never, guard: { foreground: true } });

  const regionsFor = (names: string[] | undefined): ClientRegion[] => {
    const chosen = names ? ctx.regions.filter((r) => r.name && names.includes(r.name)) : ctx.regions;
    if (names && chosen.length !== names.length) throw new Error(`render regions ${names.join(', ')}: not all are named in target.renderProbe`);
    return chosen.map(({ x, y, width, height }) => ({ x, y, width, height }));
  };

  // A start marker is stamped when the input it precedes was sent (after the render baseline was grabbed), so
  // the start/end pair spans only the measured work; a wait or a marker in between stamps it where it stands.
  const pendingStarts: { marker: string; detail?: string }[] = [];
  const flushStarts = (atMono: number) => {
    for (const m of pendingStarts.splice(0)) ctx.markers?.mark(m.marker, m.detail ?? '', atMono);
  };

  const run = async (list: WorkflowStep[], where: string): Promise<void> => {
    for (const [i, s] of list.entries()) {
      if (ctx.signal?.aborted) throw new Error('interrupted');
      const here = `${where}[${i}]`;
      if ('repeat' in s) {
        for (let k = 0; k < s.repeat; k++) await run(s.steps, `${here}.steps`);
        continue;
      }
      if ('waitMs' in s) {
        flushStarts(clock.mono());
        await sleep(s.waitMs);
        continue;
      }
      if ('marker' in s) {
        if (s.marker.endsWith('_end')) {
          flushStarts(clock.mono());
          ctx.markers?.mark(s.marker, s.detail ?? '', lastRenderAt ?? clock.mono());
        } else pendingStarts.push(s);
        continue;
      }
      const events = inputOf(s, ctx.window)!;
      if (!s.render) {
        flushStarts(clock.mono());
        await send(events);
        continue;
      }
      if (!ctx.regions.length) throw new Error(`${here} (${describeStep(s)}) waits for a render, but target.renderProbe names no region`);
      const opts = typeof s.render === 'object' ? s.render : {};
      const timeoutMs = (opts.timeoutS ?? def.stepTimeoutS) * 1000;
      const label = s.label ?? 'step';
      const n = (counts.get(label) ?? 0) + 1;
      counts.set(label, n);
      try {
        const r = await renderStep(ctx.driver, ctx.window.handle, regionsFor(opts.regions), () => send(events), {
          settleMs: opts.settleMs ?? ctx.settleMs,
          ...(opts.until ? { until: opts.until } : {}),
          timeoutMs,
          ...(ctx.signal ? { signal: ctx.signal } : {}),
          clock,
        });
        flushStarts(r.sentAt_mono_ms);
        const ms = r.settledAt_mono_ms - r.sentAt_mono_ms;
        lastRenderAt = r.settledAt_mono_ms;
        steps.push({ label, n, ms, at: r.settledAt_mono_ms });
        ctx.markers?.mark(label, `#${n} ${ms.toFixed(1)} ms`, r.settledAt_mono_ms);
      } catch (e) {
        if (ctx.signal?.aborted) throw new Error('interrupted');
        throw new Error(`step ${here} (${describeStep(s)}, ${label} #${n}): ${(e as Error).message}`);
      }
    }
  };
  await run(def.steps, 'steps');
  flushStarts(clock.mono());
  return { steps, durationMs: clock.mono() - t0 };
}
