import type { RunShown } from '../shared/webviewProtocol';

/**
 * What each run panel reported after its last render, by run folder (or compare key). A module of its own so that
 * the extension's API can read it without loading the panel (and its protocol schemas) at activation.
 */
export const runPanelShown = new Map<string, RunShown>();
