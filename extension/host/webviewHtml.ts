import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

/**
 * A webview page under a strict CSP: nothing by default, only our nonce'd script and style, images from our own
 * folder. No 'unsafe-inline', no CDN. The script is a bundle in dist/webviews/.
 */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, opts: { script: string; title: string; css: string }): string {
  const nonce = randomBytes(16).toString('base64');
  const distUri = vscode.Uri.joinPath(extensionUri, 'dist', 'webviews');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(distUri, opts.script));
  const csp = ["default-src 'none'", `script-src 'nonce-${nonce}'`, `style-src 'nonce-${nonce}'`, `img-src ${webview.cspSource} data:`].join('; ');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<style nonce="${nonce}">${opts.css}</style>
<title>${opts.title}</title></head>
<body><div id="root">Loading…</div>
<script nonce="${nonce}" src="${script}"></script></body></html>`;
}

export function webviewResourceRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist', 'webviews')];
}
