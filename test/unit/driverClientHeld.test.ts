import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { DriverClient, DriverRequestError, type DriverEvent } from '../../extension/core/driver/driverClient';

// The client's bookkeeping of held keys and buttons, against a scripted stand-in driver (a real process speaking the
// protocol, so restarts are real): a press counts as held from the moment it is sent, a batch the driver refused
// does not, and a driver that died before answering may have pressed it. The real drivers are in the x11 and wine
// lanes (a killed driver's keys released by its successor, checked by the windows themselves).

let dir: string;
let fake: string;
let log: string;

// Answers hello and every request; refuses a guarded inject ('obscured'); dies without answering an inject holding
// key "c" (a crash after SendInput); records every inject it gets, with its pid, in the log file.
const FAKE_DRIVER = `
const fs = require('node:fs');
const log = process.argv[2];
const out = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
out({ type: 'hello', protocol: 1, backend: 'x11', pid: process.pid, version: 'fake' });
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const r = JSON.parse(line);
  if (r.method === 'input/inject') {
    fs.appendFileSync(log, JSON.stringify({ pid: process.pid, events: r.params.events }) + '\\n');
    if (r.params.guard) return out({ type: 'response', id: r.id, ok: false, error: { code: 'obscured', message: 'covered' } });
    if (r.params.events.some((e) => e.key === 'c')) process.exit(9);
    return out({ type: 'response', id: r.id, ok: true, result: { sent: r.params.events.length } });
  }
  out({ type: 'response', id: r.id, ok: true, result: {} });
  if (r.method === 'driver/shutdown') process.exit(0);
});
`;

const injects = () =>
  readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { pid: number; events: { kind: string; key?: string; button?: string }[] });

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fastbench-held-'));
  fake = path.join(dir, 'fakeDriver.js');
  log = path.join(dir, 'injects.jsonl');
  writeFileSync(fake, FAKE_DRIVER);
  writeFileSync(log, '');
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('after a crash the new driver releases what was sent, not what a guard refused', async () => {
  const client = await DriverClient.start({ command: [process.execPath, fake, log], maxRestarts: 1 });
  const events: DriverEvent[] = [];
  client.onEvent((e) => events.push(e));
  try {
    const first = client.pid;
    await client.request('input/inject', {
      handle: '1',
      coordinates: 'client',
      events: [
        { kind: 'key_down', key: 'a' },
        { kind: 'down', button: 'left' },
      ],
    });
    await client.request('input/inject', { handle: '1', coordinates: 'client', events: [{ kind: 'up', button: 'left' }] });
    await assert.rejects(
      client.request('input/inject', { handle: '1', coordinates: 'client', guard: { foreground: true }, events: [{ kind: 'key_down', key: 'b' }] }),
      (e: unknown) => e instanceof DriverRequestError && e.code === 'obscured',
    );
    await assert.rejects(
      client.request('input/inject', { handle: '1', coordinates: 'client', events: [{ kind: 'key_down', key: 'c' }] }),
      (e: unknown) => e instanceof DriverRequestError && e.code === 'driver_exited',
    );
    const deadline = Date.now() + 10_000;
    while (!events.some((e) => e.event === 'restarted') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(
      events.some((e) => e.event === 'restarted'),
      'restarted',
    );
    const released = injects().filter((i) => i.pid !== first);
    assert.equal(released.length, 1, 'one release batch from the new driver');
    assert.deepEqual(released[0]!.events.map((e) => `${e.kind} ${e.key ?? e.button}`).sort(), ['key_up a', 'key_up c']);
  } finally {
    await client.close();
  }
});
