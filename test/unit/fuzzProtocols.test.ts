import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import fc from 'fast-check';
import { RowProblems } from '../../extension/core/analysis/rowProblems';
import { readMetricsWindow } from '../../extension/core/analysis/metricsWindow';
import { DriverClient } from '../../extension/core/driver/driverClient';
import { MetricsAgentClient } from '../../extension/core/metrics/agentClient';
import { agentOutputSchema } from '../../extension/core/metrics/agentMessages';
import type { Logger } from '../../extension/core/ports/logger';
import { DRIVER_PROTOCOL_VERSION, driverMethods, driverOutputSchema, requestSchema } from '../../extension/shared/driverProtocol';
import { METRICS_COLUMNS } from '../../extension/shared/metrics';
import { fromViewSchema, toViewSchema } from '../../extension/shared/webviewProtocol';
import { arbitraryText, assertClearMessage, mutatedJson, RUNS } from './fuzzKit';

// Property-based tests of the line protocols (driver, metrics agent), the webview messages and metrics.csv:
// any line or message is either accepted or refused with a message that says what was wrong; nothing throws.

function collectingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (m: string) => void lines.push(m);
  return { lines, debug: keep, info: keep, warn: keep, error: keep };
}

/** Zod issues always carry a message and a path; a refusal must never be an exception. */
function assertRefusedClearly(schema: { safeParse(v: unknown): { success: boolean; error?: { issues: { message: string }[] } } }, value: unknown) {
  const r = schema.safeParse(value);
  if (!r.success) for (const issue of r.error!.issues) assertClearMessage(issue.message, JSON.stringify(value).slice(0, 80));
}

const VALID_DRIVER_LINES = [
  { type: 'hello', protocol: DRIVER_PROTOCOL_VERSION, backend: 'x11', pid: 42, version: '0.1.0' },
  { type: 'response', id: 1, ok: true, result: { ok: true } },
  { type: 'response', id: 1, ok: false, error: { code: 'not_found', message: 'no window' } },
  { type: 'event', event: 'log', data: { level: 'warn', message: 'hook slow' } },
  { type: 'event', event: 'window/gone', data: { handle: '123' } },
  { type: 'request', id: 3, method: Object.keys(driverMethods)[0], params: {} },
];

test('driver lines: the client handles any line (mutated or arbitrary) without throwing; refusals are logged plainly', () => {
  const log = collectingLogger();
  // The real client's line handler, without a child process: lines arrive exactly as they would from the pipe.
  const client = new (DriverClient as unknown as new (o: object) => DriverClient)({ log, command: ['none'], helloTimeoutMs: 1000, requestTimeoutMs: 1000 });
  const onLine = (client as unknown as { onLine(line: string, ok: () => void, fail: (e: Error) => void): void }).onLine.bind(client);
  const line = fc.oneof(...VALID_DRIVER_LINES.map((v) => mutatedJson(v).map((t) => t.replace(/\n\s*/g, ''))), arbitraryText('{}[]":,0123456789 typeeventresponsehello'));
  fc.assert(
    fc.property(line, (l) => {
      log.lines.length = 0;
      onLine(
        l,
        () => {},
        (e) => assertClearMessage(e.message, 'hello'),
      );
      for (const m of log.lines) assertClearMessage(m, l);
      let raw: unknown;
      try {
        raw = JSON.parse(l);
      } catch {
        return;
      }
      assertRefusedClearly(driverOutputSchema, raw);
      assertRefusedClearly(requestSchema, raw);
      for (const m of Object.values(driverMethods)) {
        assertRefusedClearly(m.params, raw);
        assertRefusedClearly(m.result, raw);
      }
    }),
    { numRuns: RUNS },
  );
});

