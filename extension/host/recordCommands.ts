import path from 'node:path';
import * as vscode from 'vscode';
import { recordingPath } from '../shared/recordingPath';
import { replayConfirmation } from '../shared/replayConfirmation';
import type { DriverClient } from '../core/driver/driverClient';
import type { Logger } from '../core/ports/logger';
import { Recorder, type RecorderStatus } from '../core/recording/recorder';
import { loadRecording } from '../core/recording/recordingFile';
import { Replayer, type ReplayResult } from '../core/replay/replayer';
import { recordingFrom } from '../core/recording/recordingSlice';
import type { WindowInfo } from '../shared/driverProtocol';
import { RECORDING_FILE_SUFFIX } from '../shared/names';
import { DisposableStore } from './disposables';
import { showError } from './errorToast';
import { startDriver } from './driverSession';

/** Arguments a caller (a test, a keybinding, another extension) may pass to skip the prompts. */
export type RecordArgs = { titlePattern?: string; processImage?: string; out?: string; start?: boolean };
export type RecordSummary = { file: string; events: number; markers: number; durationMs: number };

const fmt = (ms: number) => {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

/** "FastBench: Record" and its status-bar item; one recording at a time. */
export class RecordController implements vscode.Disposable {
  private readonly store = new DisposableStore();
  private readonly item: vscode.StatusBarItem;
  private active: { recorder: Recorder; driver: DriverClient; out: string } | undefined;
  private starting = false;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: Logger,
  ) {
    this.item = this.store.add(vscode.window.createStatusBarItem('fastbench.recording', vscode.StatusBarAlignment.Left, 100));
    this.item.name = 'FastBench Recording';
    this.item.command = 'fastbench.stopRecording';
  }

  get recording(): boolean {
    return this.active !== undefined;
  }

  private show(s: RecorderStatus, title: string): void {
    const label = s.state === 'armed' ? `armed — press F9 in ${title}` : `${s.state} ${fmt(s.elapsedMs)} · ${s.events} events`;
    this.item.text = `$(record) FastBench: ${label}`;
    this.item.tooltip = `Recording to ${s.file}\nF9 start/pause · F6/F7/F8 marker · F12 or click here to stop and save`;
    this.item.backgroundColor = s.state === 'recording' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.item.show();
  }

  private async pickWindow(driver: DriverClient, args: RecordArgs): Promise<WindowInfo | undefined> {
    if (args.titlePattern || args.processImage) {
      return driver.request('window/attach', { titlePattern: args.titlePattern, processImage: args.processImage, timeoutMs: 10_000 });
    }
    const windows = (await driver.request('windows/list', {})).filter((w) => w.visible && w.title);
    const picked = await vscode.window.showQuickPick(
      windows.map((w) => ({ label: w.title, description: `${w.processImage ?? '?'} · ${w.clientRect.width}×${w.clientRect.height}`, window: w })),
      { title: 'FastBench: Record — which window?', placeHolder: 'The application to record (e.g. Petrel)' },
    );
    return picked?.window;
  }

  async start(args: RecordArgs = {}): Promise<boolean> {
    if (this.active || this.starting) {
      void vscode.window.showWarningMessage('FastBench is already recording; stop it first (status bar).');
      return false;
    }
    // Claimed before the first await, so two quick Record commands cannot both start a session.
    this.starting = true;
    try {
      return await this.startSession(args);
    } finally {
      this.starting = false;
    }
  }

  private async startSession(args: RecordArgs): Promise<boolean> {
    const driver = await startDriver(this.extensionUri, this.log);
    try {
      const window = await this.pickWindow(driver, args);
      if (!window) {
        await driver.close();
        return false;
      }
      let out = args.out;
      if (!out) {
        const root = vscode.workspace.workspaceFolders?.[0]?.uri;
        const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
        const uri = await vscode.window.showSaveDialog({
          title: 'Save the recording as',
          defaultUri: root ? vscode.Uri.joinPath(root, 'recordings', `session-${stamp}${RECORDING_FILE_SUFFIX}`) : undefined,
          // 'json', not 'fbrec.json': the simple (remote/web) dialog would append ".fbrec.json" to a name that has it.
          filters: { 'FastBench recording (*.fbrec.json)': ['json'] },
        });
        if (!uri) {
          await driver.close();
          return false;
        }
        out = recordingPath(uri.fsPath);
      }
      await vscode.workspace.fs.createDirectory(vscode.Uri.file(path.dirname(out)));
      const recorder = new Recorder({
        driver,
        window,
        out,
        target: { ...(window.processImage ? { processImage: window.processImage } : {}), ...(args.titlePattern ? { titlePattern: args.titlePattern } : {}) },
        startImmediately: Boolean(args.start),
        log: this.log,
        onStatus: (s) => this.show(s, window.title),
      });
      const session = { recorder, driver, out };
      this.active = session;
      await recorder.start();
      void vscode.commands.executeCommand('setContext', 'fastbench.recording', true);
      // The session ends here whether the final save worked or not, so Record is never left wedged.
      void recorder.stopped.then(
        (r) => this.finished(session, `saved ${out} (${r.events.length} events)`, r.events.length),
        (e: Error) => this.finished(session, `recording to ${out} failed: ${e.message}`),
      );
      return true;
    } catch (e) {
      this.active = undefined;
      await driver.close();
      throw e;
    }
  }

  private async finished(session: { driver: DriverClient; out: string }, message: string, events?: number): Promise<void> {
    if (this.active === session) {
      this.active = undefined;
      this.item.hide();
      void vscode.commands.executeCommand('setContext', 'fastbench.recording', false);
    }
    await session.driver.close();
    if (events === undefined) {
      this.log.error(message);
      void showError(`FastBench: ${message}`);
      return;
    }
    this.log.info(message);
    const open = await vscode.window.showInformationMessage(`FastBench: saved ${path.basename(session.out)} (${events} events).`, 'Open');
    if (open) await vscode.window.showTextDocument(vscode.Uri.file(session.out));
  }

  /** Stops and saves; returns what was saved (also used by tests). */
  async stop(): Promise<RecordSummary | undefined> {
    const active = this.active;
    if (!active) return undefined;
    const r = await active.recorder.stop();
    const last = r.events[r.events.length - 1]?.t_ms ?? 0;
    return { file: active.out, events: r.events.length, markers: r.events.filter((e) => e.type === 'marker').length, durationMs: last };
  }

  dispose(): void {
    void this.active?.recorder.stop();
    this.store.dispose();
  }
}

