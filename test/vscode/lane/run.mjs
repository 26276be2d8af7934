#!/usr/bin/env node
// Runs the extension's integration tests inside a real VS Code (code-server 1.100.3 + headless Debian chromium).
//   node test/vscode/lane/run.mjs [--workspace DIR]
// Uses @vscode/test-electron's runTests with vscodeExecutablePath = code-wrapper.sh (see README.md beside this file).
// Env: FASTBENCH_EXT_DEV_PATH (default: repo root), FASTBENCH_EXT_TESTS_PATH (default: <repo>/dist/test/vscode/index.js),
//      FASTBENCH_TEST_TOOLS (default: <repo>/.test-tools/vscode), plus the wrapper's FASTBENCH_VSCODE_* variables.
// Exit code: the tests' (0 = all passed); 2 = lane not usable (tools missing, bad arguments).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const tools = path.resolve(process.env.FASTBENCH_TEST_TOOLS || path.join(repo, '.test-tools/vscode'));
const fail = (msg) => {
  console.error(`[vscode-lane] ${msg}`);
  process.exit(2);
};

let workspace;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--workspace') workspace = argv[++i];
  else if (a.startsWith('--workspace=')) workspace = a.slice('--workspace='.length);
  else if (a === '-h' || a === '--help') {
    console.log('usage: node test/vscode/lane/run.mjs [--workspace DIR]');
    process.exit(0);
  } else fail(`unknown argument ${a}; usage: node test/vscode/lane/run.mjs [--workspace DIR]`);
}

if (!fs.existsSync(path.join(tools, '.installed')) || !fs.existsSync(path.join(tools, 'node_modules/code-server/out/node/entry.js'))) {
  fail(`VS Code test tools are not installed in ${tools}; run: bash test/vscode/lane/install-tools.sh`);
}
const extensionDevelopmentPath = path.resolve(process.env.FASTBENCH_EXT_DEV_PATH || repo);
const extensionTestsPath = path.resolve(process.env.FASTBENCH_EXT_TESTS_PATH || path.join(repo, 'dist/test/vscode/index.js'));
if (!fs.existsSync(path.join(extensionDevelopmentPath, 'package.json'))) fail(`no package.json in ${extensionDevelopmentPath}`);
if (!fs.existsSync(extensionTestsPath) && !fs.existsSync(extensionTestsPath + '.js')) {
  fail(`extension tests module ${extensionTestsPath} not found (build it first)`);
}

let runTests;
try {
  ({ runTests } = createRequire(path.join(repo, 'package.json'))('@vscode/test-electron'));
} catch {
  fail(`@vscode/test-electron is not installed in ${repo}/node_modules; run: npm ci`);
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'fastbench-vscode-run-'));
if (!workspace) {
  const fixture = path.join(repo, 'test/fixtures/workspace');
  workspace = fs.existsSync(fixture) ? fixture : path.join(scratch, 'workspace');
}
workspace = path.resolve(workspace);
fs.mkdirSync(workspace, { recursive: true });

// The shim must be executable (runTests spawns it directly); repair a lost exec bit.
const wrapper = path.join(here, 'code-wrapper.sh');
try {
  fs.accessSync(wrapper, fs.constants.X_OK);
} catch {
  fs.chmodSync(wrapper, 0o755);
}

// runTests forwards SIGINT to the wrapper (which then kills code-server and chromium); route SIGTERM/SIGHUP there too.
let signalled;
for (const sig of ['SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    signalled = sig;
    if (process.listenerCount('SIGINT') > 0) process.emit('SIGINT', 'SIGINT');
    else process.exit(1);
  });
}

const t0 = Date.now();
let code;
try {
  code = await runTests({
    vscodeExecutablePath: wrapper,
    extensionDevelopmentPath,
    extensionTestsPath,
    // Explicit profile folders, so runTests does not create .vscode-test/ in the current directory.
    launchArgs: [workspace, `--user-data-dir=${path.join(scratch, 'user-data')}`, `--extensions-dir=${path.join(scratch, 'extensions')}`],
    extensionTestsEnv: { FASTBENCH_VSCODE_LANE: '1' },
  });
} catch (e) {
  // TestRunFailedError carries the wrapper's exit code (or a signal); anything else is a lane error.
  code = Number.isInteger(e?.code) && e.code > 0 && e.code < 256 ? e.code : 1;
  if (!Number.isInteger(e?.code)) console.error(`[vscode-lane] ${e?.message || e}`);
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
console.log(`[vscode-lane] ${code === 0 ? 'PASSED' : `FAILED (exit ${code})`} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
process.exit(signalled ? 128 + os.constants.signals[signalled] : code);
