import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from './fixturePaths';

// bin/fastbench (the .vsix's CLI in VS Code terminals on Linux/macOS) with this Node standing in for VS Code's
// runtime. bin/fastbench.cmd is run under Wine (test/wine/fastbenchExe.test.ts).
const script = path.join(REPO_ROOT, 'bin', 'fastbench');
const cli = path.join(REPO_ROOT, 'dist', 'cli.js');

test('bin/fastbench runs dist/cli.js with FASTBENCH_NODE and passes arguments and exit codes through', { skip: existsSync(cli) ? undefined : 'no dist/cli.js' }, () => {
  const env = { ...process.env, FASTBENCH_NODE: process.execPath };
  const version = spawnSync(script, ['--version'], { env, encoding: 'utf8' });
  assert.equal(version.status, 0, version.stderr);
  assert.equal(version.stdout.trim(), JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version);
  const bad = spawnSync(script, ['no-such-command'], { env, encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown command "no-such-command"/);
  const noRuntime = spawnSync(script, ['--version'], { env: { PATH: process.env.PATH }, encoding: 'utf8' });
  assert.equal(noRuntime.status, 2);
  assert.match(noRuntime.stderr, /FASTBENCH_NODE is not set/);
});
