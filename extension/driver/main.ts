import { createConnection, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { TOOL_VERSION } from '../core/version';
import type { DriverBackend } from './backend';
import { DriverServer } from './driverServer';

// The driver process: JSON lines over stdio, or over a loopback TCP connection (`--connect PORT`) where
// stdio cannot be piped (a Linux parent and a Windows driver under Wine). It exits cleanly, with every
// key and button it pressed released and every hook removed, when its input closes, on SIGTERM/SIGINT,
// when its parent dies, or on driver/shutdown.

function loadBackend(): DriverBackend {
  const name = process.env.FASTBENCH_DRIVER_BACKEND ?? (process.platform === 'win32' ? 'win32' : 'x11');
  // Required lazily: each backend loads its own native libraries through koffi.
  if (name === 'win32') return new (require('./win32/win32Backend') as typeof import('./win32/win32Backend')).Win32Backend();
  if (name === 'x11') return new (require('./x11/x11Backend') as typeof import('./x11/x11Backend')).X11Backend();
  throw new Error(`unknown driver backend "${name}" (win32 or x11)`);
}

async function openTransport(): Promise<{ input: Readable; output: Writable; socket?: Socket }> {
  const at = process.argv.indexOf('--connect');
  if (at < 0) return { input: process.stdin, output: process.stdout };
  const port = Number(process.argv[at + 1]);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`--connect needs a TCP port, got ${process.argv[at + 1]}`);
  const socket = createConnection({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.setNoDelay(true);
  return { input: socket, output: socket, socket };
}

async function main(): Promise<void> {
  const { input, output } = await openTransport();
  const send = (message: object) => {
    output.write(JSON.stringify(message) + '\n');
  };
  let server: DriverServer;
  try {
    server = new DriverServer(loadBackend(), send, TOOL_VERSION);
  } catch (e) {
    // The client learns why the driver cannot start instead of seeing a silent exit.
    send({ type: 'event', event: 'log', data: { level: 'error', message: `driver cannot start: ${(e as Error).message}` } });
    output.end();
    process.exitCode = 1;
    return;
  }

  let stopping = false;
  const stop = (why: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    try {
      server.close();
    } catch (e) {
      process.stderr.write(`driver: close failed: ${(e as Error).message}\n`);
      code = 1;
    }
    if (process.env.FASTBENCH_DRIVER_DEBUG) process.stderr.write(`driver: stopped (${why})\n`);
    output.end(() => process.exit(code));
    setTimeout(() => process.exit(code), 500).unref();
  };

  process.on('SIGTERM', () => stop('SIGTERM'));
  // Ctrl-C in a terminal reaches the whole process group; the driver's parent decides when it ends
  // (driver/shutdown or closing our input), so the parent can release input and stop capture in order.
  process.on('SIGINT', () => {});
  process.on('uncaughtException', (e) => {
    process.stderr.write(`driver: ${e.stack ?? e.message}\n`);
    stop('uncaught exception', 1);
  });
  const parent = process.ppid;
  setInterval(() => {
    // Reparenting means the parent died without closing our input (e.g. SIGKILL with a leaked pipe).
    if (process.ppid !== parent) stop('parent died');
  }, 1000).unref();

  const lines = createInterface({ input, crlfDelay: Infinity });
  lines.on('close', () => stop('input closed'));
  server.hello();
  server.attachBackendLog();
  // Requests run concurrently (a long attach must not hold up a shutdown); synchronous ones still
  // complete in arrival order because handleLine does no I/O before dispatching them.
  lines.on('line', (line) => {
    if (!line.trim()) return;
    void server.handleLine(line).then((next) => {
      if (next === 'shutdown') stop('driver/shutdown');
    });
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`driver: ${(e as Error).message}\n`);
  process.exit(1);
});
