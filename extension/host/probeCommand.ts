import path from 'node:path';
import * as vscode from 'vscode';
import type { Logger } from '../core/ports/logger';
import { InputError, formatProblem } from '../core/validation/problems';
import type { Baseline } from '../shared/baseline';
import { CONFIG_FILE_NAME } from '../shared/names';
import { redactSecrets } from '../shared/secrets';
import type { SecretStore } from './secrets';
import { showError } from './errorToast';

export const RUN_PROBE_COMMAND = 'fastbench.runBaselineProbe';

async function findConfig(): Promise<vscode.Uri | undefined> {
  const found = await vscode.workspace.findFiles(`**/${CONFIG_FILE_NAME}`, '**/node_modules/**', 10);
  if (found.length <= 1) return found[0];
  const pick = await vscode.window.showQuickPick(
    found.map((u) => ({ label: vscode.workspace.asRelativePath(u), uri: u })),
    { title: 'FastBench: which config to probe with?' },
  );
  return pick?.uri;
}

/**
 * "FastBench: Run Baseline Probe": runs the probe of the workspace's fastbench.json with progress and
 * cancellation, the SAS from the secret store, and writes the baseline beside the config. The probe
 * code (systeminformation, Azure) is loaded on first use, never at activation.
 */
export function registerProbeCommand(context: vscode.ExtensionContext, log: Logger, secrets: SecretStore): vscode.Disposable {
  const disposable = vscode.commands.registerCommand(RUN_PROBE_COMMAND, async (): Promise<Baseline | undefined> => {
    try {
      const configUri = await findConfig();
      if (!configUri) {
        void showError(`FastBench: no ${CONFIG_FILE_NAME} in this workspace; the probe reads its NAS and Azure settings from it. Create one first.`);
        return undefined;
      }
      const { loadConfig } = await import('../core/config/configFile');
      const loaded = await loadConfig(configUri.fsPath);
      const sas = await secrets.get('fastbench.azure.sas');
      const outDir = path.join(loaded.dir, 'baseline');
      const { runProbe } = await import('../core/probe/probeRunner');
      const { writeBaselineOutputs } = await import('../core/probe/baselineOutputs');
      const baseline = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'FastBench: baseline probe', cancellable: true },
        async (progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          let shown = 0;
          const b = await runProbe({
            loaded,
            sas: { value: sas, source: 'the VS Code secret store' },
            signal: abort.signal,
            log,
            progress: (message, fraction) => {
              const increment = Math.max(0, fraction * 100 - shown);
              shown += increment;
              progress.report({ message, increment });
            },
          });
          writeBaselineOutputs(outDir, b, { chartJsRoots: [context.extensionPath] });
          return b;
        },
      );
      const summary = vscode.Uri.file(path.join(outDir, 'baseline_summary.txt'));
      const html = vscode.Uri.file(path.join(outDir, 'baseline.html'));
      const best =
        baseline.azure && !('error' in baseline.azure) && baseline.azure.best ? ` Azure best ${baseline.azure.best.MBps} MB/s (${baseline.azure.best.streams} streams).` : '';
      const text = baseline.problems.length
        ? `FastBench: baseline written with ${baseline.problems.length} problem(s): ${baseline.problems[0]}`
        : `FastBench: baseline written to ${vscode.workspace.asRelativePath(outDir)}.${best}`;
      const show = baseline.problems.length ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
      void show(text, 'Open Summary', 'Open Charts').then(async (choice) => {
        if (choice === 'Open Summary') await vscode.window.showTextDocument(summary);
        // In a webview, not a browser: a local file cannot be opened in one over Remote-SSH, WSL or code-server.
        if (choice === 'Open Charts') await vscode.commands.executeCommand('fastbench.openReport', html);
      });
      log.info(`baseline written to ${outDir} (${baseline.problems.length} problem(s))`);
      return baseline;
    } catch (e) {
      if (e instanceof InputError) {
        const first = e.problems.map(formatProblem)[0] ?? e.message;
        log.error(`probe: ${e.message}`);
        void showError(`FastBench: ${first}`);
        return undefined;
      }
      if ((e as Error).name === 'AbortError') {
        void vscode.window.showInformationMessage('FastBench: baseline probe cancelled.');
        return undefined;
      }
      const message = redactSecrets((e as Error).message ?? String(e));
      log.error(`probe: ${message}`);
      void showError(`FastBench: baseline probe failed: ${message}`);
      return undefined;
    }
  });
  context.subscriptions.push(disposable);
  return disposable;
}
