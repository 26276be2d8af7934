#!/usr/bin/env node
// A stand-in for the VS Code executable, for @vscode/test-electron's runTests (vscodeExecutablePath = code-wrapper.sh).
// It takes the arguments runTests passes to Electron VS Code, and instead:
//   1. starts code-server (VS Code 1.100 server + web workbench) on 127.0.0.1:<free port>, in its own process group;
//   2. starts Debian's /usr/bin/chromium headless through playwright-core (in its own process group);
//   3. exposes window.codeAutomationLog / window.codeAutomationExit, which the web workbench calls while and after the
//      extension tests run in the (Node) remote extension host, and opens
//      /?folder=<workspace>&payload=[["extensionDevelopmentPath","vscode-remote://…"],["extensionTestsPath","vscode-remote://…"]];
//   4. relays the log lines to stdout and exits with the code the tests gave to codeAutomationExit,
//      always killing both process groups (also on timeout, SIGINT, SIGTERM, and crashes).
// The tests get FASTBENCH_VSCODE_CONTROL=http://127.0.0.1:<port> in their environment: a loopback API to take
// screenshots and press keys in the live workbench (see startControl below).
// Env: FASTBENCH_TEST_TOOLS (tools folder), FASTBENCH_VSCODE_TIMEOUT_MS (default 300000),
//      FASTBENCH_VSCODE_SCREENSHOT=<png> (screenshot just before exit; the extension host has stopped by then),
//      FASTBENCH_VSCODE_LOGS=<dir> (keep workbench and code-server logs), FASTBENCH_VSCODE_VERBOSE=1 (also relay
//      code-server output, the page's console and workbench start-up chatter), FASTBENCH_VSCODE_KEEP=1 (keep the
//      throwaway HOME/TMPDIR folder), FASTBENCH_CHROMIUM (default /usr/bin/chromium).
// Exit code: the tests' (0 passed, 1 failed); 124 timeout; 130/143/129 signal; 2 lane not usable; 1 other lane errors.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';

const TAG = '[vscode-lane]';
const t0 = Date.now();
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const tools = path.resolve(process.env.FASTBENCH_TEST_TOOLS || path.join(repo, '.test-tools/vscode'));
const entry = path.join(tools, 'node_modules/code-server/out/node/entry.js');
const chromiumPath = process.env.FASTBENCH_CHROMIUM || '/usr/bin/chromium';
const timeoutMs = Number(process.env.FASTBENCH_VSCODE_TIMEOUT_MS || 300_000);
const verbose = process.env.FASTBENCH_VSCODE_VERBOSE === '1';
const screenshotPath = process.env.FASTBENCH_VSCODE_SCREENSHOT;
const logsDir = process.env.FASTBENCH_VSCODE_LOGS;
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

const secs = () => ((Date.now() - t0) / 1000).toFixed(1) + ' s';
const say = (msg) => process.stdout.write(`${TAG} ${msg}\n`);
const warn = (msg) => process.stderr.write(`${TAG} ${msg}\n`);

// ------------------------------------------------------------------ arguments
function parseArgs(argv) {
  const o = { devPaths: [], testsPath: undefined, userDataDir: undefined, extensionsDir: undefined, folders: [], ignored: [] };
  const valued = new Set(['extensionDevelopmentPath', 'extensionTestsPath', 'user-data-dir', 'extensions-dir']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--([^=]+)(?:=([\s\S]*))?$/.exec(a);
    if (!m) {
      o.folders.push(a);
      continue;
    }
    const key = m[1];
    let val = m[2];
    if (val === undefined && valued.has(key)) val = argv[++i];
    if (key === 'extensionDevelopmentPath') o.devPaths.push(val);
    else if (key === 'extensionTestsPath') o.testsPath = val;
    else if (key === 'user-data-dir') o.userDataDir = val;
    else if (key === 'extensions-dir') o.extensionsDir = val;
    else o.ignored.push(a); // --no-sandbox, --disable-updates, --skip-welcome, ... (Electron-only flags)
  }
  return o;
}

// ------------------------------------------------------------------ state + cleanup
let csProc; // code-server (leader of its own process group)
let browserPid; // chromium (leader of its own process group, spawned detached by playwright)
let browserServer, browser, page;
let scratch;
let control; // HTTP server the tests can call (FASTBENCH_VSCODE_CONTROL) to take screenshots / press keys
let finishing = false;

function killGroup(pid, signal) {
  if (!pid) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}
function groupAlive(pid) {
  if (!pid) return false;
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}
// Processes that left both groups but still use our throwaway folder (chromium's crashpad handlers daemonize into
// their own session, with --database=<our HOME>/.config/chromium/Crash Reports): found by that unique path.
function stragglers() {
  if (!scratch) return [];
  const out = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(scratch)) out.push(Number(name));
    } catch {}
  }
  return out;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const withTimeout = (p, ms) => Promise.race([Promise.resolve(p).catch(() => {}), sleep(ms)]);

