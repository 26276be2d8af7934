import path from 'node:path';

// fastbench.exe (a Node single-executable application) holds the CLI, the driver and the agent in one program;
// the same code run by Node holds them as bundles side by side in dist/. This says which, so a child process
// is started the right way: the exe runs itself with a role flag, Node runs the role's bundle.

export type Role = 'driver' | 'agent';

/** The flags fastbench.exe reads as its first argument to become the driver or the agent. */
export const ROLE_FLAGS: Record<Role, string> = { driver: '--driver', agent: '--agent' };

let cached: boolean | undefined;

/** True inside fastbench.exe. node:sea answers from Node 20.12 on; an older Node is never the exe. */
export function runningAsExe(): boolean {
  if (cached === undefined) {
    try {
      cached = (require('node:sea') as { isSea(): boolean }).isSea();
    } catch {
      cached = false;
    }
  }
  return cached;
}

/**
 * The command that starts a role: `fastbench.exe --driver` inside the exe, else this Node with the role's bundle
 * (dist/driver.js, dist/agent.js) beside the running one. Node flags cannot go on the exe's command line (every
 * argument reaches the program), so the exe's callers pass them through NODE_OPTIONS (nodeOptionsEnv).
 */
export function roleCommand(role: Role, nodeFlags: string[] = []): string[] {
  if (runningAsExe()) return [process.execPath, ROLE_FLAGS[role]];
  return [process.execPath, ...nodeFlags, path.join(__dirname, `${role}.js`)];
}

/** The environment that gives the exe's child the Node flags a bundle would get on its command line. */
export function nodeOptionsEnv(env: NodeJS.ProcessEnv, nodeFlags: string[]): NodeJS.ProcessEnv {
  if (!runningAsExe() || nodeFlags.length === 0) return env;
  return { ...env, NODE_OPTIONS: [env.NODE_OPTIONS, ...nodeFlags].filter(Boolean).join(' ') };
}

/** For tests: decide as if running inside the exe (true), as Node (false), or ask node:sea again (undefined). */
export function setRunningAsExeForTest(value: boolean | undefined): void {
  cached = value;
}
