// Layer boundaries (see ../shared/STYLE.md): vscode only in the host layer, koffi only in the driver
// (and the stand-in program), no Node built-ins in shared (webviews import it), core never reaching up into
// host/cli/driver. DOM is kept out of extension/ by its tsconfig (no "DOM" lib). Exit 1 on a violation.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (/\.(ts|mts|cts)$/.test(name)) yield p;
  }
}

const rules = [
  { test: (spec) => spec === 'vscode', allowed: ['extension/host/', 'test/vscode/suite/'], what: "'vscode'" },
  { test: (spec) => spec === 'koffi', allowed: ['extension/driver/', 'extension/standin/'], what: "'koffi'" },
];

const violations = [];
const files = [...walk('extension'), ...walk('webviews'), ...walk('test')].map((f) => f.split(path.sep).join('/'));
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    for (const m of line.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3] ?? m[4];
      const where = `${file}:${i + 1}`;
      for (const rule of rules) {
        if (rule.test(spec) && !rule.allowed.some((a) => file.startsWith(a))) {
          violations.push(`${where}: ${rule.what} may only be imported under ${rule.allowed.join(' or ')}`);
        }
      }
      if (file.startsWith('extension/shared/') && (spec.startsWith('node:') || /^(fs|path|os|child_process)$/.test(spec))) {
        violations.push(`${where}: extension/shared/ must stay platform-free (webviews import it); found '${spec}'`);
      }
      if (spec.startsWith('.')) {
        const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
        if (file.startsWith('extension/shared/') && !resolved.startsWith('extension/shared/')) {
          violations.push(`${where}: extension/shared/ imports only itself; found '${spec}'`);
        }
        if (file.startsWith('extension/core/') && /^extension\/(host|cli|driver|agent|standin)\//.test(resolved)) {
          violations.push(`${where}: extension/core/ must not depend on ${resolved.split('/')[1]}/; pass a port instead`);
        }
        if (file.startsWith('webviews/') && !resolved.startsWith('webviews/') && !resolved.startsWith('extension/shared/')) {
          violations.push(`${where}: webviews import only webviews/ and extension/shared/; found '${spec}'`);
        }
      }
      if (file.startsWith('webviews/') && spec.startsWith('node:')) violations.push(`${where}: webviews run in a browser; found '${spec}'`);
    }
  });
}

if (violations.length) {
  console.error(`Layer boundaries violated (${violations.length}):\n  ${violations.join('\n  ')}`);
  process.exit(1);
}
console.log(`layer boundaries ok (${files.length} files)`);
