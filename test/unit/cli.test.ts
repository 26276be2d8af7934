import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../extension/cli/main';
import { REPO_ROOT, WORKSPACE } from './fixturePaths';

async function cli(args: string[], cwd = WORKSPACE) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t), cwd, env: {}, signal: new AbortController().signal });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('help lists the working commands and exit codes', async () => {
  const r = await cli(['--help']);
  assert.equal(r.code, 0);
  for (const c of ['config validate', 'recording validate', 'runs']) assert.match(r.out, new RegExp(`^  ${c} `, 'm'));
  assert.match(r.out, /0 ok, 1 failed, 2 bad input, 130 interrupted/);
});

test('unknown commands and options are bad input (exit 2)', async () => {
  assert.equal((await cli(['frobnicate'])).code, 2);
  const r = await cli(['recording', 'validate', 'x', '--nope']);
  assert.equal(r.code, 2);
  assert.equal(r.err, "fastbench recording validate: Unknown option '--nope'.\nUsage: fastbench recording validate FILE [--json]");
  assert.equal((await cli(['config'])).code, 2);
});

test('config validate: defaults to ./fastbench.json; --json reports problems', async () => {
  assert.deepEqual(await cli(['config', 'validate']), { code: 0, out: 'fastbench.json: valid FastBench config', err: '' });
  const r = await cli(['recording', 'validate', 'broken.fbrec.json', '--json']);
  assert.equal(r.code, 2);
  const report = JSON.parse(r.out);
  assert.equal(report.ok, false);
  assert.deepEqual(Object.keys(report.problems[0]).sort(), ['column', 'expected', 'file', 'found', 'line', 'path']);
});

test('runs lists the fixture folder, broken runs included', async () => {
  const r = await cli(['runs']);
  assert.equal(r.code, 0);
  assert.match(r.out, /5 run\(s\)/);
  assert.match(r.out, /zz-interrupted: broken \(run\.json is missing\)/);
  const json = JSON.parse((await cli(['runs', '--json'])).out);
  assert.equal(json.runs.length, 5);
});

test('the real binary: clear errors on stderr, exit 2, never a stack trace', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fb-cli-'));
  writeFileSync(path.join(dir, 'trunc.fbrec.json'), '{"version": 2, "events": [');
  writeFileSync(path.join(dir, 'empty.fbrec.json'), '');
  const bin = path.join(REPO_ROOT, 'dist', 'cli.js');
  for (const [file, expected] of [
    ['trunc.fbrec.json', /^trunc\.fbrec\.json:1:27: JSON syntax: expected a value .*found end of file$/m],
    ['empty.fbrec.json', /^empty\.fbrec\.json:1:1: JSON syntax: expected a JSON value, found an empty file$/m],
    ['missing.fbrec.json', /^missing\.fbrec\.json: expected a readable file, found no such file$/m],
  ] as const) {
    const r = spawnSync(process.execPath, [bin, 'recording', 'validate', file], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, expected);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('the real binary: a recording nested 100,000 arrays deep is refused with its position, not a stack overflow', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fb-cli-'));
  writeFileSync(path.join(dir, 'deep.fbrec.json'), '['.repeat(100_000) + ']'.repeat(100_000));
  writeFileSync(path.join(dir, 'fastbench.json'), '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000));
  const bin = path.join(REPO_ROOT, 'dist', 'cli.js');
  for (const [args, expected] of [
    [['recording', 'validate', 'deep.fbrec.json'], /^deep\.fbrec\.json:1:513: JSON syntax: expected at most 512 nested arrays and objects, found nesting deeper than 512$/m],
    [['config', 'validate', 'fastbench.json'], /^fastbench\.json:1:2561: JSON syntax: expected at most 512 nested arrays and objects, found nesting deeper than 512$/m],
  ] as const) {
    const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, expected);
    assert.doesNotMatch(r.stderr, /\n\s+at |Maximum call stack/, 'no stack trace');
  }
});
