import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import type { Logger } from '../core/ports/logger';
import { standinHome } from '../standin/volume/standinPaths';

// "Try the stand-in demo": `fastbench standin demo` (the CLI bundled with the extension) as a VS Code task, so its
// output and Ctrl-C live in a terminal; a progress notification with Cancel ends the task too. At the end it offers
// the report and the demo's runs in the Runs and KPIs views.

export type DemoArgs = { args?: string[]; confirm?: boolean };
export type DemoOutcome = { exitCode: number | undefined; runsFolder: string; report: string | undefined };

/** The newest analysis/report.html under the stand-in's runs folder (the demo's campaign folder holds one). */
async function newestReport(runsFolder: string): Promise<string | undefined> {
  const names = await readdir(runsFolder).catch(() => [] as string[]);
  let best: { file: string; at: number } | undefined;
  for (const name of names) {
    const file = path.join(runsFolder, name, 'analysis', 'report.html');
    const at = await stat(file).then(
      (s) => s.mtimeMs,
      () => undefined,
    );
    if (at !== undefined && (!best || at > best.at)) best = { file, at };
  }
  return best?.file;
}

export async function runStandinDemo(extensionUri: vscode.Uri, log: Logger, arg: DemoArgs = {}): Promise<DemoOutcome | undefined> {
  if (process.platform !== 'linux')
    throw new Error(
      'the stand-in demo runs on Linux (its viewer is an X11 program and its NAS and FAST are sshfs and FUSE mounts); on Windows, run a campaign against Petrel instead',
    );
  const cli = vscode.Uri.joinPath(extensionUri, 'dist', 'cli.js').fsPath;
  if (!existsSync(cli)) throw new Error(`the FastBench CLI is missing (${cli}); rebuild the extension (npm run build) or reinstall it`);
  if (arg.confirm !== false) {
    const picked = await vscode.window.showQuickPick(
      [
        {
          label: '$(beaker) Run the demo',
          detail: 'Starts its own NAS (sshd + sshfs), FAST-like cache (FUSE) and Azurite under ~/.fastbench/standin and a private Xvfb, runs the campaign, analyses it.',
          go: true,
        },
        { label: 'Cancel', go: false },
      ],
      {
        title: 'FastBench: run the stand-in demo? About 6 minutes on 2 cores',
        placeHolder: 'To stop it: Cancel in its progress notification, or Ctrl-C in its terminal',
        ignoreFocusOut: true,
      },
    );
    if (!picked?.go) return undefined;
  }
  const home = standinHome();
  const runsFolder = path.join(home, 'runs');
  const electron = Boolean(process.versions.electron);
  const execution = new vscode.ProcessExecution(process.execPath, [cli, 'standin', 'demo', ...(arg.args ?? [])], {
    // Electron's Node runs our scripts as Node; plain Node (code-server, the lane) needs nothing.
    env: electron ? { ELECTRON_RUN_AS_NODE: '1' } : {},
    cwd: home && existsSync(home) ? home : undefined,
  });
  const task = new vscode.Task({ type: 'fastbench', task: 'standin-demo' }, vscode.TaskScope.Workspace, 'stand-in demo', 'FastBench', execution);
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true };
  log.info(`stand-in demo: ${process.execPath} ${cli} standin demo ${(arg.args ?? []).join(' ')}`);

  const exitCode = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'FastBench: stand-in demo running (output in its terminal)', cancellable: true },
    async (_progress, token) => {
      // Listen before starting: a task that ends at once must still end the progress.
      let running: vscode.TaskExecution | undefined;
      const ended: { execution: vscode.TaskExecution; exitCode: number | undefined }[] = [];
      let settle: ((code: number | undefined) => void) | undefined;
      const done = vscode.tasks.onDidEndTaskProcess((e) => {
        if (running && e.execution === running) settle?.(e.exitCode);
        else ended.push({ execution: e.execution, exitCode: e.exitCode });
      });
      try {
        running = await vscode.tasks.executeTask(task);
        const exec = running;
        return await new Promise<number | undefined>((resolve) => {
          settle = resolve;
          const early = ended.find((e) => e.execution === exec);
          if (early) resolve(early.exitCode);
          // Terminating the task sends the process SIGTERM: the demo stops everything it started.
          token.onCancellationRequested(() => exec.terminate());
        });
      } finally {
        done.dispose();
      }
    },
  );
  const report = await newestReport(runsFolder);
  log.info(`stand-in demo ended with exit code ${exitCode}; report ${report ?? 'none'}`);
  const outcome: DemoOutcome = { exitCode, runsFolder, report };
  void offerNext(outcome);
  return outcome;
}

async function offerNext(o: DemoOutcome): Promise<void> {
  const showRuns = 'Show Its Runs and KPIs';
  const openReport = 'Open Report';
  const terminal = 'Show Terminal';
  const picked =
    o.exitCode === 0
      ? await vscode.window.showInformationMessage('FastBench: the stand-in demo finished; its verdicts are in the terminal.', ...(o.report ? [openReport] : []), showRuns)
      : await vscode.window.showErrorMessage(
          `FastBench: the stand-in demo ${o.exitCode === undefined ? 'was stopped' : `failed (exit code ${o.exitCode})`}. Its terminal says why; a missing tool (sshd, sshfs, fusermount3, Xvfb) is named there.`,
          terminal,
          showRuns,
        );
  if (picked === openReport && o.report) await vscode.commands.executeCommand('fastbench.openReport', vscode.Uri.file(o.report));
  if (picked === terminal) await vscode.commands.executeCommand('workbench.action.terminal.focus');
  if (picked === showRuns) {
    await vscode.workspace.getConfiguration('fastbench').update('runsFolder', o.runsFolder, vscode.ConfigurationTarget.Workspace);
    await vscode.commands.executeCommand('fastbench.kpis.focus');
  }
}
