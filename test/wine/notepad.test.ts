import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { DriverClient } from './driverClient';
import { lane, laneUnavailable, targetHelper, waitFor } from './lane';

// A program we did not write: typed text must arrive in (Wine's or Windows') Notepad. Read back with WM_GETTEXT
// from its edit control (target.exe --gettext).

const skip = laneUnavailable();

type KeyEvent = { kind: 'key_down' | 'key_up'; key: string };
const SHIFTED: Record<string, string> = { '!': '1', '@': '2', '#': '3', ':': ';', '?': '/', '"': "'", _: '-', '+': '=' };

/** Key events that type `text` on a US layout (Shift for capitals and shifted punctuation). */
function typing(text: string): KeyEvent[] {
  const out: KeyEvent[] = [];
  for (const ch of text) {
    const press = (key: string) => out.push({ kind: 'key_down', key }, { kind: 'key_up', key });
    if (ch === ' ') press('Space');
    else if (ch === '\n') press('Enter');
    else if (/[A-Z]/.test(ch) || SHIFTED[ch]) {
      out.push({ kind: 'key_down', key: 'Shift' });
      press(SHIFTED[ch] ?? ch.toLowerCase());
      out.push({ kind: 'key_up', key: 'Shift' });
    } else press(ch);
  }
  return out;
}

describe('Win32 driver: typing into Notepad', { skip }, () => {
  test('typed text arrives, read back with WM_GETTEXT', async () => {
    const notepad = spawn('notepad.exe', [], { stdio: 'ignore' });
    const d = await DriverClient.start(lane.driver);
    try {
      const w = await d.request('window/attach', { processImage: 'notepad.exe', timeoutMs: 30_000 });
      assert.equal(w.pid, notepad.pid, 'the Notepad we started');
      const fg = await d.request('window/foreground', { handle: w.handle });
      assert.ok(fg.ok, `foreground: ${fg.reason}`);
      const text = 'Hello, FastBench 123!\nsecond line: a/b-c=d "quoted" [x] \\ ; done?';
      const events = typing(text);
      // A few batches, as a replay would send them.
      for (let i = 0; i < events.length; i += 16) {
        await d.request('input/inject', { handle: w.handle, coordinates: 'client', events: events.slice(i, i + 16) });
      }
      mkdirSync(lane.work, { recursive: true });
      const out = path.join(lane.work, `notepad-${process.pid}.txt`);
      const want = text.replace(/\n/g, '\r\n');
      let got = '';
      await waitFor(
        () => {
          if (targetHelper(['--gettext', 'Notepad', 'Edit', out]) === 0) got = readFileSync(out, 'utf8');
          return got === want ? true : undefined;
        },
        10_000,
        () => `Notepad to hold ${JSON.stringify(want)}; it holds ${JSON.stringify(got)}`,
      );
    } finally {
      await d.shutdown();
      notepad.kill();
    }
  });
});
