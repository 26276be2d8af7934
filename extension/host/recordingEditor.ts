import * as vscode from 'vscode';
import {
  clientPosition,
  describeEvent,
  eventAtOffset,
  formatSeconds,
  markerOf,
  outlineRecording,
  type OutlineEvent,
  type RecordingOutline,
} from '../core/recording/recordingOutline';
import { removeAfterStop, renumberEvent, sortEventsByTime, type TextEdit } from '../core/recording/recordingFixes';
import type { Logger } from '../core/ports/logger';
import { RECORDING_FILE_SUFFIX } from '../shared/names';
import { DisposableStore } from './disposables';
import { RecordingTimeline } from './recordingTimeline';

// The recording editor: CodeLens per marker, hovers, quick fixes, outline, live diagnostics and the timeline.
// The host only adapts: every fact comes from the core's outline of the text (core/recording/recordingOutline.ts).

const SELECTOR: vscode.DocumentSelector = { pattern: `**/*${RECORDING_FILE_SUFFIX}` };
const isRecording = (doc: vscode.TextDocument) => doc.uri.path.endsWith(RECORDING_FILE_SUFFIX);

/** Outlines by document version: lenses, hovers, symbols and the timeline all ask for the same one. */
class Outlines {
  private readonly cache = new Map<string, { version: number; outline: RecordingOutline }>();

  get(doc: vscode.TextDocument): RecordingOutline {
    const key = doc.uri.toString();
    const hit = this.cache.get(key);
    if (hit?.version === doc.version) return hit.outline;
    const outline = outlineRecording(doc.getText());
    this.cache.set(key, { version: doc.version, outline });
    return outline;
  }

  forget(doc: vscode.TextDocument): void {
    this.cache.delete(doc.uri.toString());
  }
}

const rangeOf = (doc: vscode.TextDocument, e: { offset: number; length: number }) => new vscode.Range(doc.positionAt(e.offset), doc.positionAt(e.offset + e.length));

function toWorkspaceEdit(doc: vscode.TextDocument, edit: TextEdit): vscode.WorkspaceEdit {
  const we = new vscode.WorkspaceEdit();
  we.replace(doc.uri, rangeOf(doc, edit), edit.text);
  return we;
}

export type RecordingEditorApi = { timelineSelection(): string[]; revealEvent(index: number): Promise<void> };

