// The kernel WAN emulation (Linux, root): a network namespace for the "cloud" (Azurite runs inside it),
// joined to the host by a veth pair, with `tc netem` adding half the RTT and the rate limit on each end.
// Off, with a message saying why, when any piece is missing (not Linux, not root, no iproute2, or a kernel
// built without the netem qdisc — then the userspace delay proxy (delayProxy.ts) is the way).
import { execFile } from 'node:child_process';
import type { NetProfile } from './profiles';

export type WanNamespace = {
  name: string;
  /** The host's end of the link; the workstation side. */
  hostAddress: string;
  /** Where services started with `wrap` listen; the cloud side. */
  cloudAddress: string;
  /** Prefix for a command that must run inside the namespace, e.g. Azurite. */
  wrap: string[];
  close: () => Promise<void>;
};

function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, out: `${stderr}${stdout}`.trim() || (error && typeof error.code === 'string' ? `${cmd}: ${error.code === 'ENOENT' ? 'not installed' : error.code}` : '') });
    });
  });
}

async function must(cmd: string, args: string[]): Promise<void> {
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.out || `exit ${r.code}`}`);
}

/** Whether the kernel WAN emulation can run here; `why` says what is missing. */
export async function netemAvailable(): Promise<{ ok: true } | { ok: false; why: string }> {
  if (process.platform !== 'linux') return { ok: false, why: `network namespaces and tc netem are Linux-only (this is ${process.platform})` };
  if (process.getuid?.() !== 0) return { ok: false, why: 'creating a network namespace and tc qdiscs needs root' };
  const probe = `fbnetem${process.pid % 100000}`;
  const add = await run('ip', ['link', 'add', probe, 'type', 'veth', 'peer', 'name', `${probe}p`]);
  if (add.code !== 0) return { ok: false, why: `cannot create a veth pair (${add.out})` };
  try {
    const tc = await run('tc', ['qdisc', 'add', 'dev', probe, 'root', 'netem', 'delay', '1ms']);
    if (tc.code === 0) return { ok: true };
    if (/qdisc kind is unknown/i.test(tc.out)) return { ok: false, why: 'this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM is not set)' };
    return { ok: false, why: `tc netem failed (${tc.out})` };
  } finally {
    await run('ip', ['link', 'del', probe]);
  }
}

/** Creates namespace NAME with the link shaped to `profile`; throws "WAN emulation is off: why" when it cannot. */
export async function createWanNamespace(profile: NetProfile, name = 'fbwan', subnet = '10.213.0'): Promise<WanNamespace> {
  const available = await netemAvailable();
  if (!available.ok) throw new Error(`WAN emulation (netns + tc netem) is off: ${available.why}; use the userspace delay proxy instead`);
  if (!/^[a-z][a-z0-9]{0,8}$/.test(name)) throw new Error(`namespace name ${JSON.stringify(name)}: expected up to 9 lowercase letters/digits`);
  const host = `${name}h`;
  const peer = `${name}n`;
  const close = async () => {
    await run('ip', ['link', 'del', host]);
    await run('ip', ['netns', 'del', name]);
  };
  await close(); // a namespace left by a killed run
  try {
    await must('ip', ['netns', 'add', name]);
    await must('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', peer]);
    await must('ip', ['link', 'set', peer, 'netns', name]);
    await must('ip', ['addr', 'add', `${subnet}.1/30`, 'dev', host]);
    await must('ip', ['link', 'set', host, 'up']);
    await must('ip', ['netns', 'exec', name, 'ip', 'addr', 'add', `${subnet}.2/30`, 'dev', peer]);
    await must('ip', ['netns', 'exec', name, 'ip', 'link', 'set', peer, 'up']);
    await must('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
    const shape = ['root', 'netem', 'delay', `${profile.rttMs / 2}ms`, 'rate', `${profile.mbps}mbit`];
    await must('tc', ['qdisc', 'add', 'dev', host, ...shape]);
    await must('ip', ['netns', 'exec', name, 'tc', 'qdisc', 'add', 'dev', peer, ...shape]);
  } catch (e) {
    await close();
    throw e;
  }
  return { name, hostAddress: `${subnet}.1`, cloudAddress: `${subnet}.2`, wrap: ['ip', 'netns', 'exec', name], close };
}
