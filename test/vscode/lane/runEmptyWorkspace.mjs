#!/usr/bin/env node
// The first-contact tests: the lane again, on a fresh empty folder (no fastbench.json), with their own tests module
// (dist/test/vscode/emptyWorkspace.js). The folder is deleted afterwards.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'fastbench-empty-ws-'));
try {
  const r = spawnSync(process.execPath, [path.join(here, 'run.mjs'), '--workspace', workspace], {
    stdio: 'inherit',
    env: { ...process.env, FASTBENCH_EXT_TESTS_PATH: path.join(repo, 'dist/test/vscode/emptyWorkspace.js') },
  });
  process.exitCode = r.status ?? 1;
} finally {
  fs.rmSync(workspace, { recursive: true, force: true });
}