test('agent lines: the client handles any line without throwing; refusals are logged plainly', () => {
  const log = collectingLogger();
  const child = new EventEmitter();
  const client = new (MetricsAgentClient as unknown as new (c: unknown, l: Logger, s: number) => MetricsAgentClient)(child, log, 3_600_000);
  const onLine = (client as unknown as { onLine(line: string): void }).onLine.bind(client);
  const valid = [
    { type: 'hello', protocol: 1, pid: 1, targetPid: null, sampler: 'proc', firstTickUnixMs: 1, intervalMs: 1000 },
    { type: 'heartbeat', tick: 1, t_unix_ms: 1, lateMs: 0.5, rows: 1, skipped: 0, target: 'running', openFiles: null },
    { type: 'stopped', reason: 'stop', rows: 3, skipped: 0 },
    { type: 'warning', message: 'x' },
  ];
  const line = fc.oneof(...valid.map((v) => mutatedJson(v).map((t) => t.replace(/\n\s*/g, ''))), arbitraryText('{}[]":,0123456789 typehelloheartbeat'));
  fc.assert(
    fc.property(line, (l) => {
      log.lines.length = 0;
      onLine(l);
      for (const m of log.lines) assertClearMessage(m, l);
      try {
        assertRefusedClearly(agentOutputSchema, JSON.parse(l));
      } catch (e) {
        if (!(e instanceof SyntaxError)) throw e;
      }
    }),
    { numRuns: RUNS },
  );
});

test('webview messages: any value posted either way is accepted or refused with zod issues, never a throw', () => {
  const show = {
    type: 'run/show',
    folder: '/runs/r1',
    manifest: null,
    manifestError: 'missing',
    markers: [{ t_unix_ms: 1, t_run_ms: 0, name: 'open/start', detail: '' }],
    markersError: null,
  };
  const message = fc.oneof(
    fc.jsonValue(),
    mutatedJson(show).map((t) => safeJson(t)),
    mutatedJson({ type: 'view/ready' }).map((t) => safeJson(t)),
  );
  fc.assert(
    fc.property(message, (m) => {
      assertRefusedClearly(toViewSchema, m);
      assertRefusedClearly(fromViewSchema, m);
    }),
    { numRuns: RUNS },
  );
});

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

test('metrics.csv: any rows give counted, line-numbered row problems, never a crash', async () => {
  const header = METRICS_COLUMNS.join(',');
  const row = (t: number) => [t, 25, '', 1000, 3000, 50, 500, 2e6, 0, '', '', '', '', '', ''].join(',');
  const valid = [header, row(1000), row(2000), row(3000)].join('\n') + '\n';
  const text = fc.oneof(
    fc.tuple(fc.nat({ max: valid.length }), fc.string({ unit: 'binary', maxLength: 12 })).map(([n, s]) => valid.slice(0, n) + s + valid.slice(n)),
    fc.nat({ max: valid.length }).map((n) => valid.slice(0, n)),
    arbitraryText(',\n0123456789.-eE'),
    fc.string({ unit: fc.constantFrom(...',\n0123456789.-'.split('')), maxLength: 200 }).map((s) => `${header}\n${s}`),
  );
  await fc.assert(
    fc.asyncProperty(text, fc.constantFrom({ from: null, to: null }, { from: 0, to: null }, { from: 1500, to: 2500 }), async (t, window) => {
      const problems = new RowProblems('metrics.csv');
      const result = await readMetricsWindow(chunksOf(t), window, problems);
      assert.ok(result.rows >= 0);
      if (result.unusable !== undefined) assertClearMessage(result.unusable, 'unusable');
      for (const e of problems.examples) {
        assert.match(e, /^metrics\.csv:\d+: /);
        assertClearMessage(e, e);
      }
    }),
    { numRuns: RUNS },
  );
});

async function* chunksOf(text: string): AsyncIterable<Buffer> {
  const b = Buffer.from(text);
  // Two chunks split mid-text, as a stream delivers them.
  yield b.subarray(0, b.length >> 1);
  yield b.subarray(b.length >> 1);
}
