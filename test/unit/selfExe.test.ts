import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, test } from 'node:test';
import { stripAuthenticode } from '../../extension/build/peSignature.mjs';
import { defaultDriverCommand } from '../../extension/core/driver/driverClient';
import { AGENT_NODE_FLAGS, defaultAgentCommand } from '../../extension/core/metrics/agentClient';
import { nodeOptionsEnv, runningAsExe, setRunningAsExeForTest } from '../../extension/core/runtime/selfExe';

// How children are started: Node runs the role's bundle beside the running one; fastbench.exe runs itself with a
// role flag and passes Node flags in NODE_OPTIONS. (fastbench.exe itself runs in the Wine lane: fastbenchExe.test.ts.)

afterEach(() => setRunningAsExeForTest(undefined));

test('under plain Node the driver and agent are the bundles beside this one, Node flags on the command line', () => {
  assert.equal(runningAsExe(), false, 'node:sea says this test is not a single-executable application');
  assert.deepEqual(defaultDriverCommand(), [process.execPath, path.join(__dirname, 'driver.js')]);
  assert.deepEqual(defaultAgentCommand(), [process.execPath, ...AGENT_NODE_FLAGS, path.join(__dirname, 'agent.js')]);
  const env = { PATH: '/bin' };
  assert.equal(nodeOptionsEnv(env, AGENT_NODE_FLAGS), env, 'the environment is left alone');
});

test('inside fastbench.exe the exe starts itself as --driver / --agent, and the agent flags travel in NODE_OPTIONS', () => {
  setRunningAsExeForTest(true);
  assert.deepEqual(defaultDriverCommand(), [process.execPath, '--driver']);
  assert.deepEqual(defaultAgentCommand(), [process.execPath, '--agent']);
  assert.deepEqual(nodeOptionsEnv({ PATH: 'C:\\x' }, AGENT_NODE_FLAGS), { PATH: 'C:\\x', NODE_OPTIONS: AGENT_NODE_FLAGS.join(' ') });
  assert.equal(nodeOptionsEnv({ NODE_OPTIONS: '--trace-warnings' }, ['--a']).NODE_OPTIONS, '--trace-warnings --a', "the user's NODE_OPTIONS are kept");
});

/** A PE32+ file: MZ header pointing at "PE\0\0", an optional header, and a certificate table at the end. */
function fakePe(certificate: Buffer | undefined): Buffer {
  const body = Buffer.alloc(1024);
  body.write('MZ', 0, 'latin1');
  body.writeUInt32LE(0x80, 0x3c);
  body.write('PE\0\0', 0x80, 'latin1');
  body.writeUInt16LE(0x20b, 0x80 + 24);
  const entry = 0x80 + 24 + 112 + 4 * 8;
  if (certificate) {
    body.writeUInt32LE(body.length, entry);
    body.writeUInt32LE(certificate.length, entry + 4);
  }
  return certificate ? Buffer.concat([body, certificate]) : body;
}

test('stripAuthenticode removes the certificate table at the end of a PE file and clears its directory entry', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fb-pe-'));
  const signed = path.join(dir, 'signed.exe');
  writeFileSync(signed, fakePe(Buffer.alloc(200, 0xab)));
  assert.equal(stripAuthenticode(signed), true);
  assert.equal(statSync(signed).size, 1024);
  const entry = 0x80 + 24 + 112 + 4 * 8;
  assert.equal(readFileSync(signed).readBigUInt64LE(entry), 0n);
  assert.equal(stripAuthenticode(signed), false, 'nothing left to remove');

  const plain = path.join(dir, 'plain.exe');
  writeFileSync(plain, fakePe(undefined));
  assert.equal(stripAuthenticode(plain), false);
  assert.equal(statSync(plain).size, 1024);
});

test('stripAuthenticode refuses, naming the file, what is not a PE file or a table not at the end', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fb-pe-'));
  const text = path.join(dir, 'readme.exe');
  writeFileSync(text, 'hello, not a program at all');
  assert.throws(() => stripAuthenticode(text), new RegExp(`${text.replace(/\\/g, '\\\\')}: not a PE file \\(no MZ header\\)`));
  const odd = path.join(dir, 'odd.exe');
  writeFileSync(odd, fakePe(Buffer.alloc(200)));
  const fd = openSync(odd, 'r+');
  writeSync(fd, Buffer.alloc(100), 0, 100, statSync(odd).size); // data after the certificates
  closeSync(fd);
  const before = readFileSync(odd);
  assert.throws(() => stripAuthenticode(odd), /is not at the end of the file/);
  assert.deepEqual(readFileSync(odd), before, 'the file is untouched');
});
