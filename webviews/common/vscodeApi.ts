import type { FromView } from '../../extension/shared/webviewProtocol';

type VsCodeApi = { postMessage(message: FromView): void };
declare function acquireVsCodeApi(): VsCodeApi;

// acquireVsCodeApi may be called once per page; every view shares this one.
export const vscodeApi: VsCodeApi = acquireVsCodeApi();
