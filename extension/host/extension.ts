import { performance } from 'node:perf_hooks';
import path from 'node:path';
import * as vscode from 'vscode';
import { channelLogger } from './logChannel';
import { showError } from './errorToast';
import { registerProbeCommand } from './probeCommand';
import { KpiViewProvider } from './kpiView';
import type { RecordArgs, RecordController } from './recordCommands';
import { RunsTreeProvider, type RunsNode } from './runsTree';
import { SecretStore, normaliseSas } from './secrets';
import type { RecordingValidation } from './validateRecordingCommand';
import type { RecordingEditorApi } from './recordingEditor';
import type { KpiFilter, KpiShown } from '../shared/kpiViewProtocol';
import type { RunShown } from '../shared/webviewProtocol';
import { runPanelShown } from './runPanelShown';
import { offerCliInTerminals } from './terminalCli';
import { CONFIG_FILE_NAME, RECORDING_FILE_SUFFIX } from '../shared/names';

// Modules that need zod and the schemas load on first use (import()), so activation evaluates none of them;
// esbuild.mjs fails the build if one becomes a static import of extension.ts.
const validation = () => import('./validateRecordingCommand');
import { redactSecrets } from '../shared/secrets';

// The bundle's evaluation is bracketed by esbuild's banner/footer (globalThis.__fastbenchLoad).
declare const globalThis: { __fastbenchLoad?: number[] };

/** A run folder from a command argument: a path, a URI or a Runs view node. */
function runFolderArg(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg instanceof vscode.Uri) return arg.fsPath;
  const node = arg as RunsNode | undefined;
  return node?.kind === 'entry' ? node.entry.folder : undefined;
}

/** What the extension hands to other extensions and to its own integration tests. */
export type FastbenchApi = {
  activationMs: number;
  moduleLoadMs: number;
  runsTree: {
    children(node?: RunsNode): Promise<RunsNode[]>;
    item(node: RunsNode): vscode.TreeItem;
    folder(): Promise<string | undefined>;
    /** The Runs view's message, description and selection, as a person sees them. */
    message(): string | undefined;
    description(): string | undefined;
    selection(): RunsNode[];
  };
  runPanel: { shown(folder: string): RunShown | undefined };
  kpis: { shown(): KpiShown | undefined; refresh(): Promise<void>; setFilter(filter: KpiFilter): Promise<void> };
  /** The recording editor, once a recording has been opened. */
  recordingEditor(): Promise<RecordingEditorApi> | undefined;
};

