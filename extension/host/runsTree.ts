import path from 'node:path';
import * as vscode from 'vscode';
import { describeRun, listRuns, RUN_MANIFEST_FILE, type RunEntry } from '../core/runs/runFolders';
import { resolveRunsFolder } from '../core/runs/runsFolderLocation';
import type { Logger } from '../core/ports/logger';
import { DisposableStore } from './disposables';

export type RunsNode =
  | { kind: 'group'; name: string; runs: RunEntry[] }
  | { kind: 'entry'; entry: RunEntry }
  | { kind: 'empty'; folder: string };

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
  private refreshTimer: NodeJS.Timeout | undefined;
  /** Folders the view is limited to (from the KPI panel), with what they are; undefined = every run. */
  private only: { folders: Set<string>; label: string } | undefined;
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
    for (const glob of [`**/${RUN_MANIFEST_FILE}`, '*', '*/*']) {
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

  /** Limits the view to these run folders (e.g. the runs behind a KPI row); returns the nodes to reveal. */
  async showOnly(folders: string[], label: string): Promise<RunsNode[]> {
    this.only = { folders: new Set(folders.map((f) => path.normalize(f))), label };
    this.filterEmitter.fire(label);
    this.changed.fire(undefined);
    const found: RunsNode[] = [];
    for (const top of await this.getChildren()) {
      if (top.kind === 'entry') found.push(top);
      else if (top.kind === 'group') found.push(...(await this.getChildren(top)));
    }
    return found;
  }

  clearFilter(): void {
    if (!this.only) return;
    this.only = undefined;
    this.filterEmitter.fire(undefined);
    this.changed.fire(undefined);
  }

  get filterLabel(): string | undefined {
    return this.only?.label;
  }

  getParent(node: RunsNode): RunsNode | undefined {
    return this.parents.get(node);
  }

  /** Remembers a node's parent, for getParent() (which reveal() needs). */
  private node<N extends RunsNode>(node: N, parent?: RunsNode): N {
    if (parent) this.parents.set(node, parent);
    return node;
  }

  async getChildren(node?: RunsNode): Promise<RunsNode[]> {
    if (node?.kind === 'group') return node.runs.map((entry) => this.node({ kind: 'entry', entry }, node));
    if (node) return [];
    const folder = await this.runsFolder();
    if (!folder) return [];
    const only = this.only;
    const runs = (await listRuns(folder)).filter((r) => !only || only.folders.has(path.normalize(r.folder)));
    if (runs.length === 0) return [{ kind: 'empty', folder }];
    const nodes: RunsNode[] = [];
    const groups = new Map<string, RunEntry[]>();
    for (const run of runs) {
      if (run.group === null) {
        nodes.push(this.node({ kind: 'entry', entry: run }));
        continue;
      }
      let list = groups.get(run.group);
      if (!list) {
        list = [];
        groups.set(run.group, list);
        nodes.push(this.node({ kind: 'group', name: run.group, runs: list }));
      }
      list.push(run);
    }
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
      item.description = `${node.runs.length} run(s)`;
      item.iconPath = new vscode.ThemeIcon('folder-library');
      item.contextValue = 'campaign';
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
    item.description = describeRun(entry);
    item.tooltip = new vscode.MarkdownString(
      [
        `**${m.run_id}**`,
        `mode: ${m.mode}, cache: ${m.cache_policy}, workflow: ${m.workflow} #${m.repeat}`,
        `status: ${m.status}${m.reason ? ` — ${m.reason}` : ''}`,
        `started: ${m.started_at}${m.ended_at ? `, ended: ${m.ended_at}` : ''}`,
        `folder: ${path.normalize(entry.folder)}`,
      ].join('\n\n'),
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
