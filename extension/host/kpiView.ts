import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { Logger } from '../core/ports/logger';
import type { RunFacts } from '../core/analysis/filteredRunStore';
// The protocol's zod schemas load with the first message, not at activation.
import type { KpiFilter, KpiShown, ToKpiView } from '../shared/kpiViewProtocol';
import { DisposableStore } from './disposables';
import { webviewHtml, webviewResourceRoots } from './webviewHtml';

const NO_FILTER: KpiFilter = { campaign: null, machine: null, workflow: null };

/** Where the panel finds runs and how it shows some of them in the Runs tree. */
export type KpiViewHost = {
  runsFolder(): Promise<string | undefined>;
  revealRuns(folders: string[], label: string): Promise<void>;
};

const uniq = (values: (string | null)[]) => [...new Set(values.filter((v): v is string => v !== null))].sort();

/**
 * The KPIs side panel (view fastbench.kpis): the core analysis of the runs folder (analyzeRuns over a LocalRunStore,
 * narrowed by the panel's filters), drawn by webviews/kpis. The analysis code loads when the view first shows.
 */
export class KpiViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = 'fastbench.kpis';
  private readonly store = new DisposableStore();
  private view: vscode.WebviewView | undefined;
  private ready = false;
  private last: ToKpiView | undefined;
  private filter: KpiFilter = NO_FILTER;
  private facts: RunFacts[] = [];
  private stale = true;
  private generation = 0;
  private abort: AbortController | undefined;
  private readonly shownEmitter = this.store.add(new vscode.EventEmitter<KpiShown>());
  /** What the view reported after its last render (its DOM and charts), for tests and the log. */
  shown: KpiShown | undefined;
  readonly onDidShow = this.shownEmitter.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly host: KpiViewHost,
    private readonly log: Logger,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    view.webview.options = { enableScripts: true, localResourceRoots: webviewResourceRoots(this.extensionUri) };
    view.webview.html = webviewHtml(view.webview, this.extensionUri, { script: 'kpis.js', title: 'FastBench KPIs', css: KPI_CSS });
    const local = new DisposableStore();
    local.add(view.webview.onDidReceiveMessage((raw: unknown) => void this.onMessage(raw)));
    local.add(view.onDidChangeVisibility(() => view.visible && this.stale && void this.refresh()));
    local.add(
      view.onDidDispose(() => {
        local.dispose();
        this.view = undefined;
      }),
    );
    this.stale = true;
  }

  /** Runs changed (or the folder moved): analyse again now if the view is visible, else when it shows. */
  refresh(): Promise<void> {
    this.stale = true;
    if (!this.view?.visible || !this.ready) return Promise.resolve();
    return this.analyse();
  }

  setFilter(filter: KpiFilter): Promise<void> {
    this.filter = filter;
    return this.refresh();
  }

  private post(msg: ToKpiView): void {
    this.last = msg;
    if (this.ready) void this.view?.webview.postMessage(msg);
  }

  private async analyse(): Promise<void> {
    this.stale = false;
    const generation = ++this.generation;
    this.abort?.abort();
    const abort = (this.abort = new AbortController());
    const folder = await this.host.runsFolder();
    if (!folder) {
      this.post({ type: 'kpis/empty', folder: null, message: 'Open a folder with a fastbench.json to see KPIs.' });
      return;
    }
    this.post({ type: 'kpis/loading', folder });
    const started = performance.now();
    try {
      const [{ analyzeRuns }, { LocalRunStore }, { FilteredRunStore }, { forKpiView }] = await Promise.all([
        import('../core/analysis/analyze'),
        import('../core/analysis/runStore'),
        import('../core/analysis/filteredRunStore'),
        import('../shared/kpiViewProtocol'),
      ]);
      const runs = new FilteredRunStore(new LocalRunStore(folder), this.filter);
      const { result } = await analyzeRuns([runs], { signal: abort.signal, concurrency: 4 });
      if (generation !== this.generation) return;
      this.facts = runs.facts;
      const analysisMs = performance.now() - started;
      this.log.info(`KPIs: ${result.kpis.length} runs analysed in ${analysisMs.toFixed(0)} ms (${folder})`);
      if (this.facts.length === 0) {
        this.post({ type: 'kpis/empty', folder, message: `No runs in ${folder} yet. Run a campaign (FastBench: Run Campaign…) and the KPIs appear here.` });
        return;
      }
      this.post({
        type: 'kpis/show',
        folder,
        filter: this.filter,
        options: { campaign: uniq(this.facts.map((f) => f.campaign)), machine: uniq(this.facts.map((f) => f.machine)), workflow: uniq(this.facts.map((f) => f.workflow)) },
        ...forKpiView(result),
        analysisMs,
      });
    } catch (e) {
      if (abort.signal.aborted) return;
      this.log.error(`KPIs: analysis of ${folder} failed: ${(e as Error).message}`);
      this.post({ type: 'kpis/empty', folder, message: `The analysis failed: ${(e as Error).message}` });
    }
  }

  private async onMessage(raw: unknown): Promise<void> {
    const { fromKpiViewSchema } = await import('../shared/kpiViewProtocol');
    const parsed = fromKpiViewSchema.safeParse(raw);
    if (!parsed.success) {
      this.log.warn(`KPI view sent an unexpected message: ${parsed.error.issues[0]?.message}`);
      return;
    }
    const msg = parsed.data;
    switch (msg.type) {
      case 'view/ready':
        this.ready = true;
        if (this.stale || !this.last) await this.analyse();
        else void this.view?.webview.postMessage(this.last);
        return;
      case 'view/error':
        this.log.error(`KPI view: ${msg.message}`);
        return;
      case 'kpis/filter':
        await this.setFilter(msg.filter);
        return;
      case 'kpis/reveal': {
        const wanted = new Set(msg.runIds);
        const folders = this.facts.filter((f) => wanted.has(f.run_id)).map((f) => f.folder);
        await this.host.revealRuns(folders, msg.label);
        return;
      }
      case 'kpis/shown':
        this.shown = msg.shown;
        this.log.info(`KPI view rendered ${msg.shown.table.length} verdict rows and ${msg.shown.charts.length} charts in ${msg.shown.renderMs.toFixed(1)} ms`);
        this.shownEmitter.fire(msg.shown);
        return;
    }
  }

  dispose(): void {
    this.abort?.abort();
    this.store.dispose();
  }
}