export async function activate(context: vscode.ExtensionContext): Promise<FastbenchApi> {
  const activateStarted = performance.now();
  const channel = vscode.window.createOutputChannel('FastBench', { log: true });
  context.subscriptions.push(channel);
  const log = channelLogger(channel, 'host');
  const secrets = new SecretStore(context.secrets);
  const diagnostics = vscode.languages.createDiagnosticCollection('fastbench');
  context.subscriptions.push(diagnostics);
  offerCliInTerminals(context);

  const runsTree = new RunsTreeProvider(channelLogger(channel, 'runs'));
  // Record/replay code (driver client, protocol schemas) loads on first use, not at activation.
  let recorder: RecordController | undefined;
  const recordController = async () => {
    if (!recorder) {
      const { RecordController } = await import('./recordCommands');
      recorder = new RecordController(context.extensionUri, channelLogger(channel, 'record'));
      context.subscriptions.push(recorder);
    }
    return recorder;
  };
  const runsView = vscode.window.createTreeView('fastbench.runs', { treeDataProvider: runsTree, showCollapseAll: true });
  context.subscriptions.push(runsTree, runsView);
  const setRunsFilterContext = (label: string | undefined) => {
    const what = label?.startsWith('runs matching') ? label : `the runs of ${label}`;
    runsView.message = label ? `Showing ${what}. "Clear Runs Filter" in the title bar shows all runs again.` : undefined;
    runsView.description = runsTree.textFilter !== undefined ? `filter: ${runsTree.textFilter}` : undefined;
    void vscode.commands.executeCommand('setContext', 'fastbench.runsFiltered', label !== undefined);
  };
  context.subscriptions.push(runsTree.onDidChangeFilter(setRunsFilterContext));

  const kpiView = new KpiViewProvider(
    context.extensionUri,
    {
      runsFolder: () => runsTree.runsFolder(),
      revealRuns: async (folders, label) => {
        const nodes = await runsTree.showOnly(folders, label);
        const first = nodes[0];
        if (first) await runsView.reveal(first, { select: true, focus: false, expand: true });
      },
    },
    channelLogger(channel, 'kpis'),
  );
  context.subscriptions.push(
    kpiView,
    vscode.window.registerWebviewViewProvider(KpiViewProvider.viewId, kpiView, { webviewOptions: { retainContextWhenHidden: false } }),
    runsTree.onDidChangeRuns(() => void kpiView.refresh()),
  );

  /** One error handler for every command: a readable message for the user, the detail in the log. */
  const command = <A extends unknown[], R>(id: string, fn: (...args: A) => Promise<R>) =>
    vscode.commands.registerCommand(id, async (...args: A) => {
      try {
        return await fn(...args);
      } catch (e) {
        const message = redactSecrets((e as Error).message ?? String(e));
        log.error(`${id}: ${message}`);
        void showError(`FastBench: ${message}`);
        return undefined;
      }
    });

  context.subscriptions.push(
    command('fastbench.validateRecording', async (arg?: unknown): Promise<RecordingValidation | undefined> => {
      const { pickRecording, validateRecording } = await validation();
      const uri = await pickRecording(arg);
      if (!uri) return undefined;
      const result = await validateRecording(uri, diagnostics, log);
      const name = path.basename(uri.fsPath);
      const syntax = result.problems[0];
      if (result.ok) void vscode.window.showInformationMessage(`${name} is a valid recording (${result.events} events).`);
      else if (result.syntaxShownByEditor && syntax)
        void vscode.window.showWarningMessage(
          `${name}: a JSON syntax error at line ${syntax.line}:${syntax.column} (${syntax.expected}), underlined in the editor. Fix it and validate again.`,
        );
      else
        void vscode.window
          .showWarningMessage(`${name}: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}, listed in the Problems panel.`, 'Show Problems')
          .then((c) => c && vscode.commands.executeCommand('workbench.actions.view.problems'));
      return result;
    }),
    command('fastbench.setAzureSas', async () => {
      const input = await vscode.window.showInputBox({
        title: 'FastBench: Azure SAS',
        prompt: 'Paste a SAS token or SAS URL for the container. It is kept in the OS secret store, never in files or logs.',
        password: true,
        ignoreFocusOut: true,
        validateInput: (v) => {
          if (v.trim() === '') return undefined;
          const checked = normaliseSas(v);
          return 'error' in checked ? checked.error : undefined;
        },
      });
      if (input === undefined) return false;
      if (input.trim() === '') {
        await secrets.delete('fastbench.azure.sas');
        void vscode.window.showInformationMessage('FastBench: Azure SAS removed from the secret store.');
        return true;
      }
      const result = normaliseSas(input);
      if ('error' in result) throw new Error(result.error);
      await secrets.store('fastbench.azure.sas', result.sas);
      log.info('Azure SAS stored in the secret store');
      void vscode.window.showInformationMessage('FastBench: Azure SAS stored in the OS secret store.');
      return true;
    }),
    command('fastbench.refreshRuns', async () => runsTree.refresh()),
    command('fastbench.clearRunsFilter', async () => runsTree.clearFilter()),
    command('fastbench.filterRuns', async (text?: string) => {
      const value =
        typeof text === 'string'
          ? text
          : await vscode.window.showInputBox({
              title: 'FastBench: Filter Runs',
              prompt: 'Words every shown run must contain: mode, cache policy, workflow, #repeat, status, campaign or run id (e.g. "B_fast cold scrub"). Empty shows all runs.',
              value: runsTree.textFilter ?? '',
            });
      if (value === undefined) return undefined;
      runsTree.setTextFilter(value);
      return runsTree.textFilter;
    }),
    command('fastbench.pushRuns', async (arg?: unknown) => {
      const node = arg as RunsNode | undefined;
      const folder = node?.kind === 'entry' ? node.entry.folder : node?.kind === 'group' ? node.source?.folder : await runsTree.runsFolder();
      if (!folder) throw new Error('this campaign has no folder of its own (its runs sit at the top of the runs folder): push the whole runs folder from the view title instead');
      const { pushRunsFromVsCode } = await import('./pushRunsCommand');
      return pushRunsFromVsCode(folder, node?.kind === 'group', context.workspaceState, secrets, channelLogger(channel, 'push'));
    }),
    command('fastbench.refreshKpis', async () => kpiView.refresh()),
    command('fastbench.openRun', async (arg?: unknown) => {
      const folder = runFolderArg(arg);
      if (!folder) return;
      const { RunDetailsPanel } = await import('./runDetailsPanel');
      RunDetailsPanel.show(context.extensionUri, folder, channelLogger(channel, 'run-details'));
    }),
    command('fastbench.compareRuns', async (a?: unknown, b?: unknown) => {
      const { pickRunsToCompare, runFolderOf } = await import('./compareCommand');
      // From the Runs view's context menu the second argument is the list of selected nodes.
      const second = Array.isArray(b) ? b.map(runFolderOf).find((f) => f && f !== runFolderOf(a)) : runFolderOf(b);
      const pair = await pickRunsToCompare(await runsTree.runsFolder(), runFolderOf(a), second);
      if (!pair) return false;
      const { RunDetailsPanel } = await import('./runDetailsPanel');
      RunDetailsPanel.compare(context.extensionUri, pair[0], pair[1], channelLogger(channel, 'compare'));
      return true;
    }),
    command('fastbench.openRunManifest', async (arg?: unknown) => {
      const folder = runFolderArg(arg);
      if (!folder) return undefined;
      const manifest = vscode.Uri.file(path.join(folder, 'run.json'));
      try {
        await vscode.window.showTextDocument(manifest);
        return 'file';
      } catch {
        // No run.json (an interrupted run): show the folder, which works remotely too.
        const { openRunFolder } = await import('./runFolderCommands');
        return openRunFolder(folder);
      }
    }),
    command('fastbench.openRunFolder', async (arg?: unknown) => {
      const folder = runFolderArg(arg);
      if (!folder) return undefined;
      const { openRunFolder } = await import('./runFolderCommands');
      return openRunFolder(folder);
    }),
    command('fastbench.deleteRun', async (arg?: unknown) => {
      const folder = runFolderArg(arg);
      if (!folder) return false;
      const { deleteRunFolder } = await import('./runFolderCommands');
      const item = arg && typeof arg === 'object' ? runsTree.getTreeItem(arg as RunsNode) : undefined;
      const deleted = await deleteRunFolder(folder, typeof item?.label === 'string' ? item.label : path.basename(folder));
      if (deleted) {
        log.info(`deleted run folder ${folder}`);
        runsTree.refresh();
      }
      return deleted;
    }),
    command('fastbench.analyseCampaign', async (arg?: unknown) => {
      const node = arg as RunsNode | undefined;
      const campaign = node?.kind === 'group' ? node.name : null;
      await vscode.commands.executeCommand('fastbench.kpis.focus');
      await kpiView.setFilter({ campaign, machine: null, workflow: null });
    }),
    command('fastbench.showLog', async () => channel.show()),
    command('fastbench.openWalkthrough', async () => vscode.commands.executeCommand('workbench.action.openWalkthrough', 'fastbench.fastbench#gettingStarted', false)),
    command('fastbench.analyseRuns', async () => {
      const { analyseRunsFromVsCode } = await import('./analyseRunsCommand');
      return analyseRunsFromVsCode(await runsTree.runsFolder(), context.extensionPath, channelLogger(channel, 'analyse'), async () => {
        await vscode.commands.executeCommand('fastbench.kpis.focus');
        await kpiView.setFilter({ campaign: null, machine: null, workflow: null });
      });
    }),
    command('fastbench.clearCacheCold', async (arg?: { mode?: 'A_shared' | 'B_fast'; confirm?: boolean }) => {
      const { clearCacheFromVsCode } = await import('./clearCacheCommand');
      return clearCacheFromVsCode(channelLogger(channel, 'cache'), arg);
    }),
    command('fastbench.tryStandinDemo', async (arg?: { args?: string[]; confirm?: boolean }) => {
      const { runStandinDemo } = await import('./standinDemoCommand');
      return runStandinDemo(context.extensionUri, channelLogger(channel, 'demo'), arg);
    }),
    command('fastbench.createConfig', async (arg?: { folder?: string; template?: 'petrel' | 'standin' }) => {
      const { createConfig } = await import('./createConfigCommand');
      const file = await createConfig(arg);
      if (file) await updateHasConfig();
      return file;
    }),
    command('fastbench.openReport', async (arg?: unknown) => {
      const { ReportPanel, pickReport } = await import('./reportPanel');
      const file = await pickReport(arg);
      if (!file) return false;
      await ReportPanel.show(file, channelLogger(channel, 'report'));
      return true;
    }),
    command('fastbench.runCampaign', async (arg?: unknown) => {
      // The engine (and the driver client it starts) loads on first use, not at activation.
      const { runCampaignFromVsCode } = await import('./campaignCommand');
      return runCampaignFromVsCode(context.extensionUri, channelLogger(channel, 'campaign'), arg);
    }),
    command('fastbench.record', async (args?: RecordArgs) => (await recordController()).start(args ?? {})),
    command('fastbench.stopRecording', async () => recorder?.stop()),
    command('fastbench.replayRecording', async (arg?: unknown, options?: { fromEvent?: number }) => {
      const uri = await (await validation()).pickRecording(arg);
      if (!uri) return undefined;
      const { replayRecording } = await import('./recordCommands');
      return replayRecording(context.extensionUri, uri, channelLogger(channel, 'replay'), options?.fromEvent);
    }),
  );

  // The recording editor (lenses, hovers, quick fixes, outline, live diagnostics, timeline) loads when the
  // first *.fbrec.json is open, not at activation.
  let recordingEditor: Promise<RecordingEditorApi> | undefined;
  const loadRecordingEditor = (doc: vscode.TextDocument) => {
    if (recordingEditor || !doc.uri.path.endsWith(RECORDING_FILE_SUFFIX)) return;
    recordingEditor = import('./recordingEditor').then((m) => {
      const editor = m.registerRecordingEditor(async (uri) => (await validation()).validateRecording(uri, diagnostics, log), channelLogger(channel, 'recording'));
      context.subscriptions.push(editor);
      return editor;
    });
  };
  context.subscriptions.push(
    vscode.workspace.onDidOpenTextDocument(loadRecordingEditor),
    command('fastbench.revealRecordingEvent', async (index: number) => (await recordingEditor)?.revealEvent(index)),
  );
  vscode.workspace.textDocuments.forEach(loadRecordingEditor);

  registerProbeCommand(context, channelLogger(channel, 'probe'), secrets);

  // First contact: with no fastbench.json the Runs view shows its welcome (package.json viewsWelcome).
  const updateHasConfig = async () => {
    const root = vscode.workspace.workspaceFolders?.[0]?.uri;
    const has = root
      ? await vscode.workspace.fs.stat(vscode.Uri.joinPath(root, CONFIG_FILE_NAME)).then(
          () => true,
          () => false,
        )
      : false;
    runsTree.setHasConfig(has);
    await vscode.commands.executeCommand('setContext', 'fastbench.hasConfig', has);
  };
  void updateHasConfig();
  const configWatcher = vscode.workspace.createFileSystemWatcher(`**/${CONFIG_FILE_NAME}`, false, true, false);
  context.subscriptions.push(
    configWatcher,
    configWatcher.onDidCreate(() => void updateHasConfig()),
    configWatcher.onDidDelete(() => void updateHasConfig()),
  );

  const [loadStart, loadEnd] = globalThis.__fastbenchLoad ?? [];
  const moduleLoadMs = loadStart !== undefined && loadEnd !== undefined ? loadEnd - loadStart : 0;
  const activationMs = moduleLoadMs + (performance.now() - activateStarted);
  log.info(`FastBench activated in ${activationMs.toFixed(1)} ms (module evaluation ${moduleLoadMs.toFixed(1)} ms)`);
  return {
    activationMs,
    moduleLoadMs,
    runsTree: {
      children: (n) => runsTree.getChildren(n),
      description: () => runsView.description,
      item: (n) => runsTree.getTreeItem(n),
      folder: () => runsTree.runsFolder(),
      message: () => runsView.message,
      selection: () => [...runsView.selection],
    },
    runPanel: { shown: (folder) => runPanelShown.get(folder) },
    kpis: { shown: () => kpiView.shown, refresh: () => kpiView.refresh(), setFilter: (f) => kpiView.setFilter(f) },
    recordingEditor: () => recordingEditor,
  };
}

export function deactivate(): void {}
