import path from 'node:path';
import * as vscode from 'vscode';

/**
 * `fastbench` in VS Code's integrated terminals with no Node installed: the extension's bin/ (fastbench.cmd, and a
 * sh script elsewhere) goes first on their PATH, and FASTBENCH_NODE names this VS Code's own runtime — Code.exe on
 * the desktop, run as Node with ELECTRON_RUN_AS_NODE by the script; node under a remote server. Terminals opened
 * from now on get it; terminals already open keep their environment (VS Code offers to relaunch them).
 */
export function offerCliInTerminals(context: vscode.ExtensionContext): void {
  const env = context.environmentVariableCollection;
  env.description = 'FastBench: the `fastbench` command, run by VS Code itself';
  env.replace('FASTBENCH_NODE', process.execPath);
  env.prepend('PATH', vscode.Uri.joinPath(context.extensionUri, 'bin').fsPath + path.delimiter);
}
