import * as vscode from 'vscode';
import { DriverClient } from '../core/driver/driverClient';
import type { Logger } from '../core/ports/logger';

/**
 * Starts the driver from the extension host. In desktop VS Code process.execPath is the Electron binary,
 * which runs as plain Node only with ELECTRON_RUN_AS_NODE.
 */
export function startDriver(extensionUri: vscode.Uri, log: Logger): Promise<DriverClient> {
  return DriverClient.start({
    command: [process.execPath, vscode.Uri.joinPath(extensionUri, 'dist', 'driver.js').fsPath],
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    log,
  });
}
