// Starts the fastcache daemon as a child process and waits until it listens. The child exits when our
// stdin pipe to it closes (--exit-with-stdin), so it never outlives its parent; stop() ends it cleanly.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { redactSecrets } from '../../shared/secrets';

/** `file` is the volume on the daemon's FUSE mount: what the application opens. */
export type RunningFastcache = { pid: number; endpoint: string; file: string; cacheFile: string; stop: () => Promise<void>; stderr: () => string };

/** dist/fastcache.js beside the calling bundle (dist/cli.js, dist/extension.js) or two levels up (tests). */
export function defaultDaemonScript(): string {
  for (const candidate of [path.join(__dirname, 'fastcache.js'), path.join(__dirname, '..', '..', 'fastcache.js')]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`fastcache.js not found beside ${__dirname}: build it with "node esbuild.mjs --only=standin"`);
}

/** `detached`: its own process group, so a Ctrl-C meant for the caller does not reach it before the caller stops it. */
export async function startFastcache(
  args: string[],
  options: { script?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; detached?: boolean } = {},
): Promise<RunningFastcache> {
  const script = options.script ?? defaultDaemonScript();
  const child = spawn(process.execPath, [script, ...args, '--exit-with-stdin'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: options.env ?? process.env,
    detached: options.detached === true,
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const lines = createInterface({ input: child.stdout! });
  const timeoutMs = options.timeoutMs ?? 30_000;
  const ready = await new Promise<{ endpoint: string; file: string; cacheFile: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`fastcache did not start within ${timeoutMs} ms`));
    }, timeoutMs);
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        const m = JSON.parse(line) as { event: string; endpoint: string; file: string; cacheFile: string };
        if (m.event === 'listening') return resolve({ endpoint: m.endpoint, file: m.file, cacheFile: m.cacheFile });
      } catch {
        /* reported below */
      }
      reject(new Error(`fastcache: unexpected first line ${JSON.stringify(line.slice(0, 200))}`));
    });
    void exited.then((code) => {
      clearTimeout(timer);
      // The daemon prints one readable "fastcache: …" line before exiting; anything else is a crash.
      const lines = stderr.trim().split('\n');
      const said = lines
        .filter((l) => l.startsWith('fastcache: '))
        .pop()
        ?.slice('fastcache: '.length);
      reject(new Error(redactSecrets(said ?? `fastcache exited with code ${code} before listening: ${lines.slice(0, 8).join(' | ')}`)));
    });
  });
  return {
    pid: child.pid!,
    ...ready,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
