import { performance } from 'node:perf_hooks';
import path from 'node:path';
import * as vscode from 'vscode';
import { channelLogger } from './logChannel';
import { registerProbeCommand } from './probeCommand';
import type { RecordArgs, RecordController } from './recordCommands';
import { RunsTreeProvider, type RunsNode } from './runsTree';
import { SecretStore, normaliseSas } from './secrets';
import type { RecordingValidation } from './validateRecordingCommand';

// Modules that need zod and the schemas load on first use (import()), so activation evaluates none of them;
// esbuild.mjs fails the build if one becomes a static import of extension.ts.
const validation = () => import('./validateRecordingCommand');
import { RECORDING_FILE_SUFFIX } from '../shared/names';
import { redactSecrets } from '../shared/secrets';

// The bundle's evaluation is bracketed by esbuild's banner/footer (globalThis.__fastbenchLoad).
declare const globalThis: { __fastbenchLoad?: number[] };

/** What the extension hands to other extensions and to its own integration tests. */
export type FastbenchApi = {
  activationMs: number;
  /** The part of activationMs spent evaluating the bundle (the rest is activate() itself). */
  moduleLoadMs: number;
  runsTree: { children(node?: RunsNode): Promise<RunsNode[]>; item(node: RunsNode): vscode.TreeItem; folder(): Promise<string | undefined> };
};

export async function activate(context: vscode.ExtensionContext): Promise<FastbenchApi> {
  const activateStarted = performance.now();
  const channel = vscode.window.createOutputChannel('FastBench', { log: true });
  context.subscriptions.push(channel);
  const log = channelLogger(channel, 'host');
  const secrets = new SecretStore(context.secrets);
  const diagnostics = vscode.languages.createDiagnosticCollection('fastbench');
  context.subscriptions.push(diagnostics);

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
  context.subscriptions.push(runsTree, vscode.window.createTreeView('fastbench.runs', { treeDataProvider: runsTree, showCollapseAll: true }));

  /** One error handler for every command: a readable message for the user, the detail in the log. */
  const command = <A extends unknown[], R>(id: string, fn: (...args: A) => Promise<R>) =>
    vscode.commands.registerCommand(id, async (...args: A) => {
      try {
        return await fn(...args);
      } catch (e) {
        const message = redactSecrets((e as Error).message ?? String(e));
        log.error(`${id}: ${message}`);
        void vscode.window.showErrorMessage(`FastBench: ${message}`);
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
      if (result.ok) void vscode.window.showInformationMessage(`${name} is a valid recording (${result.events} events).`);
      else void vscode.window.showWarningMessage(`${name}: ${result.problems.length} problem(s), listed in the Problems panel.`);
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
    command('fastbench.openRun', async (folder?: unknown) => {
      if (typeof folder !== 'string') return;
      const { RunDetailsPanel } = await import('./runDetailsPanel');
      RunDetailsPanel.show(context.extensionUri, folder, channelLogger(channel, 'run-details'));
    }),
    command('fastbench.openRunManifest', async (folder?: unknown) => {
      if (typeof folder !== 'string') return;
      const manifest = vscode.Uri.file(path.join(folder, 'run.json'));
      try {
        await vscode.window.showTextDocument(manifest);
      } catch {
        await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(folder));
      }
    }),
    command('fastbench.showLog', async () => channel.show()),
    command('fastbench.runCampaign', async (arg?: unknown) => {
      // The engine (and the driver client it starts) loads on first use, not at activation.
      const { runCampaignFromVsCode } = await import('./campaignCommand');
      return runCampaignFromVsCode(context.extensionUri, channelLogger(channel, 'campaign'), arg);
    }),
    command('fastbench.record', async (args?: RecordArgs) => (await recordController()).start(args ?? {})),
    command('fastbench.stopRecording', async () => recorder?.stop()),
    command('fastbench.replayRecording', async (arg?: unknown) => {
      const uri = await (await validation()).pickRecording(arg);
      if (!uri) return undefined;
      const { replayRecording } = await import('./recordCommands');
      return replayRecording(context.extensionUri, uri, channelLogger(channel, 'replay'));
    }),
    vscode.workspace.onDidSaveTextDocument((doc) => {
      // Keep diagnostics current for recordings someone has validated or is editing.
      if (doc.uri.fsPath.endsWith(RECORDING_FILE_SUFFIX)) void validation().then((v) => v.validateRecording(doc.uri, diagnostics, log));
    }),
  );

  registerProbeCommand(context, channelLogger(channel, 'probe'), secrets);

  const [loadStart, loadEnd] = globalThis.__fastbenchLoad ?? [];
  const moduleLoadMs = loadStart !== undefined && loadEnd !== undefined ? loadEnd - loadStart : 0;
  const activationMs = moduleLoadMs + (performance.now() - activateStarted);
  log.info(`FastBench activated in ${activationMs.toFixed(1)} ms (module evaluation ${moduleLoadMs.toFixed(1)} ms)`);
  return {
    activationMs,
    moduleLoadMs,
    runsTree: { children: (n) => runsTree.getChildren(n), item: (n) => runsTree.getTreeItem(n), folder: () => runsTree.runsFolder() },
  };
}

export function deactivate(): void {}
