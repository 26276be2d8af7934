import { spawn } from 'node:child_process';
import path from 'node:path';
import * as vscode from 'vscode';
import type { Logger } from '../core/ports/logger';
import { redactSecrets } from '../shared/secrets';
import { showError } from './errorToast';

export type AnalyseOutcome = { runs: number; comparisons: number; skipped: number; outDir: string; report: string };

type AnalyzeJson = { out: string | null; runs: number; comparisons?: { verdict: string }[]; skipped?: unknown[] };

/**
 * "FastBench: Analyse Runs": `fastbench analyze RUNS --out <workspace>/analysis --json` (the CLI bundled with the
 * extension, so the report's chart code stays out of the extension host), with its progress lines in the
 * notification and Cancel = Ctrl-C; then the KPI panel (the same core analysis, in process) and the report.
 */
export async function analyseRunsFromVsCode(
  runsFolder: string | undefined,
  extensionPath: string,
  log: Logger,
  showKpis: () => Promise<void>,
): Promise<AnalyseOutcome | undefined> {
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!runsFolder || !root) throw new Error('open a folder with a fastbench.json first (File > Open Folder…); its runs folder is what gets analysed');
  const outDir = path.join(root, 'analysis');
  const cli = path.join(extensionPath, 'dist', 'cli.js');
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `FastBench: analysing ${vscode.workspace.asRelativePath(runsFolder)}`, cancellable: true },
    (progress, token) =>
      new Promise<{ code: number | null; out: string; err: string; cancelled: boolean }>((resolve, reject) => {
        const child = spawn(process.execPath, [cli, 'analyze', runsFolder, '--out', outDir, '--json'], {
          cwd: extensionPath,
          env: { ...process.env, ...(process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {}) },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        let cancelled = false;
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => {
          err += d.toString();
          for (const line of d.toString().split('\n')) {
            if (line.startsWith('analysed ')) progress.report({ message: line });
            else if (line.trim()) log.info(`analyze: ${redactSecrets(line)}`);
          }
        });
        token.onCancellationRequested(() => {
          cancelled = true;
          child.kill('SIGINT');
        });
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, out, err, cancelled }));
      }),
  );
  if (result.cancelled) {
    void vscode.window.showInformationMessage('FastBench: analysis cancelled.');
    return undefined;
  }
  let json: AnalyzeJson | undefined;
  try {
    json = JSON.parse(result.out) as AnalyzeJson;
  } catch {
    json = undefined;
  }
  if (!json || json.runs === 0 || !json.out) {
    const why = redactSecrets(result.err.trim().split('\n').at(-1) ?? `exit code ${result.code}`);
    log.error(`analyze ${runsFolder}: exit ${result.code}: ${redactSecrets(result.err.trim())}`);
    void showError(`FastBench: nothing analysed in ${runsFolder}: ${why}. Run a campaign first, or point fastbench.runsFolder at your runs.`, [
      { kind: 'command', title: 'Run Campaign…', command: 'fastbench.runCampaign' },
    ]);
    return undefined;
  }
  const comparisons = json.comparisons ?? [];
  log.info(`analysed ${json.runs} runs into ${outDir}`);
  await showKpis();
  const report = path.join(outDir, 'report.html');
  const decided = comparisons.filter((c) => c.verdict.startsWith('B_fast is')).length;
  void vscode.window
    .showInformationMessage(
      `FastBench: ${json.runs} runs analysed, ${comparisons.length} A-vs-B comparisons (${decided} with a clear difference); written to ${vscode.workspace.asRelativePath(outDir)}.`,
      'Open Report',
      'Reveal Folder',
    )
    .then(async (choice) => {
      if (choice === 'Open Report') await vscode.commands.executeCommand('fastbench.openReport', vscode.Uri.file(report));
      if (choice === 'Reveal Folder') await vscode.commands.executeCommand('fastbench.openRunFolder', outDir);
    });
  return { runs: json.runs, comparisons: comparisons.length, skipped: Array.isArray(json.skipped) ? json.skipped.length : 0, outDir, report };
}
