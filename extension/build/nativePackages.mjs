// The packages the bundles keep external because they load a per-platform native binary — koffi (FFI) and
// @napi-rs/canvas (PNG charts) — staged as a node_modules/ folder for one target platform: the loaders and
// exactly the binary package each loader expects, fetched from the npm registry when this OS has not installed it.
// Used by packageVsix.mjs (dist/node_modules inside the .vsix) and packageExe.mjs (node_modules/ beside the exe).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const CANVAS_TRIPLES = {
  'win32-x64': 'win32-x64-msvc',
  'win32-arm64': 'win32-arm64-msvc',
  'linux-x64': 'linux-x64-gnu',
  'linux-arm64': 'linux-arm64-gnu',
  'darwin-x64': 'darwin-x64',
  'darwin-arm64': 'darwin-arm64',
};
export const NATIVE_TARGETS = Object.keys(CANVAS_TRIPLES);

const versionOf = (name) => JSON.parse(readFileSync(path.join('node_modules', name, 'package.json'), 'utf8')).version;

/** The folder of `name@version`: node_modules when installed for this OS, else unpacked from `npm pack`. */
export function packageDir(name, version) {
  const installed = path.join('node_modules', name);
  if (existsSync(installed) && versionOf(name) === version) return installed;
  const tmp = mkdtempSync(path.join(tmpdir(), 'fastbench-pack-'));
  const tgz = execFileSync('npm', ['pack', `${name}@${version}`, '--pack-destination', tmp, '--silent'], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop();
  execFileSync('tar', ['-xzf', path.join(tmp, tgz), '-C', tmp]);
  return path.join(tmp, 'package');
}

/**
 * Stages koffi and @napi-rs/canvas for `target` into `stage` (a node_modules folder). Returns the package folders
 * staged, as thirdPartyNotices' `extra` (the binary packages carry their loader's licence).
 */
export function stageNativePackages(stage, target) {
  const koffiVersion = versionOf('koffi');
  // koffi's loader: index.cjs -> src/koffi/index.cjs (+ src/koffi/src/static.cjs), then the platform package.
  for (const file of ['package.json', 'LICENSE.txt', 'index.cjs', 'index.d.ts', 'src/koffi/index.cjs', 'src/koffi/src/static.cjs']) {
    const from = path.join('node_modules', 'koffi', file);
    if (!existsSync(from)) continue;
    mkdirSync(path.dirname(path.join(stage, 'koffi', file)), { recursive: true });
    cpSync(from, path.join(stage, 'koffi', file));
  }
  const koffiNative = `@koromix/koffi-${target}`;
  const koffiNativeDir = packageDir(koffiNative, koffiVersion);
  cpSync(koffiNativeDir, path.join(stage, koffiNative), { recursive: true });

  const canvasVersion = versionOf('@napi-rs/canvas');
  cpSync(path.join('node_modules', '@napi-rs', 'canvas'), path.join(stage, '@napi-rs', 'canvas'), { recursive: true, filter: (f) => !/\.(md|d\.ts)$/.test(f) });
  const canvasNative = `@napi-rs/canvas-${CANVAS_TRIPLES[target]}`;
  const canvasNativeDir = packageDir(canvasNative, canvasVersion);
  cpSync(canvasNativeDir, path.join(stage, canvasNative), { recursive: true });

  return {
    koffi: `${koffiVersion}, ${koffiNative}`,
    extra: [
      { dir: path.join('node_modules', 'koffi') },
      { dir: koffiNativeDir, licenceDir: path.join('node_modules', 'koffi') },
      { dir: path.join('node_modules', '@napi-rs', 'canvas') },
      { dir: canvasNativeDir, licenceDir: path.join('node_modules', '@napi-rs', 'canvas') },
    ],
  };
}
