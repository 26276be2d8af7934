import path from 'node:path';
import * as vscode from 'vscode';
import { containerDisplayUrl, parseContainerUrl } from '../core/analysis/containerUrl';
import { pushRuns, type PushSummary } from '../core/analysis/runsPush';
import type { Logger } from '../core/ports/logger';
import { CONFIG_FILE_NAME } from '../shared/names';
import { redactSecrets } from '../shared/secrets';
import { showError } from './errorToast';
import type { SecretStore } from './secrets';

const LAST_URL = 'fastbench.push.lastUrl';

/** The destination to propose: the last one used, else the config's container with a "runs" prefix. */
async function proposedUrl(state: vscode.Memento): Promise<string> {
  const last = state.get<string>(LAST_URL);
  if (last) return last;
  const [config] = await vscode.workspace.findFiles(`**/${CONFIG_FILE_NAME}`, '**/node_modules/**', 1);
  if (config) {
    try {
      const { azure } = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(config))) as { azure?: { accountUrl?: string; container?: string } };
      if (azure?.accountUrl && azure.container) return `${azure.accountUrl.replace(/\/+$/, '')}/${azure.container}/runs`;
    } catch {
      // An unreadable config proposes nothing; the person types the URL.
    }
  }
  return 'https://ACCOUNT.blob.core.windows.net/CONTAINER/runs';
}

/**
 * "Push to Blob" on a run, a campaign or the whole runs folder: the core's `fastbench runs push` (unchanged files
 * skipped by size and Content-MD5, run.json last), with the SAS from the OS secret store; progress and Cancel.
 */
export async function pushRunsFromVsCode(folder: string, campaign: boolean, state: vscode.Memento, secrets: SecretStore, log: Logger): Promise<PushSummary | undefined> {
  const sas = await secrets.get('fastbench.azure.sas');
  if (!sas) {
    void showError('FastBench: pushing runs needs a SAS for the container (read, write, create: sp=rwc). Set it, then push again.', [
      { kind: 'command', title: 'Set Azure SAS', command: 'fastbench.setAzureSas' },
    ]);
    return undefined;
  }
  const url = await vscode.window.showInputBox({
    title: `FastBench: push ${path.basename(folder)} to Blob storage`,
    prompt: 'Container URL and prefix (no SAS: it comes from the secret store). A campaign goes under PREFIX/<campaign>.',
    value: await proposedUrl(state),
    ignoreFocusOut: true,
    validateInput: (v) => {
      try {
        parseContainerUrl(v.trim());
        return undefined;
      } catch (e) {
        return (e as Error).message;
      }
    },
  });
  if (url === undefined) return undefined;
  await state.update(LAST_URL, url.trim());
  const given = parseContainerUrl(url.trim());
  // A campaign folder keeps its name in Blob storage, as it would inside a pushed runs folder.
  const address = campaign ? { ...given, prefix: [given.prefix, path.basename(folder)].filter(Boolean).join('/') } : given;
  const where = containerDisplayUrl(address);
  try {
    const summary = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `FastBench: pushing ${path.basename(folder)} to ${where}`, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        let files = 0;
        return pushRuns(folder, address, sas, {
          signal: abort.signal,
          onFile: (r) => {
            files++;
            progress.report({ message: `${files} files (${r.action}: ${r.blob})` });
          },
        });
      },
    );
    for (const s of summary.skipped) log.warn(`skipped ${s.folder}: ${s.reason}`);
    log.info(`pushed ${summary.runs} run folder(s) to ${where}: ${summary.uploaded} uploaded, ${summary.unchanged} unchanged`);
    void vscode.window.showInformationMessage(
      `FastBench: ${summary.runs} run folder${summary.runs === 1 ? '' : 's'} → ${where}: ${summary.uploaded} file(s) uploaded (${(summary.bytes / 1e6).toFixed(2)} MB), ${summary.unchanged} unchanged.`,
    );
    return summary;
  } catch (e) {
    const message = redactSecrets((e as Error).message);
    log.error(`push to ${where}: ${message}`);
    if ((e as Error).name === 'AbortError') {
      void vscode.window.showInformationMessage('FastBench: push cancelled; pushing again skips what already arrived.');
      return undefined;
    }
    void showError(`FastBench: push to ${where} failed: ${message}. Check the URL and that the SAS allows read, write and create (sp=rwc).`, [
      { kind: 'command', title: 'Set Azure SAS', command: 'fastbench.setAzureSas' },
      { kind: 'command', title: 'Push Again', command: 'fastbench.pushRuns' },
    ]);
    return undefined;
  }
}
