#!/usr/bin/env node
// Linux side of the wine lane: real X input for tests that run as Windows processes inside Wine (they cannot
// run Linux programs with pipes). JSON lines over a loopback TCP port (printed as "xhelper port N" on stdout):
//   {"id":1,"cmd":"time"}                          -> {"id":1,"t":<CLOCK_MONOTONIC ms>}        (clock calibration)
//   {"id":2,"cmd":"x","line":"mousemove 10 10 click 1"}  -> {"id":2,"t":<ms just before xdotool got the line>,"tAck":...}
//        runs the line in ONE persistent `xdotool -` (script mode executes each line as it arrives), followed by a
//        getmouselocation whose output is the acknowledgement that the line has been executed
//   {"id":3,"cmd":"focus","name":"FastBench Target"} -> {"id":3,"ok":true}   (xdotool search --name … windowfocus)
//   {"id":4,"cmd":"windows","name":"…"}           -> {"id":4,"ids":[…]}
//   {"id":5,"cmd":"kill9","token":"fastbench-kill-…"} -> {"id":5,"pids":[…]}   kill -9 (Linux SIGKILL) of the
//        processes whose command line holds that token (a long random one the test gave the process it started),
//        by pid: a Wine process dies as a Linux process would, with no chance to clean up
//   {"id":6,"cmd":"stop","token":"fastbench-kill-…"}  -> {"id":6,"pids":[…]}   SIGSTOP the same way: a process that
//        stops answering (as a driver stuck in a call would), to be killed by whoever started it
// Usage: DISPLAY=:N node test/wine/xhelper.mjs   (exits when stdin closes or on SIGTERM)
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import readline from 'node:readline';

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
  xdo.kill();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
