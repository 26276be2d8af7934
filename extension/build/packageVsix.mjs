// Builds a platform-specific .vsix: production bundles plus koffi's runtime files and the one native
// binary for the target (koffi 3 ships each platform's binary as its own npm package). The staging
// folder dist/node_modules is removed afterwards so local runs keep resolving koffi from ./node_modules.
//   node extension/build/packageVsix.mjs [--target win32-x64]
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { thirdPartyNotices } from './thirdPartyNotices.mjs';

const TARGETS = ['win32-x64', 'win32-arm64', 'linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64'];
const targetArg = process.argv.indexOf('--target');
const target = targetArg > 0 ? process.argv[targetArg + 1] : `${process.platform}-${process.arch}`;
if (!TARGETS.includes(target)) {
  console.error(`packageVsix: --target must be one of ${TARGETS.join(', ')}; got ${JSON.stringify(target)}`);
  process.exit(2);
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const koffiVersion = JSON.parse(readFileSync('node_modules/koffi/package.json', 'utf8')).version;
const stage = path.join('dist', 'node_modules');
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: 'inherit', ...opts });

const BUNDLES = ['extension', 'cli', 'driver', 'agent', 'standin', 'webviews'];
run(process.execPath, ['esbuild.mjs', '--production', `--only=${BUNDLES.join(',')}`]);

rmSync(stage, { recursive: true, force: true });
// koffi's loader: index.cjs -> src/koffi/index.cjs (+ src/koffi/src/static.cjs), then the platform package.
for (const file of ['package.json', 'LICENSE.txt', 'index.cjs', 'index.d.ts', 'src/koffi/index.cjs', 'src/koffi/src/static.cjs']) {
  const from = path.join('node_modules', 'koffi', file);
  if (!existsSync(from)) continue;
  mkdirSync(path.dirname(path.join(stage, 'koffi', file)), { recursive: true });
  cpSync(from, path.join(stage, 'koffi', file));
}
const nativePkg = `@koromix/koffi-${target}`;
let nativeDir = path.join('node_modules', nativePkg);
if (!existsSync(nativeDir)) {
  // Not installed for this OS: fetch exactly the version koffi expects from the npm registry.
  const tmp = mkdtempSync(path.join(tmpdir(), 'fastbench-koffi-'));
  const tgz = execFileSync('npm', ['pack', `${nativePkg}@${koffiVersion}`, '--pack-destination', tmp, '--silent'], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop();
  run('tar', ['-xzf', path.join(tmp, tgz), '-C', tmp]);
  nativeDir = path.join(tmp, 'package');
}
cpSync(nativeDir, path.join(stage, nativePkg), { recursive: true });

// @napi-rs/canvas (analysis PNG charts, loaded on first use by the CLI): its loader and the target's Skia binary.
const canvasVersion = JSON.parse(readFileSync('node_modules/@napi-rs/canvas/package.json', 'utf8')).version;
cpSync(path.join('node_modules', '@napi-rs', 'canvas'), path.join(stage, '@napi-rs', 'canvas'), { recursive: true, filter: (f) => !/\.(md|d\.ts)$/.test(f) });
const canvasTriple = {
  'win32-x64': 'win32-x64-msvc',
  'win32-arm64': 'win32-arm64-msvc',
  'linux-x64': 'linux-x64-gnu',
  'linux-arm64': 'linux-arm64-gnu',
  'darwin-x64': 'darwin-x64',
  'darwin-arm64': 'darwin-arm64',
}[target];
const canvasPkg = `@napi-rs/canvas-${canvasTriple}`;
let canvasDir = path.join('node_modules', canvasPkg);
if (!existsSync(canvasDir)) {
  const tmp = mkdtempSync(path.join(tmpdir(), 'fastbench-canvas-'));
  const tgz = execFileSync('npm', ['pack', `${canvasPkg}@${canvasVersion}`, '--pack-destination', tmp, '--silent'], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop();
  run('tar', ['-xzf', path.join(tmp, tgz), '-C', tmp]);
  canvasDir = path.join(tmp, 'package');
}
cpSync(canvasDir, path.join(stage, canvasPkg), { recursive: true });

// The licence of every package bundled or shipped; LICENSE (ours) is picked up by vsce from the root.
const notices = thirdPartyNotices(BUNDLES, [
  { dir: path.join('node_modules', 'koffi') },
  { dir: nativeDir, licenceDir: path.join('node_modules', 'koffi') },
  { dir: path.join('node_modules', '@napi-rs', 'canvas') },
  { dir: canvasDir, licenceDir: path.join('node_modules', '@napi-rs', 'canvas') },
]);
writeFileSync(path.join('dist', 'THIRD-PARTY-NOTICES.txt'), notices.text);
console.log(`THIRD-PARTY-NOTICES.txt: ${notices.count} packages`);

const out = path.join('dist', `fastbench-${pkg.version}-${target}.vsix`);
try {
  run(process.execPath, ['node_modules/@vscode/vsce/vsce', 'package', '--target', target, '--no-dependencies', '--allow-missing-repository', '--out', out]);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
console.log(`${out}: ${(statSync(out).size / 1024 / 1024).toFixed(2)} MiB (koffi ${koffiVersion}, ${nativePkg})`);
