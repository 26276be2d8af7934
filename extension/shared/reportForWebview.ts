// The offline HTML files FastBench writes (report.html from `fastbench analyze`, baseline.html from the probe) carry
// their own CSP with 'unsafe-inline', which a VS Code webview must not have. To show one inside VS Code (so it works
// in Remote-SSH, WSL and code-server, where opening a local file in a browser does not), its CSP is replaced by a
// nonce-only one and its own inline <script> and <style> elements get the nonce. Nothing else is allowed in: no
// network, no other scripts, no inline event handlers or style attributes (the files have none).

export function reportForWebview(html: string, nonce: string): string {
  const csp = `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; img-src data:`;
  const meta = `<meta http-equiv="Content-Security-Policy" content="${csp}">`;
  let out = html.replace(/<meta\s+http-equiv=["']Content-Security-Policy["'][^>]*>/gi, '');
  out = /<head[^>]*>/i.test(out) ? out.replace(/<head[^>]*>/i, (h) => `${h}\n${meta}`) : `${meta}\n${out}`;
  // Only bare opening tags: a <script src=…> would be refused by the CSP anyway (no source is allowed).
  return out.replace(/<script>/gi, `<script nonce="${nonce}">`).replace(/<style>/gi, `<style nonce="${nonce}">`);
}
