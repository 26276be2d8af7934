import { readdir } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';

/**
 * Shows a run folder where the user can act on it. The OS file manager only exists on a local desktop: in
 * Remote-SSH, WSL, code-server or vscode.dev, 'revealFileInOS' is not even registered. There the folder is revealed
 * in the Explorer when it is inside the workspace, else its files are offered in a quick pick.
 */
export async function openRunFolder(folder: string): Promise<'os' | 'explorer' | 'file' | undefined> {
  const uri = vscode.Uri.file(folder);
  const commands = await vscode.commands.getCommands(true);
  const local = vscode.env.remoteName === undefined && vscode.env.uiKind === vscode.UIKind.Desktop;
  if (local && commands.includes('revealFileInOS')) {
    await vscode.commands.executeCommand('revealFileInOS', uri);
    return 'os';
  }
  if (vscode.workspace.getWorkspaceFolder(uri) && commands.includes('revealInExplorer')) {
    await vscode.commands.executeCommand('revealInExplorer', uri);
    return 'explorer';
  }
  let names: string[] = [];
  try {
    names = (await readdir(folder, { withFileTypes: true }))
      .filter((d) => d.isFile())
      .map((d) => d.name)
      .sort();
  } catch (e) {
    throw new Error(`cannot list ${folder}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (names.length === 0) {
    void vscode.window.showInformationMessage(`FastBench: ${folder} is empty.`);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(names, { title: `FastBench: files of ${path.basename(folder)}`, placeHolder: folder });
  if (!picked) return undefined;
  await vscode.window.showTextDocument(vscode.Uri.file(path.join(folder, picked)));
  return 'file';
}

/**
 * Deletes a run folder after a confirmation that names it. The confirmation is a quick pick (keyboard-first, Escape
 * keeps the run, and unlike a modal dialog it also works where dialogs are refused, e.g. in extension tests).
 */
export async function deleteRunFolder(folder: string, label: string): Promise<boolean> {
  const files = await readdir(folder).then(
    (n) => n.length,
    () => 0,
  );
  const items = [
    { label: '$(trash) Delete this run', description: `its folder and ${files} file${files === 1 ? '' : 's'}, for good`, ok: true },
    { label: 'Keep it', description: '', ok: false },
  ];
  const choice = await vscode.window.showQuickPick(items, { title: `FastBench: delete the run "${label}"?`, placeHolder: folder, ignoreFocusOut: true });
  if (!choice?.ok) return false;
  await vscode.workspace.fs.delete(vscode.Uri.file(folder), { recursive: true, useTrash: false });
  return true;
}
