import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import { test, waitFor } from './harness';
import { docsShot, fastbench, screenshot, sleep } from './ui';

// The recording editor on fixture recordings: lenses, hover, quick fixes (applied), outline, the timeline, and
// one diagnostic per problem.

const root = () => vscode.workspace.workspaceFolders![0]!.uri;

function scratch(name: string, events: string[]): vscode.Uri {
  const file = path.join(os.tmpdir(), `fb-${process.pid}-${name}.fbrec.json`);
  writeFileSync(
    file,
    `{\n  "version": 2,\n  "target": { "titlePattern": "^Petrel" },\n  "client": { "width": 1600, "height": 900 },\n  "events": [\n    ${events.join(',\n    ')}\n  ]\n}\n`,
  );
  return vscode.Uri.file(file);
}

async function open(uri: vscode.Uri): Promise<vscode.TextEditor> {
  const editor = await vscode.window.showTextDocument(uri);
  await waitFor('the recording editor to load', async () => ((await fastbench()).recordingEditor() ? true : undefined));
  await (await fastbench()).recordingEditor();
  return editor;
}

const ours = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'FastBench');

test('CodeLens on a recording: a summary, and per marker "▶ Replay from here" and the time to the next marker', async () => {
  const uri = vscode.Uri.joinPath(root(), 'sample.fbrec.json');
  await open(uri);
  const lenses = await waitFor('the lenses', async () => {
    const l = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 10);
    return l.some((x) => x.command?.title === '▶ Replay from here') ? l : undefined;
  });
  const shown = lenses.map((l) => `${l.range.start.line + 1}: ${l.command?.title}`);
  assert.deepEqual(shown, ['9: 10 events · 5.1 s · 2 markers', '9: ▶ Replay', '9: ▶ Replay from here', '9: $(watch) 5.1 s', '18: ▶ Replay from here', '18: $(watch) 0.0 s']);
  const from = lenses.find((l) => l.range.start.line === 17 && l.command?.title === '▶ Replay from here')!.command!;
  assert.equal(from.command, 'fastbench.replayRecording');
  assert.deepEqual(from.arguments?.[1], { fromEvent: 9 });
});

test('hovering an event shows its time, the gap before it and where it lands in the client area', async () => {
  const uri = vscode.Uri.joinPath(root(), 'sample.fbrec.json');
  await open(uri);
  const line = 10; // { "t_ms": 180, "type": "down", ... }
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(line, 30));
  const text = hovers
    .flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value)))
    .join('\n')
    .replace(/\\(.)/g, '$1'); // as rendered: markdown escapes gone
  assert.match(text, /t = 0\.180 s \(\+60 ms after the previous event\)/);
  assert.match(text, /Client position: x 400, y 300 of the 1600×900 client \(25\.0 %, 33\.3 %\)/);
  assert.match(text, /marker \*\*F6\*\*/);
});

test('out-of-order t_ms: one FastBench diagnostic; the quick fix "Sort …" applied reorders the events and clears it', async () => {
  const uri = scratch('order', [
    '{ "t_ms": 0, "type": "marker", "name": "F6" }',
    '{ "t_ms": 500, "type": "move", "x": 1, "y": 2 }',
    '{ "t_ms": 300, "type": "move", "x": 3, "y": 4 }',
    '{ "t_ms": 700, "type": "move", "x": 5, "y": 6 }',
  ]);
  await open(uri);
  const [diag] = await waitFor('the t_ms diagnostic', () => (ours(uri).length ? ours(uri) : undefined));
  assert.equal(ours(uri).length, 1);
  assert.equal(diag!.range.start.line, 7);
  assert.equal(diag!.code, 't_ms-order');
  const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, diag!.range, vscode.CodeActionKind.QuickFix.value);
  const titles = actions.map((a) => a.title);
  assert.ok(titles.includes('Sort all 4 events by t_ms'), titles.join(' | '));
  assert.ok(titles.includes('Set t_ms to 500 (the latest time before it)'), titles.join(' | '));
  const sort = actions.find((a) => a.title.startsWith('Sort'))!;
  assert.ok(await vscode.workspace.applyEdit(sort.edit!));
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString())!;
  assert.deepEqual(
    (JSON.parse(doc.getText()) as { events: { t_ms: number }[] }).events.map((e) => e.t_ms),
    [0, 300, 500, 700],
  );
  await waitFor('the diagnostic to clear as the text changed', () => (ours(uri).length === 0 ? true : undefined));
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
}, 30_000);