/** "FastBench: Replay Recording": attaches by the recording's target, shows progress, can be cancelled. */
export async function replayRecording(extensionUri: vscode.Uri, uri: vscode.Uri, log: Logger, fromEvent?: number): Promise<ReplayResult | undefined> {
  const whole = await loadRecording(uri.fsPath);
  // "Replay from here" (a marker's CodeLens): the events from that marker on, re-timed to start at once.
  const from = fromEvent !== undefined && fromEvent > 0 && fromEvent < whole.events.length ? fromEvent : undefined;
  const recording = from !== undefined ? recordingFrom(whole, from) : whole;
  const fromMarker = from !== undefined ? whole.events[from] : undefined;
  const fileName = path.basename(uri.fsPath) + (fromMarker?.type === 'marker' ? ` from marker ${fromMarker.name}` : from !== undefined ? ` from events[${from}]` : '');
  // A replay takes over mouse and keyboard: ask once, naming the target, the duration and how to abort.
  const settings = vscode.workspace.getConfiguration('fastbench');
  if (settings.get<boolean>('replay.confirm', true)) {
    const { title, placeHolder, items } = replayConfirmation(recording, fileName);
    const picked = await vscode.window.showQuickPick(items, { title, placeHolder, ignoreFocusOut: true });
    if (!picked || picked.choice === 'cancel') {
      log.info(`replay of ${uri.fsPath} not confirmed`);
      return undefined;
    }
    if (picked.choice === 'replayAndStopAsking') await settings.update('replay.confirm', false, vscode.ConfigurationTarget.Global);
  }
  const driver = await startDriver(extensionUri, log);
  try {
    const { processImage, titlePattern } = recording.target as { processImage?: string; titlePattern?: string };
    const window = await driver.request('window/attach', { processImage, titlePattern, timeoutMs: 30_000 });
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `FastBench: replaying ${fileName} into "${window.title}"`, cancellable: true },
      async (_progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        const result = await new Replayer({ driver, recording, window, log, signal: controller.signal }).run();
        const l = result.lateness;
        const summary = `${result.eventsSent} events, lateness p99 ${l ? l.p99.toFixed(1) : '–'} ms, checkpoints ${result.checkpoints.met}/${result.checkpoints.met + result.checkpoints.missed}`;
        if (result.aborted) void vscode.window.showWarningMessage(`FastBench: replay aborted (${result.aborted}); ${summary}.`);
        else void vscode.window.showInformationMessage(`FastBench: replay complete; ${summary}.`);
        return result;
      },
    );
  } finally {
    await driver.close();
  }
}
