// Starts a local Azurite (blob service only) for the stand-in's "cloud", and tells whether one answers.
// Azurite keeps blobs in its --location folder, so a blob uploaded once is served again after a restart.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DEV_STORE_ACCOUNT } from '../storage/volumeUpload';

export type RunningAzurite = { accountUrl: string; port: number; pid: number; stop: () => Promise<void> };

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** True when something at accountUrl answers HTTP (any status): Azurite or a real endpoint is up. */
export function blobEndpointAnswers(accountUrl: string, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const url = new URL(accountUrl);
    if (url.protocol !== 'http:') return resolve(false);
    const req = request(url, { method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

function azuriteBlobMain(): string {
  try {
    // Resolved at run time (not bundled): azurite is a dev tool installed beside the repo.
    const req = createRequire(path.join(process.cwd(), 'noop.js'));
    const pkgFile = (() => {
      try {
        return createRequire(__filename).resolve('azurite/package.json');
      } catch {
        return req.resolve('azurite/package.json');
      }
    })();
    return path.join(path.dirname(pkgFile), 'dist', 'src', 'blob', 'main.js');
  } catch {
    throw new Error('Azurite is not installed (it is a devDependency: run "npm ci" in the FastBench folder), or configure azure.accountUrl for a real account');
  }
}

/**
 * `wrap` prefixes the command, e.g. ["ip", "netns", "exec", NAME] to run Azurite in a WAN namespace.
 * `detached`: its own process group, so a Ctrl-C meant for the caller reaches it only through stop().
 */
export async function startAzurite(location: string, port = 0, host = '127.0.0.1', wrap: string[] = [], detached = false): Promise<RunningAzurite> {
  mkdirSync(location, { recursive: true });
  const p = port || (await freePort());
  const args = ['--blobHost', host, '--blobPort', String(p), '--location', location, '--silent', '--disableTelemetry', '--skipApiVersionCheck', '--loose'];
  const command = [...wrap, process.execPath, azuriteBlobMain(), ...args];
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], detached });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  // Azurite must not outlive us when we die without calling stop().
  const killOnExit = () => child.kill();
  process.once('exit', killOnExit);
  void exited.then(() => process.off('exit', killOnExit));
  const accountUrl = `http://${host}:${p}/${DEV_STORE_ACCOUNT}`;
  const deadline = Date.now() + 20_000;
  let dead = false;
  void exited.then(() => (dead = true));
  while (!(await blobEndpointAnswers(accountUrl, 500))) {
    if (dead) throw new Error(`Azurite exited while starting on ${host}:${p}: ${stderr.trim().split('\n').pop() || 'no message'}`);
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`Azurite did not answer on ${host}:${p} within 20 s`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    accountUrl,
    port: p,
    pid: child.pid!,
    stop: async () => {
      if (dead) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
