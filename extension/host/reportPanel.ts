import { randomBytes } from 'node:crypto';
import path from 'node:path';
import * as vscode from 'vscode';
import type { Logger } from '../core/ports/logger';
import { reportForWebview } from '../shared/reportForWebview';
import { DisposableStore } from './disposables';

/**
 * An offline FastBench report (report.html from `fastbench analyze`, baseline.html from the probe) inside VS Code,
 * so it works where a local file cannot be opened in a browser (Remote-SSH, WSL, code-server). One panel per file.
 */
export class ReportPanel implements vscode.Disposable {
  private static readonly open = new Map<string, ReportPanel>();
  private readonly store = new DisposableStore();
  private readonly panel: vscode.WebviewPanel;

  static async show(file: vscode.Uri, log: Logger): Promise<ReportPanel> {
    const key = file.toString();
    let panel = ReportPanel.open.get(key);
    if (panel) panel.panel.reveal();
    else {
      panel = new ReportPanel(file, log);
      ReportPanel.open.set(key, panel);
    }
    await panel.load();
    return panel;
  }

  /** The panel showing this file, if one is open (for tests). */
  static get(file: vscode.Uri): vscode.WebviewPanel | undefined {
    return ReportPanel.open.get(file.toString())?.panel;
  }

  private constructor(
    private readonly file: vscode.Uri,
    private readonly log: Logger,
  ) {
    const folder = path.basename(path.dirname(file.fsPath));
    this.panel = this.store.add(
      vscode.window.createWebviewPanel('fastbench.report', `Report ${folder}/${path.basename(file.fsPath)}`, vscode.ViewColumn.Active, {
        enableScripts: true,
        localResourceRoots: [],
        enableFindWidget: true,
      }),
    );
    this.store.add(this.panel.onDidDispose(() => this.dispose()));
  }

  private async load(): Promise<void> {
    const bytes = await vscode.workspace.fs.readFile(this.file);
    this.panel.webview.html = reportForWebview(new TextDecoder().decode(bytes), randomBytes(16).toString('base64'));
    this.log.info(`report ${this.file.fsPath} shown in a webview`);
  }

  dispose(): void {
    ReportPanel.open.delete(this.file.toString());
    this.store.dispose();
  }
}

/** A report to open: the argument (a URI from the Explorer), else a pick of the workspace's reports, else a file dialog. */
export async function pickReport(arg: unknown): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return arg;
  const found = await vscode.workspace.findFiles('**/{report,baseline}.html', '**/node_modules/**', 200);
  const browse = '$(folder-opened) Browse…';
  const items = [...found.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })), { label: browse, uri: undefined as vscode.Uri | undefined }];
  const picked = await vscode.window.showQuickPick(items, {
    title: 'FastBench: Open Report',
    placeHolder: found.length ? 'A report from "fastbench analyze" or a probe baseline' : 'No report.html in this workspace yet: browse for one',
  });
  if (!picked) return undefined;
  if (picked.uri) return picked.uri;
  const chosen = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'FastBench report': ['html'] }, title: 'FastBench: Open Report' });
  return chosen?.[0];
}
