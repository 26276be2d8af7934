#!/usr/bin/env node
// Linux side of the wine lane: real X input for tests that run as Windows processes inside Wine (they cannot
// run Linux programs with pipes). JSON lines over a loopback TCP port (printed as "xhelper port N" on stdout):
//   {"id":1,"cmd":"time"}                          -> {"id":1,"t":<CLOCK_MONOTONIC ms>}        (clock calibration)
//   {"id":2,"cmd":"x","line":"mousemove 10 10 click 1"}  -> {"id":2,"t":<ms just before xdotool got the line>,"tAck":...}
//        runs the line in ONE persistent `xdotool -` (script mode executes each line as it arrives), followed by a
//        getmouselocation whose output is the acknowledgement that the line has been executed
//   {"id":3,"cmd":"focus","name":"FastBench Target"} -> {"id":3,"ok":true}   (xdotool search --name … windowfocus)
//   {"id":4,"cmd":"windows","name":"…"}           -> {"id":4,"ids":[…]}
//   {"id":5,"cmd":"fastmount","home":"/tmp/…","sizeMiB":16} -> {"id":5,"volumeA":…,"volumeB":…,"source":…,"log":…}
//        brings up the stand-in's storage on Linux (fastbench standin up --no-viewer: sshfs NAS, fastcache FUSE
//        mount over Azurite; Linux paths), for Win32 programs to read through Wine's Z: drive
//   {"id":6,"cmd":"sha256","file":"/…"}             -> {"id":6,"sha256":…,"bytes":N}   (read on Linux)
//   {"id":7,"cmd":"fastmount-stop"}                 -> {"id":7,"code":N}   (Ctrl-C: the stack stops itself)
//   {"id":8,"cmd":"kill9","token":"fastbench-kill-…"} -> {"id":8,"pids":[…]}   kill -9 (Linux SIGKILL) of the
//        processes whose command line holds that token (a long random one the test gave the process it started),
//        by pid: a Wine process dies as a Linux process would, with no chance to clean up
//   {"id":9,"cmd":"stop","token":"fastbench-kill-…"}  -> {"id":9,"pids":[…]}   SIGSTOP the same way: a process that
//        stops answering (as a driver stuck in a call would), to be killed by whoever started it
// Usage: DISPLAY=:N node test/wine/xhelper.mjs   (exits when stdin closes or on SIGTERM)
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let stack; // the `standin up` child of fastmount

const now = () => Number(process.hrtime.bigint()) / 1e6;
const xdo = spawn('xdotool', ['-'], { stdio: ['pipe', 'pipe', 'inherit'] });
const acks = [];
readline.createInterface({ input: xdo.stdout }).on('line', () => acks.shift()?.(now()));
xdo.on('exit', (code) => {
  console.error(`xhelper: xdotool exited (${code})`);
  process.exit(1);
});

// One line at a time, so each acknowledgement belongs to its own line.
let chain = Promise.resolve();
function runLine(line) {
  const run = () =>
    new Promise((resolve) => {
      acks.push((tAck) => resolve({ t, tAck }));
      const t = now();
      xdo.stdin.write(`${line}\ngetmouselocation\n`);
    });
  const result = chain.then(run);
  chain = result.then(() => undefined);
  return result;
}

async function handle(msg) {
  switch (msg.cmd) {
    case 'time':
      return { t: now() };
    case 'x':
      return runLine(String(msg.line));
    case 'focus': {
      const r = spawnSync('xdotool', ['search', '--name', String(msg.name), 'windowfocus'], { encoding: 'utf8', timeout: 5000 });
      return { ok: r.status === 0, stderr: r.stderr };
    }
    case 'windows': {
      const r = spawnSync('xdotool', ['search', '--name', String(msg.name)], { encoding: 'utf8', timeout: 5000 });
      return { ids: r.stdout.split('\n').filter(Boolean) };
    }
    case 'fastmount':
      return fastMount(String(msg.home), Number(msg.sizeMiB ?? 16));
    case 'fastmount-stop':
      return fastMountStop();
    case 'sha256': {
      const hash = createHash('sha256');
      let bytes = 0;
      for await (const chunk of createReadStream(String(msg.file))) {
        hash.update(chunk);
        bytes += chunk.length;
      }
      return { sha256: hash.digest('hex'), bytes };
    }
    case 'kill9':
    case 'stop': {
      const token = String(msg.token);
      if (!/^fastbench-kill-[0-9a-f]{16,}$/.test(token)) throw new Error('kill9 needs a token fastbench-kill-<16+ hex digits>');
      const pids = [];
      for (const name of readdirSync('/proc')) {
        if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
        let cmdline = '';
        try {
          cmdline = readFileSync(`/proc/${name}/cmdline`, 'latin1');
        } catch {
          continue; // gone meanwhile
        }
        if (!cmdline.includes(token)) continue;
        process.kill(Number(name), msg.cmd === 'stop' ? 'SIGSTOP' : 'SIGKILL');
        pids.push(Number(name));
      }
      return { pids };
    }
    default:
      throw new Error(`unknown command ${msg.cmd}`);
  }
}

function fastMount(home, sizeMiB) {
  if (stack) throw new Error('fastmount: a stand-in stack is already up');
  const child = spawn(process.execPath, [path.join(repo, 'dist', 'cli.js'), 'standin', 'up', '--no-viewer', '--size', String(sizeMiB), '--profile', 'lan'], {
    env: { ...process.env, FASTBENCH_STANDIN_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  stack = child;
  let said = '';
  child.stderr.on('data', (d) => (said += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fastmount: the stand-in was not up within 180 s: ${said}`)), 180_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      stack = undefined;
      reject(new Error(`fastmount: fastbench standin up exited (${code}): ${said}`));
    });
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      said += line + '\n';
      if (!line.startsWith('Ctrl-C stops')) return;
      clearTimeout(timer);
      const at = (mode) => new RegExp(`^\\s+${mode}\\s+(\\S+)`, 'm').exec(said)?.[1];
      resolve({ volumeA: at('A_shared'), volumeB: at('B_fast'), source: /^volume (\S+)/m.exec(said)?.[1], log: path.join(home, 'logs', 'fastcache.log') });
    });
  });
}

function fastMountStop() {
  const child = stack;
  if (!child) return Promise.resolve({ code: null });
  stack = undefined;
  child.removeAllListeners('exit');
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code });
    });
    child.kill('SIGINT');
  });
}

const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  readline.createInterface({ input: socket }).on('line', (line) => {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    handle(msg).then(
      (result) => socket.write(JSON.stringify({ id: msg.id, ...result }) + '\n'),
      (e) => socket.write(JSON.stringify({ id: msg.id, error: String(e.message ?? e) }) + '\n'),
    );
  });
  socket.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => console.log(`xhelper port ${server.address().port}`));
const stop = () => {
  stack?.kill('SIGINT'); // it takes its mounts and servers down itself (or the next start cleans up after it)
  xdo.kill();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