export function registerRecordingEditor(validate: (uri: vscode.Uri) => Promise<unknown>, log: Logger): vscode.Disposable & RecordingEditorApi {
  const store = new DisposableStore();
  const outlines = new Outlines();

  const providers = [
    vscode.languages.registerCodeLensProvider(SELECTOR, {
      provideCodeLenses(doc) {
        const outline = outlines.get(doc);
        const lenses: vscode.CodeLens[] = [];
        const first = outline.events[0];
        if (first) {
          const at = rangeOf(doc, first);
          const n = outline.events.length;
          lenses.push(
            new vscode.CodeLens(at, {
              title: `${n} event${n === 1 ? '' : 's'} · ${formatSeconds(outline.durationMs)} · ${outline.markers.length} marker${outline.markers.length === 1 ? '' : 's'}`,
              command: '',
            }),
            new vscode.CodeLens(at, { title: '▶ Replay', command: 'fastbench.replayRecording', arguments: [doc.uri] }),
          );
        }
        for (const m of outline.markers) {
          const at = rangeOf(doc, outline.events[m.index]!);
          const next = outline.markers.find((n) => n.index > m.index);
          lenses.push(
            new vscode.CodeLens(at, { title: '▶ Replay from here', command: 'fastbench.replayRecording', arguments: [doc.uri, { fromEvent: m.index }] }),
            new vscode.CodeLens(at, {
              // A codicon, not the ⏱ emoji: it renders in every font (headless Chromium's has no ⏱).
              title: `$(watch) ${formatSeconds(m.untilNextMs)}`,
              tooltip: next ? `Time from ${m.name} to the next marker, ${next.name}` : `Time from ${m.name} to the last event`,
              command: '',
            }),
          );
        }
        return lenses;
      },
    }),
    vscode.languages.registerHoverProvider(SELECTOR, {
      provideHover(doc, position) {
        const outline = outlines.get(doc);
        const e = eventAtOffset(outline, doc.offsetAt(position));
        if (!e) return undefined;
        const md = new vscode.MarkdownString();
        const previous = outline.events[e.index - 1];
        const t = e.t_ms !== undefined ? `t = ${(e.t_ms / 1000).toFixed(3)} s` : 't_ms missing';
        const delta =
          e.t_ms !== undefined && previous?.t_ms !== undefined ? ` (${e.t_ms - previous.t_ms >= 0 ? '+' : ''}${e.t_ms - previous.t_ms} ms after the previous event)` : '';
        md.appendMarkdown(`**events[${e.index}]** ${escape(describeEvent(e))}  \n${t}${delta}`);
        const where = clientPosition(e, outline.client);
        if (where) md.appendMarkdown(`  \nClient position: ${escape(where)}`);
        const marker = markerOf(outline, e.index);
        if (marker) md.appendMarkdown(`  \nIn the stretch from marker **${escape(marker.name)}** (${formatSeconds(marker.untilNextMs)} to the next)`);
        if (outline.outOfOrder.includes(e.index)) md.appendMarkdown(`  \n$(warning) Earlier than an event before it: replay would send it at once, out of order.`);
        md.supportThemeIcons = true;
        return new vscode.Hover(md, rangeOf(doc, e));
      },
    }),
    vscode.languages.registerCodeActionsProvider(
      SELECTOR,
      {
        provideCodeActions(doc, range, context) {
          const outline = outlines.get(doc);
          const text = doc.getText();
          const from = doc.offsetAt(range.start);
          const to = doc.offsetAt(range.end);
          const touches = (e: OutlineEvent | undefined) => !!e && e.offset <= to && from <= e.offset + e.length;
          const ours = (code: string) => context.diagnostics.filter((d) => d.source === 'FastBench' && d.code === code);
          const actions: vscode.CodeAction[] = [];
          const action = (title: string, edit: TextEdit | undefined, diagnostics: vscode.Diagnostic[], preferred = false) => {
            if (!edit) return;
            const a = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
            a.edit = toWorkspaceEdit(doc, edit);
            a.diagnostics = diagnostics;
            a.isPreferred = preferred;
            actions.push(a);
          };
          const late = outline.outOfOrder.find((i) => touches(outline.events[i]));
          if (late !== undefined) {
            const diags = ours('t_ms-order');
            action(`Sort all ${outline.events.length} events by t_ms`, sortEventsByTime(text, outline), diags, true);
            const renumber = renumberEvent(outline, late);
            if (renumber) action(`Set t_ms to ${renumber.text} (the latest time before it)`, renumber, diags);
          }
          if (outline.stop && touches(outline.events[outline.stop.index])) {
            const { key, after } = outline.stop;
            action(`Remove ${key} and the ${after} event${after === 1 ? '' : 's'} after it`, removeAfterStop(outline), ours('after-stop'), true);
          }
          return actions;
        },
      },
      { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] },
    ),
    vscode.languages.registerDocumentSymbolProvider(
      SELECTOR,
      {
        provideDocumentSymbols(doc) {
          const outline = outlines.get(doc);
          const { events, markers } = outline;
          const symbol = (name: string, detail: string, from: number, to: number, children: boolean) => {
            const first = events[from]!;
            const last = events[to]!;
            const s = new vscode.DocumentSymbol(
              name,
              detail,
              vscode.SymbolKind.Event,
              new vscode.Range(doc.positionAt(first.offset), doc.positionAt(last.offset + last.length)),
              rangeOf(doc, first),
            );
            if (children)
              for (let i = from + 1; i <= to; i++) {
                const e = events[i]!;
                s.children.push(new vscode.DocumentSymbol(describeEvent(e), e.t_ms !== undefined ? `${e.t_ms} ms` : '', vscode.SymbolKind.Field, rangeOf(doc, e), rangeOf(doc, e)));
              }
            return s;
          };
          const symbols: vscode.DocumentSymbol[] = [];
          const firstMarker = markers[0]?.index ?? events.length;
          if (firstMarker > 0) symbols.push(symbol('(before the first marker)', `${firstMarker} event${firstMarker === 1 ? '' : 's'}`, 0, firstMarker - 1, true));
          for (const m of markers) symbols.push(symbol(m.name, `at ${formatSeconds(m.t_ms)} · ${formatSeconds(m.untilNextMs)} to the next`, m.index, m.lastIndex, true));
          return symbols;
        },
      },
      { label: 'FastBench markers' },
    ),
  ];
  providers.forEach((p) => store.add(p));

  // Diagnostics follow the text as it is typed (debounced), not only on save.
  const timers = new Map<string, NodeJS.Timeout>();
  const revalidate = (doc: vscode.TextDocument, delayMs: number) => {
    if (!isRecording(doc)) return;
    const key = doc.uri.toString();
    clearTimeout(timers.get(key));
    timers.set(
      key,
      setTimeout(() => {
        timers.delete(key);
        validate(doc.uri).catch((e: Error) => log.warn(`validating ${doc.uri.fsPath}: ${e.message}`));
      }, delayMs),
    );
  };
  const timeline = store.add(new RecordingTimeline(outlines, rangeOf));
  store.add(vscode.workspace.onDidOpenTextDocument((doc) => revalidate(doc, 0)));
  store.add(vscode.workspace.onDidChangeTextDocument((e) => revalidate(e.document, 300)));
  store.add(vscode.workspace.onDidSaveTextDocument((doc) => revalidate(doc, 0)));
  store.add(vscode.workspace.onDidCloseTextDocument((doc) => outlines.forget(doc)));
  store.add({ dispose: () => timers.forEach((t) => clearTimeout(t)) });
  for (const doc of vscode.workspace.textDocuments) revalidate(doc, 0);

  return { dispose: () => store.dispose(), timelineSelection: () => timeline.selection(), revealEvent: (i) => timeline.revealEvent(i) };
}

// Only what would start markup in these short texts (marker names are free text).
const escape = (s: string) => s.replace(/[\\`*_[\]<>|]/g, '\\$&');

export type { Outlines };
