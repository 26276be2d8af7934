import path from 'node:path';
import * as vscode from 'vscode';
import { nextStepsFor, type NextStep } from '../shared/errorNextSteps';

/** An error toast that says what to do next and offers it as a button (shared/errorNextSteps.ts decides which). */
export async function showError(message: string, extra: NextStep[] = []): Promise<void> {
  const { hint, steps } = nextStepsFor(message);
  const all = [...extra, ...steps.filter((s) => !extra.some((e) => e.title === s.title))];
  const text = hint && !message.includes(hint) ? `${message} ${hint}` : message;
  const picked = await vscode.window.showErrorMessage(text, ...all.map((s) => s.title));
  const step = all.find((s) => s.title === picked);
  if (!step) return;
  if (step.kind === 'command') await vscode.commands.executeCommand(step.command);
  else if (step.kind === 'showLog') await vscode.commands.executeCommand('fastbench.showLog');
  else {
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    const file = path.isAbsolute(step.file) ? step.file : path.join(root, step.file);
    const at = new vscode.Position(Math.max(0, step.line - 1), Math.max(0, step.column - 1));
    await vscode.window.showTextDocument(vscode.Uri.file(file), { selection: new vscode.Range(at, at) });
  }
}
