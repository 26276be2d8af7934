import * as vscode from 'vscode';
import type { Logger } from '../core/ports/logger';
import { redactSecrets } from '../shared/secrets';

/** The core's Logger over a LogOutputChannel, with a component tag and secrets scrubbed from every line. */
export function channelLogger(channel: vscode.LogOutputChannel, component: string): Logger {
  const tag = (m: string) => `[${component}] ${redactSecrets(m)}`;
  return {
    debug: (m) => channel.debug(tag(m)),
    info: (m) => channel.info(tag(m)),
    warn: (m) => channel.warn(tag(m)),
    error: (m) => channel.error(tag(m)),
  };
}
