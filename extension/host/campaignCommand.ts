import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import { describePlan, PreflightError, runCampaign, type CampaignOutcome } from '../core/campaign/campaign';
import { preflight } from '../core/campaign/preflight';
import { loadConfig, runsFolderOf } from '../core/config/configFile';
import type { Logger } from '../core/ports/logger';
import { CONFIG_FILE_NAME } from '../shared/names';
import { startDriver } from './driverSession';

const fmtS = (s: number) => (s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 90 ? `${Math.round(s / 60)} min` : `${Math.round(s)} s`);

async function pickConfig(arg: unknown): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return arg;
  const found = await vscode.workspace.findFiles(`**/${CONFIG_FILE_NAME}`, '**/node_modules/**', 20);
  if (found.length === 1) return found[0];
  if (found.length === 0) {
    void vscode.window
      .showErrorMessage('FastBench: no fastbench.json in this workspace; a campaign needs one.', 'Create fastbench.json')
      .then((choice) => choice && vscode.commands.executeCommand('fastbench.createConfig'));
    return undefined;
  }
  const chosen = await vscode.window.showQuickPick(
    found.map((u) => ({ label: vscode.workspace.asRelativePath(u), uri: u })),
    { title: 'FastBench: which campaign config?' },
  );
  return chosen?.uri;
}

/**
 * "FastBench: Run Campaign…": the CLI's engine behind a confirmation that shows the plan (FastBench is about to
 * drive a desktop application; a quick pick) and a cancellable progress notification with an ETA. Cancel ends the current run
 * cleanly and leaves a campaign folder that `fastbench campaign --resume` carries on.
 */
export async function runCampaignFromVsCode(extensionUri: vscode.Uri, log: Logger, arg?: unknown): Promise<CampaignOutcome | undefined> {
  const uri = await pickConfig(arg);
  if (!uri) return undefined;
  const loaded = await loadConfig(uri.fsPath);
  const text = await readFile(uri.fsPath, 'utf8');
  const { plan, estimateS } = describePlan(loaded);
  const problems = await preflight(loaded, plan);
  if (problems.length) {
    log.error(problems.join('\n'));
    const open = await vscode.window.showErrorMessage(
      `FastBench: the campaign cannot start: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more, see the log)` : ''}`,
      'Open fastbench.json',
    );
    if (open) await vscode.window.showTextDocument(uri);
    return undefined;
  }
  // A quick pick, not a modal: keyboard-first, Escape cancels, and it shows where dialogs are refused (remote, web,
  // extension tests), like the other confirmations.
  const go = await vscode.window.showQuickPick(
    [
      {
        label: '$(run-all) Run Campaign',
        detail:
          'FastBench will launch the application, clear caches for Cold runs and drive the window with keys and clicks. Leave the mouse and keyboard alone until it ends; Cancel in the progress notification stops after the current run is closed.',
        go: true,
      },
      { label: 'Cancel', go: false },
    ],
    { title: `FastBench: run ${plan.length} runs (about ${fmtS(estimateS)}) of ${path.basename(loaded.config.target.executable)}?`, ignoreFocusOut: true },
  );
  if (!go?.go) return undefined;
  const runsRoot = runsFolderOf(loaded);
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'FastBench campaign', cancellable: true }, async (progress, token) => {
    const abort = new AbortController();
    token.onCancellationRequested(() => abort.abort());
    try {
      const outcome = await runCampaign({
        loaded,
        configText: text,
        runsRoot,
        startDriver: () => startDriver(extensionUri, log),
        env: process.env,
        toolEnv: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
        log,
        signal: abort.signal,
        progress: (p) => {
          const eta = p.etaS === null ? '' : ` — ${fmtS(p.etaS)} left`;
          progress.report({ message: `${p.done}/${p.total}${eta}: ${p.message}`, ...(p.result ? { increment: 100 / p.total } : {}) });
          log.info(p.result ? `${p.result.status}: ${p.result.folder}${p.result.reason ? ` (${p.result.reason})` : ''}` : p.message);
        },
      });
      const bad = outcome.results.filter((r) => r.status !== 'complete').length;
      const summary = `${outcome.results.length - bad} runs complete, ${bad} failed or aborted${outcome.interrupted ? ' (cancelled: resume with fastbench campaign --resume)' : ''}.`;
      void vscode.commands.executeCommand('fastbench.refreshRuns');
      if (bad)
        void vscode.window
          .showWarningMessage(`FastBench campaign: ${summary} Reasons are in each run.json and the log.`, 'Show Log')
          .then((a) => a && vscode.commands.executeCommand('fastbench.showLog'));
      else void vscode.window.showInformationMessage(`FastBench campaign: ${summary}`);
      return outcome;
    } catch (e) {
      if (e instanceof PreflightError) throw new Error(e.problems[0] ?? e.message);
      throw e;
    }
  });
}
