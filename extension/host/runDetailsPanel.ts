import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import { parseMarkersTsv } from '../core/runs/markersFile';
import { readRunFolder } from '../core/runs/runFolders';
import type { Logger } from '../core/ports/logger';
import type { KpiRow, RunTimeline } from '../shared/kpi';
import type { MarkerRow } from '../shared/markers';
import { cachePolicyEvidence, stepStats } from '../shared/runFacts';
import { openFilesByClass } from '../shared/openFilesByClass';
import { fromViewSchema, type RunShown, type ToView } from '../shared/webviewProtocol';
import { DisposableStore } from './disposables';
import { runPanelShown } from './runPanelShown';

type RunShowMessage = Extract<ToView, { type: 'run/show' }>;

/** The key under which a comparison's render is recorded in RunDetailsPanel.shown. */
export function compareKey(a: string, b: string): string {
  return `compare:${a}|${b}`;
}

async function loadRunMessage(folder: string): Promise<RunShowMessage> {
  const entry = await readRunFolder(folder);
  let markers: MarkerRow[] = [];
  let markersError: string | null = null;
  try {
    markers = parseMarkersTsv('markers.tsv', await readFile(path.join(folder, 'markers.tsv'), 'utf8'));
  } catch (e) {
    markersError = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'markers.tsv is missing' : (e as Error).message;
  }
  // The same per-run analysis as `fastbench analyze` (KPIs, source, timeline decimated to a few hundred points).
  let kpi: KpiRow | null = null;
  let timeline: RunTimeline | null = null;
  let analysisError: string | null = null;
  if (entry.kind === 'run') {
    try {
      const [{ analyseRun }, { LocalRunStore }] = await Promise.all([import('../core/analysis/runAnalysis'), import('../core/analysis/runStore')]);
      const outcome = await analyseRun(new LocalRunStore(folder), folder);
      if (outcome.kind === 'skipped') analysisError = outcome.reason;
      else {
        kpi = outcome.kpi;
        timeline = outcome.timeline;
      }
    } catch (e) {
      analysisError = (e as Error).message;
    }
  }
  let openFiles: RunShowMessage['openFiles'] = [];
  let openFilesError: string | null = null;
  try {
    const byClass = openFilesByClass(await readFile(path.join(folder, 'open_files.tsv'), 'utf8'));
    openFiles = byClass.classes;
    openFilesError = byClass.problems[0] ?? null;
  } catch (e) {
    openFilesError = (e as NodeJS.ErrnoException).code === 'ENOENT' ? null : (e as Error).message;
  }
  return {
    type: 'run/show',
    folder,
    manifest: entry.kind === 'run' ? entry.manifest : null,
    manifestError: entry.kind === 'broken' ? entry.reason : null,
    markers,
    markersError,
    kpi,
    timeline,
    analysisError,
    steps: stepStats(markers),
    evidence: cachePolicyEvidence(entry.kind === 'run' ? entry.manifest : null),
    openFiles,
    openFilesError,
  };
}

/** One panel per run folder: run.json facts and a marker timeline, drawn by webviews/runDetails. */
export class RunDetailsPanel implements vscode.Disposable {
  private static readonly open = new Map<string, RunDetailsPanel>();
  /** What each run's panel reported after its last render (its DOM and charts), for tests and the log. */
  static readonly shown: Map<string, RunShown> = runPanelShown;
  private readonly store = new DisposableStore();
  private ready = false;
  private pending: ToView | undefined;

  static show(extensionUri: vscode.Uri, folder: string, log: Logger): RunDetailsPanel {
    return RunDetailsPanel.openPanel(extensionUri, folder, `Run ${path.basename(folder)}`, () => loadRunMessage(folder), log);
  }

  /** Two runs side by side (typically A_shared and B_fast of the same workflow and cache policy). */
  static compare(extensionUri: vscode.Uri, a: string, b: string, log: Logger): RunDetailsPanel {
    const load = async (): Promise<ToView> => {
      const [x, y] = await Promise.all([loadRunMessage(a), loadRunMessage(b)]);
      return { type: 'run/compare', a: x, b: y };
    };
    return RunDetailsPanel.openPanel(extensionUri, compareKey(a, b), `Compare ${path.basename(a)} ↔ ${path.basename(b)}`, load, log);
  }

