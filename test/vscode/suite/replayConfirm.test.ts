import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { test } from './harness';
import { docsShot, press, screenshot, sleep } from './ui';

// The ▶ in a recording's title bar must not drive a window at once: it asks first (Escape cancels).

test('Replay Recording asks before it drives a window; Escape cancels without starting the driver', async () => {
  const root = vscode.workspace.workspaceFolders![0]!.uri;
  const uri = vscode.Uri.joinPath(root, 'sample.fbrec.json');
  await vscode.window.showTextDocument(uri);
  const started = Date.now();
  const result = vscode.commands.executeCommand('fastbench.replayRecording', uri);
  await sleep(1200);
  await screenshot(docsShot('replay-confirm.png'));
  await press('Escape');
  assert.equal(await result, undefined);
  // Attaching to the recording's window (^Petrel, not on this machine) would have taken up to 30 s and failed.
  assert.ok(Date.now() - started < 10_000, 'returned at once: no driver was started');
}, 30_000);
