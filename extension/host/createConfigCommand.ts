import { existsSync } from 'node:fs';
import { link, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import { petrelTemplate } from '../core/campaign/templates';
import { validateConfigText } from '../core/config/configFile';
import { standinConfigFor } from '../cli/standin/standinConfig';
import { standinHome } from '../standin/volume/standinPaths';
import { CONFIG_FILE_NAME } from '../shared/names';
import { formatProblem } from '../shared/problems';

export type ConfigTemplate = 'petrel' | 'standin';

/**
 * "FastBench: Create fastbench.json": the same templates as `fastbench init` (Petrel, or the stand-in with this
 * machine's stand-in paths), written to the workspace folder, validated as written, and opened. Never overwrites.
 */
export async function createConfig(arg?: { folder?: string; template?: ConfigTemplate }): Promise<string | undefined> {
  const folder = arg?.folder ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!folder) throw new Error('open a folder first (File > Open Folder…): fastbench.json lives at its top');
  const file = path.join(folder, CONFIG_FILE_NAME);
  if (existsSync(file)) {
    await vscode.window.showTextDocument(vscode.Uri.file(file));
    void vscode.window.showInformationMessage(`FastBench: ${CONFIG_FILE_NAME} already exists; it is open.`);
    return file;
  }
  let template = arg?.template;
  if (!template) {
    const picked = await vscode.window.showQuickPick(
      [
        {
          label: 'Petrel',
          description: 'the real target',
          detail: 'Every section, the four workflows as templates: fill in the paths, shortcuts and screen regions marked FILL IN.',
          template: 'petrel' as const,
        },
        {
          label: 'Stand-in',
          description: 'try FastBench on this machine',
          detail: 'The built-in stand-in viewer and FAST-like cache (Linux/X11): runs as written.',
          template: 'standin' as const,
        },
      ],
      { title: `FastBench: Create ${CONFIG_FILE_NAME}`, placeHolder: 'Which template?' },
    );
    if (!picked) return undefined;
    template = picked.template;
  }
  const config = template === 'petrel' ? petrelTemplate() : standinConfigFor(standinHome());
  const text = JSON.stringify(config, null, 2) + '\n';
  const check = validateConfigText(file, text);
  if (!check.ok) throw new Error(`the ${template} template does not validate (a bug): ${check.problems.map(formatProblem).join('; ')}`);
  // Whole or not at all, and never over an existing file: written aside, then hard-linked into place (link fails
  // when the name exists), so nothing ever sees a half-written fastbench.json.
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  try {
    await link(tmp, file);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  await vscode.window.showTextDocument(vscode.Uri.file(file));
  void vscode.window.showInformationMessage(
    template === 'petrel'
      ? `FastBench: ${CONFIG_FILE_NAME} written from the Petrel template. Fill in the values marked FILL IN, then run "FastBench: Run Campaign…".`
      : `FastBench: ${CONFIG_FILE_NAME} written for the stand-in. Next: "FastBench: Run Campaign…".`,
  );
  return file;
}
