// THIRD-PARTY-NOTICES.txt for the .vsix: every npm package whose code is bundled into the shipped bundles
// (read from esbuild's metafiles in dist/meta/) or shipped beside them (koffi), with its licence text.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** Package folder of a bundled input: node_modules/@scope/name/... or node_modules/name/... (nested too). */
function packageOf(input) {
  const m = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*\/node_modules\/)/.exec(input);
  return m ? input.slice(0, m.index + m[0].length - 1).replace(/^\//, '') : undefined;
}

function licenceText(dir) {
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.(md|txt|markdown))?$/i.test(f));
  return file ? readFileSync(path.join(dir, file), 'utf8').trim() : undefined;
}

/**
 * Throws when a shipped package has no licence file: the notices must be complete or the package fails.
 * `extra`: packages shipped beside the bundles, `{ dir, licenceDir? }` (koffi's per-platform binary packages
 * carry no licence file of their own; they are koffi's, under koffi's licence).
 */
export function thirdPartyNotices(bundles, extra = []) {
  const dirs = new Set(extra.map((e) => e.dir));
  const licenceDirOf = new Map(extra.filter((e) => e.licenceDir).map((e) => [e.dir, e.licenceDir]));
  for (const name of bundles) {
    const metafile = JSON.parse(readFileSync(path.join('dist', 'meta', `${name}.json`), 'utf8'));
    for (const input of Object.keys(metafile.inputs)) {
      const dir = packageOf(input);
      if (dir) dirs.add(dir);
    }
  }
  const sections = [];
  const missing = [];
  for (const dir of [...dirs].sort()) {
    if (!existsSync(path.join(dir, 'package.json'))) continue;
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    if (!pkg.name || !pkg.version) continue; // a nested package.json marking a module type, not a package
    const text = licenceText(dir) ?? (licenceDirOf.has(dir) ? licenceText(licenceDirOf.get(dir)) : undefined);
    if (!text) missing.push(`${pkg.name} (${dir})`);
    else sections.push(`${pkg.name} ${pkg.version} (${pkg.license ?? 'see text'})\n${'-'.repeat(72)}\n${text}\n`);
  }
  if (missing.length) throw new Error(`no licence file found for: ${missing.join(', ')}`);
  const intro = 'FastBench ships the following third-party software. Each is listed with its version and licence text.\n';
  return { text: `${intro}\n${'='.repeat(72)}\n\n${sections.join(`\n${'='.repeat(72)}\n\n`)}`, count: sections.length };
}