test('events after the stop key F12: a warning, and the quick fix removes them', async () => {
  const uri = scratch('stop', [
    '{ "t_ms": 0, "type": "marker", "name": "F6" }',
    '{ "t_ms": 100, "type": "move", "x": 1, "y": 2 }',
    '{ "t_ms": 200, "type": "key_down", "key": "F12" }',
    '{ "t_ms": 900, "type": "move", "x": 5, "y": 6 }',
  ]);
  await open(uri);
  const [diag] = await waitFor('the stop-key warning', () => (ours(uri).length ? ours(uri) : undefined));
  assert.equal(diag!.severity, vscode.DiagnosticSeverity.Warning);
  assert.match(diag!.message, /stop key F12 .* 1 more event after it/);
  const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, diag!.range, vscode.CodeActionKind.QuickFix.value);
  const fix = actions.find((a) => a.title === 'Remove F12 and the 1 event after it');
  assert.ok(fix, actions.map((a) => a.title).join(' | '));
  assert.ok(await vscode.workspace.applyEdit(fix.edit!));
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString())!;
  assert.equal((JSON.parse(doc.getText()) as { events: unknown[] }).events.length, 2);
  await waitFor('the warning to clear', () => (ours(uri).length === 0 ? true : undefined));
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
}, 30_000);

test('a trailing comma is reported once, by the JSON server; FastBench adds nothing', async () => {
  const uri = scratch('comma', ['{ "t_ms": 0, "type": "marker", "name": "F6" }', '{ "t_ms": 100, "type": "move", "x": 1, "y": 2 },']);
  await open(uri);
  const json = await waitFor(
    'the JSON server to report the trailing comma',
    () => {
      const d = vscode.languages.getDiagnostics(uri).filter((x) => x.source !== 'FastBench');
      return d.length ? d : undefined;
    },
    30_000,
  );
  await sleep(1500); // our validation runs at open and 300 ms after a change
  const result = await vscode.commands.executeCommand<{ ok: boolean; syntaxShownByEditor?: boolean }>('fastbench.validateRecording', uri);
  assert.equal(result?.ok, false);
  assert.equal(result.syntaxShownByEditor, true);
  assert.deepEqual(ours(uri), [], 'no second diagnostic from FastBench');
  console.log(`trailing comma: ${json.map((d) => `${d.source ?? 'json'} ${d.range.start.line + 1}: ${d.message}`).join('; ')}`);
  await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
}, 40_000);

test('the outline lists the markers with their events; the Recording Timeline follows the cursor', async () => {
  const uri = vscode.Uri.joinPath(root(), 'sample.fbrec.json');
  const editor = await open(uri);
  const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', uri);
  const markers = symbols.filter((s) => s.kind === vscode.SymbolKind.Event);
  assert.deepEqual(
    markers.map((s) => `${s.name} | ${s.detail} | ${s.children.length}`),
    ['F6 | at 0.0 s · 5.1 s to the next | 8', 'F7 | at 5.1 s · 0.0 s to the next | 0'],
  );
  assert.equal(markers[0]!.children[1]!.name, 'down left at 400, 300');
  await vscode.commands.executeCommand('fastbench.recordingTimeline.focus');
  await vscode.window.showTextDocument(editor.document);
  const api = await (await fastbench()).recordingEditor()!;
  for (const [line, label] of [
    [12, 'key_down PageDown'],
    [17, 'marker F7 (checkpoint)'],
  ] as const) {
    editor.selection = new vscode.Selection(line, 20, line, 20);
    await waitFor(`the timeline to select "${label}"`, () => (api.timelineSelection().join() === label ? true : undefined));
  }
  editor.selection = new vscode.Selection(10, 30, 10, 30);
  await waitFor('the timeline to select the down event', () => (api.timelineSelection().join() === 'down left at 400, 300' ? true : undefined));
  await vscode.commands.executeCommand('notifications.clearAll');
  await vscode.commands.executeCommand('editor.action.showHover');
  await sleep(1200);
  await screenshot(docsShot('recording-editor.png'));
  assert.ok(readFileSync(docsShot('recording-editor.png')).length > 10_000);
}, 40_000);