// Last resort if the process dies some other way: kill both groups synchronously.
process.on('exit', () => {
  killGroup(browserPid, 'SIGKILL');
  killGroup(csProc?.pid, 'SIGKILL');
});

async function finish(code, reason) {
  if (finishing) return;
  finishing = true;
  clearTimeout(timer);
  if (screenshotPath && page) {
    await withTimeout(
      page.screenshot({ path: screenshotPath }).then(() => say(`screenshot: ${screenshotPath}`)),
      10_000,
    );
  }
  // chromium: ask playwright to close, then make sure the whole group is gone.
  control?.close();
  control?.closeAllConnections?.();
  await withTimeout(browser?.close(), 5_000);
  await withTimeout(browserServer?.close(), 5_000);
  killGroup(browserPid, 'SIGKILL');
  // code-server (+ its extension host, pty host, file watcher): TERM the group, then KILL.
  if (csProc && killGroup(csProc.pid, 'SIGTERM')) {
    for (let i = 0; i < 10 && groupAlive(csProc.pid); i++) await sleep(100);
    killGroup(csProc.pid, 'SIGKILL');
  }
  for (let i = 0; i < 20 && (groupAlive(csProc?.pid) || groupAlive(browserPid)); i++) await sleep(100);
  for (let i = 0, left; i < 20 && (left = stragglers()).length; i++) {
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    await sleep(100);
  }
  if (code !== 0 && scratch && !['tests', 'SIGINT', 'SIGTERM', 'SIGHUP', 'parent died'].includes(reason)) {
    const csLog = path.join(scratch, 'code-server.log');
    if (fs.existsSync(csLog)) {
      const tail = fs
        .readFileSync(csLog, 'utf8')
        .split('\n')
        .filter((l) => l.trim())
        .slice(-40)
        .join('\n');
      if (tail) warn(`code-server log (last lines):\n${tail}`);
    }
  }
  if (logsDir && scratch) {
    try {
      fs.mkdirSync(logsDir, { recursive: true });
      fs.copyFileSync(path.join(scratch, 'code-server.log'), path.join(logsDir, 'code-server.log'));
    } catch {}
  }
  if (scratch && process.env.FASTBENCH_VSCODE_KEEP !== '1') {
    try {
      fs.rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
    } catch {}
  }
  const msg = `exit ${code} (${reason}) after ${secs()}`;
  code === 0 ? say(msg) : warn(msg);
  // Give the parent (runTests) time to read our pipes: it destroys them as soon as it sees us exit.
  await new Promise((r) => process.stdout.write('', r));
  await sleep(250);
  process.exit(code);
}
let timer;
process.on('SIGINT', () => finish(130, 'SIGINT'));
process.on('SIGTERM', () => finish(143, 'SIGTERM'));
process.on('SIGHUP', () => finish(129, 'SIGHUP'));
process.stdout.on('error', () => {}); // EPIPE when the parent is gone: the watchdog below handles that
process.stderr.on('error', () => {});
// If whoever started us dies without signalling (e.g. SIGKILL), do not leave code-server and chromium behind.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) finish(1, 'parent died');
}, 1000).unref();
process.on('uncaughtException', (e) => {
  warn(`error: ${e?.stack || e}`);
  finish(1, 'wrapper error');
});
process.on('unhandledRejection', (e) => {
  warn(`error: ${e?.stack || e}`);
  finish(1, 'wrapper error');
});

// ------------------------------------------------------------------ helpers
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
function lineRelay(stream, onLine) {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  stream.on('end', () => {
    if (buf) onLine(buf);
  });
}
function remoteUri(authority, p) {
  // vscode-remote://127.0.0.1:PORT/abs/path (path segments percent-encoded)
  return `vscode-remote://${authority}${path.resolve(p).split('/').map(encodeURIComponent).join('/')}`;
}
// Workbench start-up chatter that says nothing about the tests (shown with FASTBENCH_VSCODE_VERBOSE=1).
const NOISE = [
  /^Resolv(ing|ed) connection token /,
  /^Creating a socket \(/,
  /^\[Service Worker\] registered$/,
  /^Ignoring fetching additional builtin extensions from gallery/,
  /^Updating additional builtin extensions cache$/,
  /^ChatSessionStore: Migrating 0 chat sessions/,
];
// The workbench calls codeAutomationLog(level, args) with the arguments of one console call in the extension host
// (or of a workbench log line); print them as console.log would.
function relayAutomationLog(level, args) {
  const parts = Array.isArray(args) ? args : [args];
  const text = parts.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 4, breakLength: Infinity }))).join(' ');
  if (!verbose && level === 'info' && NOISE.some((re) => re.test(text))) return;
  for (const line of text.replace(/\n$/, '').split('\n')) {
    process.stdout.write(level === 'info' ? `${line}\n` : `[${level}] ${line}\n`);
  }
}