  private static openPanel(extensionUri: vscode.Uri, key: string, title: string, load: () => Promise<ToView>, log: Logger): RunDetailsPanel {
    const existing = RunDetailsPanel.open.get(key);
    if (existing) {
      existing.panel.reveal();
      void existing.reload();
      return existing;
    }
    const panel = new RunDetailsPanel(extensionUri, key, title, load, log);
    RunDetailsPanel.open.set(key, panel);
    return panel;
  }

  private readonly panel: vscode.WebviewPanel;

  private constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly folder: string,
    title: string,
    private readonly load: () => Promise<ToView>,
    private readonly log: Logger,
  ) {
    const distUri = vscode.Uri.joinPath(extensionUri, 'dist', 'webviews');
    this.panel = this.store.add(
      vscode.window.createWebviewPanel('fastbench.runDetails', title, vscode.ViewColumn.Active, {
        enableScripts: true,
        localResourceRoots: [distUri],
      }),
    );
    this.panel.webview.html = this.html(distUri);
    this.store.add(this.panel.webview.onDidReceiveMessage((raw: unknown) => this.onMessage(raw)));
    this.store.add(this.panel.onDidDispose(() => this.dispose()));
    void this.reload();
  }

  private onMessage(raw: unknown): void {
    const parsed = fromViewSchema.safeParse(raw);
    if (!parsed.success) {
      this.log.warn(`run details view sent an unexpected message: ${parsed.error.issues[0]?.message}`);
      return;
    }
    if (parsed.data.type === 'view/ready') {
      this.ready = true;
      if (this.pending) void this.panel.webview.postMessage(this.pending);
    } else if (parsed.data.type === 'run/shown') {
      RunDetailsPanel.shown.set(this.folder, parsed.data.shown);
      this.log.info(`run panel ${path.basename(this.folder)} rendered in ${parsed.data.shown.renderMs.toFixed(1)} ms`);
    } else {
      this.log.error(`run details view: ${parsed.data.message}`);
    }
  }

  async reload(): Promise<void> {
    this.pending = await this.load();
    if (this.ready) await this.panel.webview.postMessage(this.pending);
  }

  private html(distUri: vscode.Uri): string {
    const nonce = randomBytes(16).toString('base64');
    const script = this.panel.webview.asWebviewUri(vscode.Uri.joinPath(distUri, 'runDetails.js'));
    const csp = ["default-src 'none'", `script-src 'nonce-${nonce}'`, `style-src 'nonce-${nonce}'`, `img-src ${this.panel.webview.cspSource} data:`].join('; ');
    return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<style nonce="${nonce}">
  body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 16px; }
  table { border-collapse: collapse; margin: 8px 0 16px; }
  td, th { text-align: left; padding: 2px 12px 2px 0; vertical-align: top; }
  th { color: var(--vscode-descriptionForeground); font-weight: normal; }
  .error { color: var(--vscode-errorForeground); }
  .chart { position: relative; height: 320px; max-width: 1100px; margin-bottom: 12px; }
  .cards { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0 12px; }
  .card { border: 1px solid var(--vscode-widget-border, rgba(128,128,128,0.35)); border-radius: 4px; padding: 6px 10px; min-width: 110px; }
  .card .k { font-size: 11px; color: var(--vscode-descriptionForeground); }
  .card .v { font-size: 18px; font-weight: 600; font-variant-numeric: tabular-nums; }
  .toggles label { margin-right: 12px; font-size: 12px; }
  ul.evidence { margin: 4px 0 12px; padding-left: 18px; }
  table.compare td.num { text-align: right; font-variant-numeric: tabular-nums; padding-right: 16px; }
  table.compare th { padding-right: 16px; }
  .sides { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
  .side { min-width: 0; }
  .side .chart { height: 260px; }
</style>
<title>FastBench run</title></head>
<body><div id="root">Loading run…</div>
<script nonce="${nonce}" src="${script}"></script></body></html>`;
  }

  dispose(): void {
    RunDetailsPanel.open.delete(this.folder);
    this.store.dispose();
  }
}
