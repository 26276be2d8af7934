// Layer boundaries (see README "Layers"), checked on the real import graph: esbuild's metafiles list every
// bundled file and each import it makes, after resolution, including multi-line, dynamic and require() imports
// (type-only imports are erased before bundling and are tsc's business). `node esbuild.mjs --check-layers`
// builds every bundle in memory and calls layerViolations on their metafiles.
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';

const BUILTINS = new Set(builtinModules);
const isBuiltin = (spec) => spec.startsWith('node:') || BUILTINS.has(spec) || BUILTINS.has(spec.split('/')[0]);
const under = (file, ...folders) => folders.some((f) => file.startsWith(f));
const isPackage = (file) => file.startsWith('node_modules/') || file.includes('/node_modules/');

/** The rules, by the importing file's folder. Each returns a reason when an import breaks it. */
const RULES = [
  (from, to, spec) => spec === 'vscode' && !under(from, 'extension/host/', 'test/vscode/suite/') && "'vscode' may only be imported under extension/host/",
  (from, to, spec) => spec === 'koffi' && !under(from, 'extension/driver/', 'extension/standin/') && "'koffi' may only be imported under extension/driver/ and extension/standin/",
  (from, to, spec) =>
    under(from, 'extension/shared/') &&
    (to ? !under(to, 'extension/shared/') && !isPackage(to) : isBuiltin(spec)) &&
    'extension/shared/ stays platform-free and imports only itself and packages (webviews and the stand-in import it)',
  (from, to) =>
    under(from, 'extension/core/') &&
    to &&
    /^extension\/(host|cli|driver|agent|standin)\//.test(to) &&
    `extension/core/ must not depend on ${to.split('/')[1]}/; pass a port instead`,
  (from, to, spec) =>
    under(from, 'webviews/') &&
    (to ? !under(to, 'webviews/', 'extension/shared/') && !isPackage(to) : isBuiltin(spec)) &&
    'webviews import only webviews/, extension/shared/ and browser packages',
  (from, to) =>
    under(from, 'extension/standin/') &&
    to &&
    under(to, 'extension/') &&
    !under(to, 'extension/standin/', 'extension/shared/') &&
    'the stand-in is a target program like Petrel: from extension/ it imports only extension/shared/',
];

/** Line of the first occurrence of the import's specifier in the file, for a clickable FILE:LINE. */
function lineOf(file, spec) {
  try {
    const lines = readFileSync(file, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.includes(`'${spec}'`) || l.includes(`"${spec}"`));
    return at < 0 ? '' : `:${at + 1}`;
  } catch {
    return '';
  }
}

/** Every import in the metafiles that crosses a layer boundary, as "FILE:LINE: imports X: reason". */
export function layerViolations(metafiles) {
  const seen = new Set();
  const violations = [];
  let files = 0;
  for (const metafile of metafiles) {
    for (const [from, input] of Object.entries(metafile.inputs)) {
      if (isPackage(from) || seen.has(from)) continue;
      seen.add(from);
      files++;
      for (const imp of input.imports) {
        const spec = imp.original ?? imp.path;
        const to = imp.external ? undefined : imp.path;
        for (const rule of RULES) {
          const reason = rule(from, to, spec);
          if (reason) violations.push(`${from}${lineOf(from, spec)}: imports ${to ?? spec}: ${reason}`);
        }
      }
    }
  }
  return { violations, files };
}
