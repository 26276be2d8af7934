import { windowsColdRunner } from '../core/cache/coldHelper';
import path from 'node:path';
import * as vscode from 'vscode';
import { fastcacheService, targetsFor } from '../cli/commands/cacheCommands';
import { applyCachePolicy, type PolicyReport } from '../core/cache/cachePolicy';
import type { Logger } from '../core/ports/logger';
import { FastcacheClient } from '../standin/fastcache/fastcacheClient';
import { standinHome, standinPaths } from '../standin/volume/standinPaths';
import { CONFIG_FILE_NAME, type Mode } from '../shared/names';
import { showError } from './errorToast';

const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;

/**
 * "FastBench: Clear Cache (Cold)…": the Cold cache policy of the core (as `fastbench cache clear`) for one mode,
 * after saying exactly what it will touch; progress per step, Cancel stops between files (the FAST service is
 * always started again).
 */
export async function clearCacheFromVsCode(log: Logger, arg?: { mode?: Mode; confirm?: boolean }): Promise<PolicyReport | undefined> {
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!root) throw new Error('open a folder with a fastbench.json first (File > Open Folder…)');
  const found = await vscode.workspace.findFiles(`**/${CONFIG_FILE_NAME}`, '**/node_modules/**', 1);
  const configFile = found[0]?.fsPath;
  const io = { cwd: configFile ? path.dirname(configFile) : root, env: process.env };
  let mode = arg?.mode;
  if (!mode) {
    const picked = await vscode.window.showQuickPick(
      [
        {
          label: 'A_shared',
          description: 'data on the NAS share',
          detail: 'Evicts the volume from the OS file cache, then checks that none of it is resident.',
          mode: 'A_shared' as const,
        },
        {
          label: 'B_fast',
          description: 'data through FAST',
          detail: 'Stops FAST, renames its cache folder aside and starts it on an empty one; evicts the files from the OS file cache.',
          mode: 'B_fast' as const,
        },
      ],
      {
        title: 'FastBench: Clear Cache (Cold) — which mode?',
        placeHolder: configFile ? `Targets from ${vscode.workspace.asRelativePath(configFile)}` : 'No fastbench.json: the stand-in’s default folders',
      },
    );
    if (!picked) return undefined;
    mode = picked.mode;
  }
  const t = await targetsFor(mode, configFile, io);
  if (arg?.confirm !== false) {
    const what = [
      ...t.dataFiles.map((f) => `evict ${f} from the OS file cache`),
      ...(t.cacheFolder ? [`rotate ${t.cacheFolder} (renamed aside, the newest ${t.keepRotated} rotations kept, recreated empty)`] : []),
      ...(t.serviceName ? [`stop and start the service ${t.serviceName}`] : []),
    ];
    // A quick pick, not a modal: keyboard-first, Escape cancels, and it shows in remote and web windows alike.
    const answer = await vscode.window.showQuickPick(
      [
        { label: '$(trash) Clear Cache', detail: what.join(' · '), go: true },
        { label: 'Cancel', go: false },
      ],
      {
        title: `FastBench: clear the ${mode} cache (Cold)?`,
        placeHolder: `Targets from ${t.from}. Close the application first: files it holds open cannot leave the cache.`,
        ignoreFocusOut: true,
      },
    );
    if (!answer?.go) return undefined;
  }
  let client: FastcacheClient | undefined;
  if (mode === 'B_fast' && process.platform !== 'win32') client = await FastcacheClient.connect(standinPaths(standinHome()).endpoint, 1000).catch(() => undefined);
  try {
    // Not elevated: the installed cold helper does the elevated steps; without it, the setup error says how to install it.
    let windows: Awaited<ReturnType<typeof windowsColdRunner>> | undefined;
    if (process.platform === 'win32') {
      try {
        windows = await windowsColdRunner({ cacheFolder: t.cacheFolder, serviceName: t.serviceName });
      } catch (e) {
        void showError(`FastBench: cannot clear the ${mode} cache: ${(e as Error).message}`, [{ kind: 'command', title: 'Show Log', command: 'fastbench.showLog' }]);
        return undefined;
      }
    }
    const report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `FastBench: clearing the ${mode} cache (Cold)`, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        return applyCachePolicy({
          policy: 'Cold',
          mode: mode!,
          dataFiles: t.dataFiles,
          cacheFolder: t.cacheFolder,
          keepRotated: t.keepRotated,
          serviceName: t.serviceName,
          service: client ? fastcacheService(client) : undefined,
          ...(windows ? { windows } : {}),
          signal: abort.signal,
          onStep: (s) => {
            progress.report({ message: `${s.step}: ${s.ok ? 'ok' : 'FAILED'}` });
            (s.ok ? log.info : log.warn)(`${s.step}: ${s.detail}`);
          },
        });
      },
    );
    const resident = report.residency.reduce((sum, r) => sum + r.residentAfter, 0);
    if (report.ok) {
      void vscode.window
        .showInformationMessage(
          `FastBench: ${mode} is Cold: ${report.steps.map((s) => s.step).join(', ')}; ${report.residency.length} file(s), ${mib(resident)} still resident.`,
          'Show Log',
        )
        .then((c) => c && vscode.commands.executeCommand('fastbench.showLog'));
    } else {
      const failed = report.steps.find((s) => !s.ok)!;
      const next = failed.step === 'cancelled' ? 'Run it again to finish.' : failed.step === 'verify-residency' ? 'Close the application holding the files and clear again.' : '';
      void showError(`FastBench: clearing the ${mode} cache: ${failed.step}: ${failed.detail}. ${next}`.trim(), [
        { kind: 'command', title: 'Clear Again', command: 'fastbench.clearCacheCold' },
      ]);
    }
    return report;
  } finally {
    client?.close();
  }
}
