import path from 'node:path';
import * as vscode from 'vscode';
import { validateRecordingText } from '../core/recording/recordingFile';
import { formatProblem, type Problem } from '../core/validation/problems';
import type { Logger } from '../core/ports/logger';
import { RECORDING_FILE_SUFFIX } from '../shared/names';

export type RecordingValidation = { file: string; ok: boolean; events: number; problems: Problem[] };

function toDiagnostic(doc: vscode.TextDocument | undefined, p: Problem): vscode.Diagnostic {
  const line = Math.max(0, (p.line ?? 1) - 1);
  const col = Math.max(0, (p.column ?? 1) - 1);
  const end = doc && line < doc.lineCount ? doc.lineAt(line).range.end : new vscode.Position(line, col + 1);
  const d = new vscode.Diagnostic(
    new vscode.Range(line, col, end.line, Math.max(end.character, col + 1)),
    `${p.path}: ${p.expected}${p.found !== undefined ? `, found ${p.found}` : ''}`,
    vscode.DiagnosticSeverity.Error,
  );
  d.source = 'FastBench';
  return d;
}

/** Validates a recording (the open document's text when it is open, so unsaved edits count). */
export async function validateRecording(uri: vscode.Uri, diagnostics: vscode.DiagnosticCollection, log: Logger): Promise<RecordingValidation> {
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  const text = doc ? doc.getText() : new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  const name = path.basename(uri.fsPath);
  const result = validateRecordingText(name, text);
  if (result.ok) {
    diagnostics.delete(uri);
    return { file: uri.fsPath, ok: true, events: result.value.events.length, problems: [] };
  }
  diagnostics.set(
    uri,
    result.problems.map((p) => toDiagnostic(doc, p)),
  );
  for (const p of result.problems) log.warn(formatProblem(p));
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
