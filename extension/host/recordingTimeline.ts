import * as vscode from 'vscode';
import { describeEvent, eventAtOffset, formatSeconds, type RecordingOutline } from '../core/recording/recordingOutline';
import { DisposableStore } from './disposables';

// The side timeline of the recording in the active editor: one node per marker stretch (time, ⏱ to the next
// marker), its events under it with their times. It follows the cursor; clicking a node moves the cursor.

type Group = { kind: 'group'; label: string; from: number; to: number; t_ms: number; untilNextMs?: number; checkpoint: boolean };
type EventNode = { kind: 'event'; index: number; parent: Group };
export type TimelineNode = Group | EventNode;

type OutlineSource = { get(doc: vscode.TextDocument): RecordingOutline };
type RangeOf = (doc: vscode.TextDocument, span: { offset: number; length: number }) => vscode.Range;

export const TIMELINE_VIEW_ID = 'fastbench.recordingTimeline';

export class RecordingTimeline implements vscode.TreeDataProvider<TimelineNode>, vscode.Disposable {
  private readonly store = new DisposableStore();
  private readonly changed = this.store.add(new vscode.EventEmitter<void>());
  readonly onDidChangeTreeData = this.changed.event;
  private readonly view: vscode.TreeView<TimelineNode>;
  private doc: vscode.TextDocument | undefined;
  /** The nodes of the shown document's version: reveal() needs the very objects getChildren returned. */
  private nodes: { version: number; groups: Group[]; events: EventNode[] } | undefined;
  private follow: NodeJS.Timeout | undefined;

  constructor(
    private readonly outlines: OutlineSource,
    private readonly rangeOf: RangeOf,
  ) {
    this.view = this.store.add(vscode.window.createTreeView(TIMELINE_VIEW_ID, { treeDataProvider: this }));
    this.store.add(vscode.window.onDidChangeActiveTextEditor((e) => this.show(e)));
    this.store.add(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document === this.doc) this.changed.fire();
      }),
    );
    this.store.add(
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (e.textEditor.document !== this.doc) return;
        clearTimeout(this.follow);
        this.follow = setTimeout(() => void this.reveal(e.textEditor), 100);
      }),
    );
    this.store.add({ dispose: () => clearTimeout(this.follow) });
    this.show(vscode.window.activeTextEditor);
  }

  /** Moves the cursor to an event of the shown recording (a click on a node). */
  async revealEvent(index: number): Promise<void> {
    const doc = this.doc;
    const e = doc && this.outlines.get(doc).events[index];
    if (!doc || !e) return;
    const editor = await vscode.window.showTextDocument(doc, { preserveFocus: false });
    const range = this.rangeOf(doc, e);
    editor.selection = new vscode.Selection(range.start, range.start);
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  private show(editor: vscode.TextEditor | undefined): void {
    // Another editor (output, settings) leaves the last recording shown; only another recording replaces it.
    if (!editor || !editor.document.uri.path.endsWith('.fbrec.json')) return;
    this.doc = editor.document;
    this.nodes = undefined;
    this.view.description = editor.document.uri.path.split('/').pop();
    void vscode.commands.executeCommand('setContext', 'fastbench.recordingShown', true);
    this.changed.fire();
    void this.reveal(editor);
  }

  private build(): NonNullable<RecordingTimeline['nodes']> {
    const doc = this.doc!;
    if (this.nodes?.version === doc.version) return this.nodes;
    const outline = this.outlines.get(doc);
    const groups: Group[] = [];
    const firstMarker = outline.markers[0]?.index ?? outline.events.length;
    if (firstMarker > 0) groups.push({ kind: 'group', label: 'Start', from: 0, to: firstMarker - 1, t_ms: 0, checkpoint: false });
    for (const m of outline.markers)
      groups.push({ kind: 'group', label: m.name, from: m.index, to: m.lastIndex, t_ms: m.t_ms, untilNextMs: m.untilNextMs, checkpoint: m.checkpoint });
    const events: EventNode[] = [];
    for (const g of groups) for (let i = g.from; i <= g.to; i++) events.push({ kind: 'event', index: i, parent: g });
    this.nodes = { version: doc.version, groups, events };
    return this.nodes;
  }

  getChildren(node?: TimelineNode): TimelineNode[] {
    if (!this.doc) return [];
    const { groups, events } = this.build();
    if (!node) return groups;
    return node.kind === 'group' ? events.slice(node.from, node.to + 1) : [];
  }

  getParent(node: TimelineNode): TimelineNode | undefined {
    return node.kind === 'event' ? node.parent : undefined;
  }

  getTreeItem(node: TimelineNode): vscode.TreeItem {
    if (node.kind === 'group') {
      const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.Expanded);
      item.description = `at ${formatSeconds(node.t_ms)}${node.untilNextMs !== undefined ? ` · ${formatSeconds(node.untilNextMs)} to the next` : ''} · ${node.to - node.from + 1} event${node.to === node.from ? '' : 's'}`;
      item.iconPath = new vscode.ThemeIcon(node.label === 'Start' ? 'debug-start' : node.checkpoint ? 'pass' : 'bookmark');
      item.command = { title: 'Show in editor', command: 'fastbench.revealRecordingEvent', arguments: [node.from] };
      return item;
    }
    const outline = this.outlines.get(this.doc!);
    const e = outline.events[node.index]!;
    const item = new vscode.TreeItem(describeEvent(e), vscode.TreeItemCollapsibleState.None);
    item.description = e.t_ms !== undefined ? `${(e.t_ms / 1000).toFixed(3)} s` : 'no t_ms';
    if (outline.outOfOrder.includes(node.index)) item.iconPath = new vscode.ThemeIcon('warning');
    item.command = { title: 'Show in editor', command: 'fastbench.revealRecordingEvent', arguments: [node.index] };
    return item;
  }

  private async reveal(editor: vscode.TextEditor): Promise<void> {
    if (editor.document !== this.doc || !this.view.visible) return;
    const e = eventAtOffset(this.outlines.get(editor.document), editor.document.offsetAt(editor.selection.active));
    const node = e && this.build().events[e.index];
    if (node) await this.view.reveal(node, { select: true, focus: false, expand: true }).then(undefined, () => undefined);
  }

  /** The selected nodes' labels, as a person sees them (tests). */
  selection(): string[] {
    return this.view.selection.map((n) => String(this.getTreeItem(n).label));
  }

  dispose(): void {
    this.store.dispose();
  }
}
