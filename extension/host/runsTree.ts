import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import type { RunEntry, RunGroup } from '../core/runs/runFolders';
import type { Logger } from '../core/ports/logger';
import { CONFIG_FILE_NAME } from '../shared/names';
import { DisposableStore } from './disposables';

type Run = Extract<RunEntry, { kind: 'run' }>;

/** campaign → mode → cache policy → run; broken runs (no readable run.json) at the top with their reason. */
export type RunsNode =
  /** A campaign: runs grouped by campaign_id, or a campaign folder whose runs load when it expands (source). */
  | { kind: 'group'; name: string; runs?: Run[]; broken?: RunEntry[]; source?: RunGroup; count: number }
  | { kind: 'mode'; campaign: string; mode: string; runs: Run[] }
  | { kind: 'policy'; campaign: string; mode: string; policy: string; runs: Run[] }
  | { kind: 'entry'; entry: RunEntry }
  | { kind: 'empty'; folder: string };

const NO_CAMPAIGN = 'runs without a campaign';
const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** Every whitespace-separated word of the filter, case-insensitive, somewhere in what the run is. */
export function runMatches(run: Run, filter: string): boolean {
  const m = run.manifest;
  const hay = [m.mode, m.cache_policy, m.workflow, `#${m.repeat}`, m.status, m.campaign_id ?? '', run.group ?? '', m.run_id, run.name, m.warmup ? 'warm-up' : '']
    .join(' ')
    .toLowerCase();
  return filter
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((w) => hay.includes(w));
}