const KPI_CSS = `
  body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 4px 8px; }
  .filters { display: flex; flex-wrap: wrap; gap: 6px; margin: 4px 0 8px; }
  .filters label { display: flex; flex-direction: column; font-size: 11px; color: var(--vscode-descriptionForeground); }
  select { background: var(--vscode-dropdown-background); color: var(--vscode-dropdown-foreground); border: 1px solid var(--vscode-dropdown-border); padding: 2px; }
  table { border-collapse: collapse; width: 100%; margin: 4px 0 12px; }
  table.verdicts { font-size: 12px; }
  th, td { text-align: left; padding: 3px 5px 3px 0; vertical-align: top; border-bottom: 1px solid var(--vscode-widget-border, rgba(128,128,128,0.2)); }
  td .n, td .ci { display: block; font-size: 10px; color: var(--vscode-descriptionForeground); }
  th { color: var(--vscode-descriptionForeground); font-weight: normal; font-size: 11px; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
  tr.row { cursor: pointer; }
  tr.row:hover, tr.row:focus { background: var(--vscode-list-hoverBackground); outline: none; }
  tr.row:focus { outline: 1px solid var(--vscode-focusBorder); }
  .slower { color: var(--vscode-charts-red, #d62728); font-weight: 600; }
  .faster { color: var(--vscode-charts-green, #2ca02c); font-weight: 600; }
  .muted { color: var(--vscode-descriptionForeground); }
  .chart { position: relative; height: 220px; margin: 4px 0 12px; cursor: pointer; }
  h3 { font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; margin: 12px 0 4px; color: var(--vscode-descriptionForeground); }
  ul.flags { margin: 0; padding-left: 16px; }
  ul.flags li { cursor: pointer; }
  .error { color: var(--vscode-errorForeground); }
`;
