import { existsSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_FILE_NAME } from '../../shared/names';
import { loadConfig, runsFolderOf } from '../config/configFile';
import type { Logger } from '../ports/logger';

/**
 * Where runs live for a workspace: an explicit setting wins (relative to the workspace), then the
 * runsFolder of the workspace's fastbench.json, then "<workspace>/runs". An invalid config is logged and
 * skipped so the Runs view still shows something.
 */
export async function resolveRunsFolder(workspaceRoot: string, setting: string, log: Logger): Promise<string> {
  if (setting.trim()) return path.resolve(workspaceRoot, setting.trim());
  const configFile = path.join(workspaceRoot, CONFIG_FILE_NAME);
  if (existsSync(configFile)) {
    try {
      return runsFolderOf(await loadConfig(configFile));
    } catch (e) {
      log.warn(`${CONFIG_FILE_NAME} is invalid, using ./runs for the Runs view:\n${(e as Error).message}`);
    }
  }
  return path.join(workspaceRoot, 'runs');
}
