import path from 'node:path';
import * as vscode from 'vscode';
import { validateRecordingText } from '../core/recording/recordingFile';
import { outlineRecording } from '../core/recording/recordingOutline';
import { formatProblem, type Problem } from '../core/validation/problems';
import type { Logger } from '../core/ports/logger';
import { RECORDING_FILE_SUFFIX } from '../shared/names';

export type RecordingValidation = {
  file: string;
  ok: boolean;
  events: number;
  problems: Problem[];
  /** True when the only problem is a JSON syntax error left to the editor's JSON support (the file is open). */
  syntaxShownByEditor?: boolean;
};

/** Codes the quick fixes key on (recordingEditor.ts). */
export const DIAGNOSTIC_CODES = { order: 't_ms-order', afterStop: 'after-stop' } as const;

// One JSON token: the squiggle covers the offending value, not the rest of the line.
const TOKEN = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/;

function toDiagnostic(doc: vscode.TextDocument | undefined, p: Problem): vscode.Diagnostic {
  const line = Math.max(0, (p.line ?? 1) - 1);
  const col = Math.max(0, (p.column ?? 1) - 1);
  const start = new vscode.Position(line, col);
  const token = doc && line < doc.lineCount ? doc.getWordRangeAtPosition(start, TOKEN) : undefined;
  const range = token?.start.isEqual(start) ? token : new vscode.Range(start, start.translate(0, 1));
  const d = new vscode.Diagnostic(
    range,
    `${p.path}: ${p.expected}${p.found !== undefined ? `, found ${p.found}` : ''}${p.hint ? `; ${p.hint}` : ''}`,
    vscode.DiagnosticSeverity.Error,
  );
  d.source = 'FastBench';
  if (/^events\[\d+\]\.t_ms$/.test(p.path) && p.expected.startsWith('expected a number ≥ previous event')) d.code = DIAGNOSTIC_CODES.order;
  return d;
}

/** Warnings the schema cannot express: a stop-key press with events after it. */
function outlineDiagnostics(doc: vscode.TextDocument | undefined, text: string): vscode.Diagnostic[] {
  const { stop, events } = outlineRecording(text);
  if (!stop) return [];
  const e = events[stop.index]!;
  const at = doc ? new vscode.Range(doc.positionAt(e.offset), doc.positionAt(e.offset + e.length)) : new vscode.Range(0, 0, 0, 1);
  const d = new vscode.Diagnostic(
    at,
    `events[${stop.index}]: the recorder's stop key ${stop.key} ends a recording; replay would press ${stop.key} in the target` +
      (stop.after ? ` and send ${stop.after} more event${stop.after === 1 ? '' : 's'} after it` : ''),
    vscode.DiagnosticSeverity.Warning,
  );
  d.source = 'FastBench';
  d.code = DIAGNOSTIC_CODES.afterStop;
  return [d];
}

/** Validates a recording (the open document's text when it is open, so unsaved edits count). */
export async function validateRecording(uri: vscode.Uri, diagnostics: vscode.DiagnosticCollection, log: Logger): Promise<RecordingValidation> {
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  const text = doc ? doc.getText() : new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  const name = path.basename(uri.fsPath);
  const result = validateRecordingText(name, text);
  if (result.ok) {
    const warnings = outlineDiagnostics(doc, text);
    if (warnings.length) diagnostics.set(uri, warnings);
    else diagnostics.delete(uri);
    return { file: uri.fsPath, ok: true, events: result.value.events.length, problems: [] };
  }
  for (const p of result.problems) log.warn(formatProblem(p));
  // A syntax error in an open JSON document is already underlined by VS Code's JSON support (at the token it
  // could not take); a second, differently placed copy from us would only confuse. A closed file has no JSON
  // server looking at it, so there ours is the only report.
  const syntaxOnly = result.problems.every((p) => p.path === 'JSON syntax');
  if (syntaxOnly && doc?.languageId === 'json') {
    diagnostics.delete(uri);
    return { file: uri.fsPath, ok: false, events: 0, problems: result.problems, syntaxShownByEditor: true };
  }
  diagnostics.set(uri, [...result.problems.map((p) => toDiagnostic(doc, p)), ...(syntaxOnly ? [] : outlineDiagnostics(doc, text))]);
  return { file: uri.fsPath, ok: false, events: 0, problems: result.problems };
}

export async function pickRecording(arg: unknown): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return arg;
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active && active.fsPath.endsWith(RECORDING_FILE_SUFFIX)) return active;
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    filters: { 'FastBench recordings': ['fbrec.json', 'json'] },
    openLabel: 'Validate',
  });
  return picked?.[0];
}