/** Groups in first-seen order (runs come newest first). */
function groupBy<K>(runs: Run[], key: (r: Run) => K): Map<K, Run[]> {
  const out = new Map<K, Run[]>();
  for (const r of runs) {
    const k = key(r);
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
}

/** The run's headline figure for the tree: project open and the workflow's time, from markers.tsv. */
async function headlineOf(run: Run): Promise<string> {
  try {
    const [{ parseMarkersTsv }, { markerTimes }] = await Promise.all([import('../core/runs/markersFile'), import('../core/analysis/markersStream')]);
    const rows = parseMarkersTsv('markers.tsv', await readFile(path.join(run.folder, 'markers.tsv'), 'utf8'));
    const d = markerTimes(rows, run.manifest.workflow).durations;
    const parts: string[] = [];
    if (d.open_time_s !== null) parts.push(`open ${d.open_time_s.toFixed(1)} s`);
    const work = d.scrub_time_s ?? d.attr_time_s ?? d.horizon_time_s ?? d.export_time_s;
    if (work !== null) parts.push(`${run.manifest.workflow.replace(/^W_/, '')} ${work.toFixed(1)} s`);
    return parts.join(' · ');
  } catch {
    return '';
  }
}

const STATUS_ICONS: Record<string, vscode.ThemeIcon> = {
  complete: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  running: new vscode.ThemeIcon('sync~spin'),
  aborted: new vscode.ThemeIcon('debug-stop', new vscode.ThemeColor('testing.iconSkipped')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
};

/** The Runs view: one node per run folder (grouped by campaign), broken runs shown with their reason. */
export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly store = new DisposableStore();
  private watcher: DisposableStore | undefined;
  private folder: string | undefined;
  private runFolders: typeof import('../core/runs/runFolders') | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  /** Folders the view is limited to (from the KPI panel), with what they are; undefined = every run. */
  private only: { folders: Set<string>; label: string } | undefined;
  /** "Filter Runs…": words every shown run must contain (mode, policy, workflow, status, campaign, id). */
  private text: string | undefined;
  private readonly parents = new WeakMap<RunsNode, RunsNode>();
  private readonly filterEmitter = new vscode.EventEmitter<string | undefined>();
  /** Fires with the filter's label when the view is limited to some runs, undefined when it shows all again. */
  readonly onDidChangeFilter = this.filterEmitter.event;
  private readonly runsEmitter = new vscode.EventEmitter<void>();
  /** Fires when run folders appear, change or go, or the runs folder moves (not for filter changes). */
  readonly onDidChangeRuns = this.runsEmitter.event;

  constructor(private readonly log: Logger) {
    this.store.add(this.changed);
    this.store.add(this.filterEmitter);
    this.store.add(this.runsEmitter);
    this.store.add(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('fastbench.runsFolder')) void this.relocate();
      }),
    );
  }

  /** The folder being shown, resolved from settings and the workspace's fastbench.json. */
  async runsFolder(): Promise<string | undefined> {
    if (this.folder === undefined) await this.relocate();
    return this.folder;
  }

  private async relocate(): Promise<void> {
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (!root) {
      this.folder = undefined;
      return;
    }
    const setting = vscode.workspace.getConfiguration('fastbench').get<string>('runsFolder', '');
    // Run folders are read with zod schemas: loaded when the view first needs them, not at activation.
    const { resolveRunsFolder } = await import('../core/runs/runsFolderLocation');
    this.runFolders ??= await import('../core/runs/runFolders');
    const folder = await resolveRunsFolder(root, setting, this.log);
    if (folder !== this.folder) {
      this.folder = folder;
      this.watch(folder);
      this.log.info(`Runs view shows ${folder}`);
    }
    this.changed.fire(undefined);
    this.runsEmitter.fire();
  }

  private watch(folder: string): void {
    this.watcher?.dispose();
    this.watcher = new DisposableStore();
    const base = vscode.Uri.file(folder);
    // run.json anywhere below (status changes), and folders appearing or going at the top two levels.
    for (const glob of [`**/${this.runFolders!.RUN_MANIFEST_FILE}`, '*', '*/*']) {
      const w = this.watcher.add(vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(base, glob)));
      const poke = () => this.scheduleRefresh();
      this.watcher.add(w.onDidCreate(poke));
      this.watcher.add(w.onDidChange(poke));
      this.watcher.add(w.onDidDelete(poke));
    }
  }

  /** Coalesces bursts of file events (a run writes several files at once) into one refresh. */
  scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.changed.fire(undefined);
      this.runsEmitter.fire();
    }, 200);
  }

  refresh(): void {
    void this.relocate();
  }

  private hasConfig: boolean | undefined;

  /** Without a fastbench.json and without runs the view is empty, so VS Code shows its welcome content. */
  setHasConfig(has: boolean): void {
    if (has === this.hasConfig) return;
    this.hasConfig = has;
    this.changed.fire(undefined);
  }

  private async configExists(): Promise<boolean> {
    const root = vscode.workspace.workspaceFolders?.[0]?.uri;
    if (!root) return false;
    return vscode.workspace.fs.stat(vscode.Uri.joinPath(root, CONFIG_FILE_NAME)).then(
      () => true,
      () => false,
    );
  }

  /** Limits the view to these run folders (e.g. the runs behind a KPI row); returns the nodes to reveal. */
  async showOnly(folders: string[], label: string): Promise<RunsNode[]> {
    this.only = { folders: new Set(folders.map((f) => path.normalize(f))), label };
    this.filterEmitter.fire(this.filterLabel);
    this.changed.fire(undefined);
    const found: RunsNode[] = [];
    const visit = async (nodes: RunsNode[]) => {
      for (const n of nodes) {
        if (n.kind === 'entry') found.push(n);
        else if (n.kind !== 'empty') await visit(await this.getChildren(n));
      }
    };
    await visit(await this.getChildren());
    return found;
  }

  clearFilter(): void {
    if (!this.only && this.text === undefined) return;
    this.only = undefined;
    this.text = undefined;
    this.filterEmitter.fire(undefined);
    this.changed.fire(undefined);
  }

  /** Sets (or with '' clears) the text filter of "Filter Runs…". */
  setTextFilter(text: string): void {
    const t = text.trim();
    this.text = t === '' ? undefined : t;
    this.filterEmitter.fire(this.filterLabel);
    this.changed.fire(undefined);
  }

  get textFilter(): string | undefined {
    return this.text;
  }

  get filterLabel(): string | undefined {
    const parts = [this.only?.label, this.text !== undefined ? `runs matching "${this.text}"` : undefined].filter(Boolean);
    return parts.length ? parts.join(', ') : undefined;
  }

  private shown(run: Run): boolean {
    return (!this.only || this.only.folders.has(path.normalize(run.folder))) && (this.text === undefined || runMatches(run, this.text));
  }

  private get filtering(): boolean {
    return this.only !== undefined || this.text !== undefined;
  }

  /** A campaign folder's runs, read the first time it is needed (expanded, filtered or revealed). */
  private async load(node: Extract<RunsNode, { kind: 'group' }>): Promise<{ runs: Run[]; broken: RunEntry[] }> {
    if (!node.runs) {
      const all = await this.runFolders!.listGroupRuns(node.source!);
      node.runs = all.filter((r): r is Run => r.kind === 'run');
      node.broken = all.filter((r) => r.kind === 'broken');
      // Listed, subfolders were counted; read, folders that are no run (analysis/) drop out of the count.
      if (all.length !== node.count) {
        node.count = all.length;
        this.changed.fire(node);
      }
    }
    return { runs: node.runs.filter((r) => this.shown(r)), broken: this.only ? [] : (node.broken ?? []) };
  }

  getParent(node: RunsNode): RunsNode | undefined {
    return this.parents.get(node);
  }

  /** Remembers a node's parent, for getParent() (which reveal() needs). */
  private node<N extends RunsNode>(node: N, parent?: RunsNode): N {
    if (parent) this.parents.set(node, parent);
    return node;
  }

  /** Headline figures read so far, by run folder (filled lazily as policy nodes expand). */
  private readonly headlines = new Map<string, string>();

  async getChildren(node?: RunsNode): Promise<RunsNode[]> {
    // Children are made when a node expands: the headline figures (markers.tsv) only for the runs being shown.
    if (node?.kind === 'group') {
      const { runs, broken } = await this.load(node);
      return [
        ...[...groupBy(runs, (r) => r.manifest.mode)].map(([mode, list]) => this.node({ kind: 'mode', campaign: node.name, mode, runs: list }, node)),
        ...broken.map((entry) => this.node({ kind: 'entry', entry }, node)),
      ];
    }
    if (node?.kind === 'mode') {
      return [...groupBy(node.runs, (r) => r.manifest.cache_policy)].map(([policy, runs]) =>
        this.node({ kind: 'policy', campaign: node.campaign, mode: node.mode, policy, runs }, node),
      );
    }
    if (node?.kind === 'policy') {
      await Promise.all(node.runs.filter((r) => !this.headlines.has(r.folder)).map(async (r) => this.headlines.set(r.folder, await headlineOf(r))));
      return node.runs.map((entry) => this.node({ kind: 'entry', entry }, node));
    }
    if (node) return [];
    const folder = await this.runsFolder();
    if (!folder) return [];
    // Only the top level is read here: campaign folders are listed, their run.json files read when they expand.
    const top = await this.runFolders!.listRunsTop(folder);
    this.headlines.clear();
    if (top.entries.length === 0 && top.groups.length === 0) return (this.hasConfig ?? (await this.configExists())) ? [{ kind: 'empty', folder }] : [];
    const runs = top.entries.filter((r): r is Run => r.kind === 'run');
    const nodes: RunsNode[] = [...groupBy(runs, (r) => r.manifest.campaign_id ?? NO_CAMPAIGN)]
      .filter(([, list]) => list.some((r) => this.shown(r)))
      .map(([name, list]) => this.node({ kind: 'group', name, runs: list, broken: [], count: list.length }));
    // Campaign folders are usually named by their start time: newest first.
    const folders = [...top.groups]
      .sort((a, b) => b.name.localeCompare(a.name))
      .map((g): RunsNode => this.node({ kind: 'group', name: g.name, source: g, count: g.runFolders.length }));
    if (this.filtering) {
      // A filter needs the runs to decide: read the campaigns and keep those with a run shown.
      const kept = await Promise.all(folders.map(async (g) => ((await this.load(g as Extract<RunsNode, { kind: 'group' }>)).runs.length ? g : undefined)));
      nodes.push(...kept.filter((g): g is RunsNode => g !== undefined));
    } else nodes.push(...folders);
    if (!this.filtering) for (const broken of top.entries.filter((r) => r.kind === 'broken')) nodes.push(this.node({ kind: 'entry', entry: broken }));
    return nodes;
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    if (node.kind === 'empty') {
      const item = new vscode.TreeItem('No runs yet');
      item.description = node.folder;
      item.tooltip = `No run folders in ${node.folder}. Runs appear here as a campaign writes them.`;
      item.iconPath = new vscode.ThemeIcon('info');
      return item;
    }
    if (node.kind === 'group') {
      const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `campaign:${node.name}`;
      const started = (node.runs ?? []).map((r) => r.manifest.started_at).sort();
      const shown = this.filtering && node.runs ? node.runs.filter((r) => this.shown(r)).length : undefined;
      item.description = shown !== undefined ? `${shown} of ${plural(node.count, 'run')}` : plural(node.count, 'run');
      item.tooltip = `${node.name}: ${plural(node.count, 'run')}${started.length ? `, ${new Date(started[0]!).toLocaleString()} – ${new Date(started.at(-1)!).toLocaleString()}` : ''}${node.source ? `\n${node.source.folder}` : ''}`;
      item.iconPath = new vscode.ThemeIcon('folder-library');
      item.contextValue = 'campaign';
      return item;
    }
    if (node.kind === 'mode') {
      const item = new vscode.TreeItem(node.mode, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `mode:${node.campaign}/${node.mode}`;
      item.description = plural(node.runs.length, 'run');
      item.tooltip = node.mode === 'A_shared' ? 'A_shared: data on the NAS share' : node.mode === 'B_fast' ? 'B_fast: data through the FAST cache from Azure Blob' : node.mode;
      item.iconPath = new vscode.ThemeIcon(node.mode === 'B_fast' ? 'cloud' : 'server');
      item.contextValue = 'mode';
      return item;
    }
    if (node.kind === 'policy') {
      const item = new vscode.TreeItem(node.policy, vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `policy:${node.campaign}/${node.mode}/${node.policy}`;
      const failed = node.runs.filter((r) => r.manifest.status !== 'complete').length;
      item.description = `${plural(node.runs.length, 'run')}${failed ? ` · ${failed} not complete` : ''}`;
      item.tooltip = node.policy === 'Cold' ? 'Cold: caches emptied before each run' : node.policy === 'Warm' ? 'Warm: data read once before the run' : node.policy;
      item.iconPath = new vscode.ThemeIcon(node.policy === 'Cold' ? 'snowflake' : 'flame');
      item.contextValue = 'policy';
      return item;
    }
    const { entry } = node;
    const item = new vscode.TreeItem(entry.name);
    item.resourceUri = vscode.Uri.file(entry.folder);
    item.id = entry.folder;
    if (entry.kind === 'broken') {
      item.description = `broken: ${entry.reason}`;
      item.tooltip = new vscode.MarkdownString(`**${entry.name}** cannot be read.\n\n${entry.reason}`);
      item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
      item.contextValue = 'brokenRun';
      item.command = { command: 'fastbench.openRunManifest', title: 'Open run.json', arguments: [entry.folder] };
      return item;
    }
    const m = entry.manifest;
    item.label = `${m.mode} · ${m.cache_policy} · ${m.workflow} #${m.repeat}`;
    const figures = this.headlines.get(entry.folder) ?? '';
    const status = m.status === 'complete' ? '' : `${m.status}${m.reason ? ` (${m.reason})` : ''}`;
    item.description = [figures, status, m.warmup ? 'warm-up' : ''].filter(Boolean).join(' · ');
    item.tooltip = new vscode.MarkdownString(
      [
        `**${m.mode} · ${m.cache_policy} · ${m.workflow} #${m.repeat}**${m.warmup ? ' (warm-up)' : ''}`,
        `started ${new Date(m.started_at).toLocaleString()}${m.ended_at ? `, took ${((Date.parse(m.ended_at) - Date.parse(m.started_at)) / 1000).toFixed(0)} s` : ''}`,
        `status: ${m.status}${m.reason ? ` — ${m.reason}` : ''}`,
        figures ? `headline: ${figures}` : '',
        `run id: ${m.run_id}`,
        `folder: ${path.normalize(entry.folder)}`,
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
    item.iconPath = STATUS_ICONS[m.status] ?? new vscode.ThemeIcon('circle-outline');
    item.contextValue = 'run';
    item.command = { command: 'fastbench.openRun', title: 'Show Run', arguments: [entry.folder] };
    return item;
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    this.watcher?.dispose();
    this.store.dispose();
  }
}
