// Builds a platform-specific .vsix: production bundles plus koffi's runtime files and the one native
// binary for the target (koffi 3 ships each platform's binary as its own npm package). The staging
// folder dist/node_modules is removed afterwards so local runs keep resolving koffi from ./node_modules.
//   node extension/build/packageVsix.mjs [--target win32-x64]
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { NATIVE_TARGETS, stageNativePackages } from './nativePackages.mjs';
import { thirdPartyNotices } from './thirdPartyNotices.mjs';

const TARGETS = NATIVE_TARGETS;
const targetArg = process.argv.indexOf('--target');
const target = targetArg > 0 ? process.argv[targetArg + 1] : `${process.platform}-${process.arch}`;
if (!TARGETS.includes(target)) {
  console.error(`packageVsix: --target must be one of ${TARGETS.join(', ')}; got ${JSON.stringify(target)}`);
  process.exit(2);
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const stage = path.join('dist', 'node_modules');
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: 'inherit', ...opts });

const BUNDLES = ['extension', 'cli', 'driver', 'agent', 'standin', 'webviews'];
run(process.execPath, ['esbuild.mjs', '--production', `--only=${BUNDLES.join(',')}`]);

rmSync(stage, { recursive: true, force: true });
const staged = stageNativePackages(stage, target);

// The licence of every package bundled or shipped; LICENSE (ours) is picked up by vsce from the root.
const notices = thirdPartyNotices(BUNDLES, staged.extra);
writeFileSync(path.join('dist', 'THIRD-PARTY-NOTICES.txt'), notices.text);
console.log(`THIRD-PARTY-NOTICES.txt: ${notices.count} packages`);

const out = path.join('dist', `fastbench-${pkg.version}-${target}.vsix`);
try {
  run(process.execPath, ['node_modules/@vscode/vsce/vsce', 'package', '--target', target, '--no-dependencies', '--allow-missing-repository', '--out', out]);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
console.log(`${out}: ${(statSync(out).size / 1024 / 1024).toFixed(2)} MiB (koffi ${staged.koffi})`);