// A tiny loopback HTTP API for the tests running in the extension host (they get its URL in
// process.env.FASTBENCH_VSCODE_CONTROL), to look at and drive the UI as a person would while the extension is live:
//   GET /screenshot?path=/abs/file.png   GET /press?key=F1   GET /type?text=FastBench%3A%20Probe
//   GET /frames: JSON [{ url, text, canvases: [{ width, height, paintedPixels }] }] for every frame of the page,
//   webview iframes included, so a test can check what a webview actually rendered.
// Each answers 200 once done (500 + message on error).
function startControl() {
  control = http.createServer(async (req, res) => {
    const u = new URL(req.url, 'http://x');
    try {
      if (!page) throw new Error('page not ready');
      if (u.pathname === '/screenshot') {
        const p = u.searchParams.get('path');
        if (!p || !path.isAbsolute(p)) throw new Error('path must be absolute');
        await page.screenshot({ path: p });
      } else if (u.pathname === '/press') {
        await page.keyboard.press(u.searchParams.get('key'));
      } else if (u.pathname === '/type') {
        await page.keyboard.type(u.searchParams.get('text') ?? '', { delay: Number(u.searchParams.get('delay') ?? 10) });
      } else if (u.pathname === '/frames') {
        const frames = [];
        for (const frame of page.frames()) {
          // A frame may navigate or go away while we look: skip it rather than fail the whole answer.
          const seen = await frame.evaluate(inspectFrame).catch(() => null);
          if (seen) frames.push({ url: frame.url(), ...seen });
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(frames));
        return;
      } else {
        res.writeHead(404).end('unknown: use /screenshot?path=, /press?key=, /type?text=, /frames');
        return;
      }
      res.writeHead(200).end('ok');
    } catch (e) {
      res.writeHead(500).end(String(e?.message || e));
    }
  });
  return new Promise((resolve) => control.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${control.address().port}`)));
}

/** Runs inside a page frame: its visible text and, per canvas, how many pixels are not transparent. */
/* global document */
function inspectFrame() {
  const canvases = [...document.querySelectorAll('canvas')].map((c) => {
    let paintedPixels = -1;
    try {
      const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      paintedPixels = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) paintedPixels++;
    } catch {
      // a WebGL canvas or a tainted one: size only
    }
    return { width: c.width, height: c.height, paintedPixels };
  });
  return { text: document.body ? document.body.innerText : '', canvases };
}

// ------------------------------------------------------------------ main
async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(entry) || !fs.existsSync(path.join(tools, '.installed'))) {
    warn(`VS Code test tools are not installed in ${tools}; run: bash test/vscode/lane/install-tools.sh`);
    process.exit(2);
  }
  if (!fs.existsSync(chromiumPath)) {
    warn(`${chromiumPath} not found; run: bash test/vscode/lane/install-tools.sh`);
    process.exit(2);
  }
  if (args.devPaths.length > 1) warn(`only one --extensionDevelopmentPath is supported by the web workbench; using ${args.devPaths.at(-1)}`);
  const devPath = args.devPaths.at(-1);

  // Throwaway HOME / XDG_* / TMPDIR: nothing of the user's is read or written.
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'fastbench-vscode-'));
  const d = (n) => {
    const p = path.join(scratch, n);
    fs.mkdirSync(p, { recursive: true, mode: 0o700 });
    return p;
  };
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^(VSCODE_|ELECTRON_|CODE_SERVER_|npm_)/.test(k) || ['PASSWORD', 'HASHED_PASSWORD', 'PORT', 'GITHUB_TOKEN'].includes(k)) delete env[k];
  }
  Object.assign(env, {
    HOME: d('home'),
    XDG_CONFIG_HOME: d('home/.config'),
    XDG_DATA_HOME: d('home/.local/share'),
    XDG_CACHE_HOME: d('home/.cache'),
    XDG_STATE_HOME: d('home/.local/state'),
    XDG_RUNTIME_DIR: d('runtime'),
    TMPDIR: d('tmp'),
    TMP: path.join(scratch, 'tmp'),
    TEMP: path.join(scratch, 'tmp'),
    // No extension marketplace (it is unreachable here, and tests must not depend on it).
    EXTENSIONS_GALLERY: process.env.FASTBENCH_EXTENSIONS_GALLERY || '{}',
    FASTBENCH_VSCODE_CONTROL: await startControl(),
  });
  process.env.TMPDIR = env.TMPDIR; // playwright puts chromium's fresh profile in os.tmpdir()

  const userDataDir = path.resolve(args.userDataDir || d('user-data'));
  const extensionsDir = path.resolve(args.extensionsDir || d('extensions'));
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  const settings = path.join(userDataDir, 'User', 'settings.json');
  if (!fs.existsSync(settings)) {
    fs.writeFileSync(
      settings,
      JSON.stringify(
        {
          'workbench.startupEditor': 'none',
          'workbench.tips.enabled': false,
          'security.workspace.trust.enabled': false,
          'telemetry.telemetryLevel': 'off',
          'update.mode': 'none',
          'extensions.autoCheckUpdates': false,
          'extensions.autoUpdate': false,
          'extensions.ignoreRecommendations': true,
          'git.enabled': false,
        },
        null,
        2,
      ),
    );
  }
  const workspace = args.folders.length ? path.resolve(args.folders[0]) : d('workspace');
  if (!fs.statSync(workspace, { throwIfNoEntry: false })?.isDirectory()) {
    warn(`workspace folder ${workspace} does not exist`);
    return finish(2, 'bad arguments');
  }

  timer = setTimeout(() => {
    warn(`timed out after ${timeoutMs} ms`);
    finish(124, 'timeout');
  }, timeoutMs);

  // 1. code-server
  const port = await freePort();
  const authority = `127.0.0.1:${port}`;
  const csLog = fs.createWriteStream(path.join(scratch, 'code-server.log'));
  fs.writeFileSync(path.join(scratch, 'config.yaml'), 'auth: none\ncert: false\n');
  csProc = spawn(
    process.execPath,
    [
      entry,
      '--bind-addr',
      authority,
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      '--config',
      path.join(scratch, 'config.yaml'),
      '--user-data-dir',
      userDataDir,
      '--extensions-dir',
      extensionsDir,
    ],
    { cwd: scratch, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const onCsLine = (line) => {
    csLog.write(line + '\n');
    if (verbose) process.stderr.write(`[code-server] ${line}\n`);
  };
  lineRelay(csProc.stdout, onCsLine);
  lineRelay(csProc.stderr, onCsLine);
  csProc.on('exit', (code, sig) => {
    if (!finishing) {
      warn(`code-server exited early (${code ?? sig})`);
      finish(1, 'code-server died');
    }
  });

  let up = false;
  for (let i = 0; i < 600 && !finishing; i++) {
    try {
      if ((await fetch(`http://${authority}/healthz`)).ok) {
        up = true;
        break;
      }
    } catch {}
    await sleep(100);
  }
  if (finishing) return;
  if (!up) {
    warn('code-server did not answer within 60 s');
    return finish(1, 'code-server start');
  }
  say(`code-server ${authority} up after ${secs()}`);

  // 2. chromium, headless, through playwright-core (never downloads a browser)
  const require = createRequire(path.join(tools, 'package.json'));
  const { chromium } = require('playwright-core');
  browserServer = await chromium.launchServer({
    executablePath: chromiumPath,
    headless: true,
    args: CHROMIUM_FLAGS,
    env,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  browserPid = browserServer.process().pid;
  browser = await chromium.connect(browserServer.wsEndpoint());
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  page.on('crash', () => {
    warn('page crashed');
    finish(1, 'page crash');
  });
  if (verbose) {
    page.on('console', (m) => process.stderr.write(`[page ${m.type()}] ${m.text()}\n`));
    page.on('pageerror', (e) => process.stderr.write(`[page error] ${e?.stack || e}\n`));
  }
  await page.exposeFunction('codeAutomationLog', (level, message) => relayAutomationLog(level, message));
  await page.exposeFunction('codeAutomationExit', (code, logs) => {
    say(`tests reported exit code ${code} after ${secs()}`);
    if (logsDir && Array.isArray(logs)) {
      for (const { relativePath, contents } of logs) {
        try {
          const out = path.join(logsDir, 'workbench', relativePath);
          fs.mkdirSync(path.dirname(out), { recursive: true });
          fs.writeFileSync(out, contents);
        } catch {}
      }
    }
    setImmediate(() => finish(Number.isInteger(code) ? code : 1, 'tests'));
  });

  // 3. open the workbench with the extension under development and the tests
  const payload = [];
  if (devPath) payload.push(['extensionDevelopmentPath', remoteUri(authority, devPath)]);
  if (args.testsPath) payload.push(['extensionTestsPath', remoteUri(authority, args.testsPath)]);
  const url = `http://${authority}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  say(`chromium up after ${secs()}; opening ${workspace}${devPath ? ` with ${devPath}` : ''}`);
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  if (!args.testsPath) say('no --extensionTestsPath: the workbench stays open until timeout or a signal');
}

main().catch((e) => {
  warn(`error: ${e?.stack || e}`);
  finish(1, 'wrapper error');
});
