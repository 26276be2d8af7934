// The stand-in's NAS: a real network filesystem. A private sshd on 127.0.0.1 (its own config, host key,
// client key and port; never the system's) serves the NAS folder over SFTP, the LAN profile's delay proxy
// sits between it and the client, and sshfs mounts it at <home>/mnt/nas. So A_shared reads pay a round trip
// and the link's rate per request as on an SMB share, the client's page cache holds what was read
// (kernel_cache, as the SMB client's cache does) and Cold can evict it, and the application's open files
// show the mount path. sshd and sshfs run in process groups of their own, so a Ctrl-C meant for the CLI
// reaches them only through stop().
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, readFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { startDelayProxy, type DelayProxy } from '../../core/netprofile/delayProxy';
import type { NetProfile } from '../../core/netprofile/profiles';
import { fuseUnmount, isStaleMount, mountsUnder } from '../../standin/fastcache/mounts';
import { freePort } from '../../standin/volume/localAzurite';

export type NasShare = {
  mountPoint: string;
  sshdPid: number;
  sshfsPid: number;
  sshdPort: number;
  proxyPort: number;
  profile: NetProfile;
  stop: () => Promise<void>;
};

function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, out: `${stderr}${stdout}`.trim() || (error && typeof error.code === 'string' ? `${cmd}: ${error.code === 'ENOENT' ? 'not installed' : error.code}` : '') });
    });
  });
}

const SSHD = ['/usr/sbin/sshd', '/usr/bin/sshd'].find((p) => existsSync(p)) ?? 'sshd';

/** Keys and config under `dir`, made once and reused. */
async function sshdFiles(dir: string, port: number): Promise<{ config: string; clientKey: string }> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const hostKey = path.join(dir, 'host_ed25519');
  const clientKey = path.join(dir, 'client_ed25519');
  for (const key of [hostKey, clientKey]) {
    if (existsSync(key)) continue;
    const r = await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'fastbench-standin', '-f', key]);
    if (r.code !== 0) throw new Error(`ssh-keygen (openssh-client) failed: ${r.out}`);
  }
  const authorized = path.join(dir, 'authorized_keys');
  writeFileSync(authorized, readFileSync(`${clientKey}.pub`));
  chmodSync(authorized, 0o600);
  const config = path.join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `# The stand-in NAS's own sshd (written by FastBench; not the system's).`,
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${authorized}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'UseDNS no',
      'Subsystem sftp internal-sftp',
      '',
    ].join('\n'),
  );
  return { config, clientKey };
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
async function waitForPort(port: number, child: ChildProcess, what: string, said: () => string, timeoutMs = 10_000): Promise<void> {
  const { connect } = await import('node:net');
  const until = performance.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}: ${said().trim() || 'no message'}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (performance.now() > until) throw new Error(`${what} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms: ${said().trim()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stopChild(child: ChildProcess, timeoutMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => killGroup(child.pid!, 'SIGKILL'), timeoutMs);
    child.once('exit', () => (clearTimeout(timer), resolve()));
    killGroup(child.pid!, 'SIGTERM');
  });
}

/** Signals a process group we started (detached), falling back to the process alone. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

export type NasOptions = {
  /** The server's folder (the stand-in's nas/). */
  folder: string;
  mountPoint: string;
  /** sshd's keys and config. */
  stateDir: string;
  profile: NetProfile;
  /** Called with pids as they start, so a state file can name them before anything can go wrong. */
  onPid?: (name: string, pid: number) => void;
};

export async function startNasShare(o: NasOptions): Promise<NasShare> {
  if (process.platform !== 'linux') throw new Error(`the sshfs NAS stand-in needs Linux; this is ${process.platform}`);
  if (!existsSync(o.folder)) throw new Error(`${o.folder}: the NAS folder does not exist (run "fastbench standin data")`);
  // sshd refuses to start without its privilege separation folder.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const sshdPort = await freePort();
  const { config, clientKey } = await sshdFiles(o.stateDir, sshdPort);
  const test = await run(SSHD, ['-t', '-f', config]);
  if (test.code !== 0) throw new Error(`sshd (openssh-server) rejects ${config}: ${test.out || `exit ${test.code}`} (apt-get install openssh-server)`);
  let sshdErr = '';
  const sshd = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  sshd.stderr!.on('data', (d: Buffer) => (sshdErr = (sshdErr + d.toString()).slice(-2000)));
  sshd.once('error', (e) => (sshdErr += e.message));
  o.onPid?.('sshd', sshd.pid ?? -1);
  let proxy: DelayProxy | undefined;
  let sshfs: ChildProcess | undefined;
  const stop = async () => {
    if (sshfs) {
      await fuseUnmount(o.mountPoint);
      await stopChild(sshfs);
    } else if (mountsUnder(o.mountPoint).length) await fuseUnmount(o.mountPoint);
    await proxy?.close();
    await stopChild(sshd);
  };
  try {
    await waitForPort(sshdPort, sshd, 'sshd', () => sshdErr);
    proxy = await startDelayProxy({ host: '127.0.0.1', port: sshdPort }, o.profile);
    if (isStaleMount(o.mountPoint) || mountsUnder(o.mountPoint).some((m) => m.mountPoint === path.resolve(o.mountPoint))) {
      const r = await fuseUnmount(o.mountPoint);
      if (!r.ok) throw new Error(r.detail);
    }
    mkdirSync(o.mountPoint, { recursive: true });
    let sshfsErr = '';
    // -f keeps sshfs our child; auto_unmount takes the mount down if sshfs dies without unmounting.
    sshfs = spawn(
      'sshfs',
      [
        '-f',
        '-p',
        String(proxy.port),
        '-o',
        `IdentityFile=${clientKey}`,
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'LogLevel=ERROR',
        '-o',
        'BatchMode=yes',
        // A NAS share is not encrypted per byte (SMB signs by default); of what ssh offers, AES-GCM on the CPU's
        // AES instructions comes closest (OpenSSH has had it since 6.2): a 64 MiB row Cold read in 434 ms median
        // instead of 500 with the default chacha20.
        '-o',
        'Ciphers=aes128-gcm@openssh.com', // one value: sshfs splits -o at commas
        '-o',
        'ro,kernel_cache,auto_unmount,fsname=nas',
        `root@127.0.0.1:${path.resolve(o.folder)}`,
        o.mountPoint,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
    );
    sshfs.stderr!.on('data', (d: Buffer) => (sshfsErr = (sshfsErr + d.toString()).slice(-2000)));
    sshfs.once('error', (e) => (sshfsErr += (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'sshfs is not installed (apt-get install sshfs)' : e.message));
    o.onPid?.('sshfs', sshfs.pid ?? -1);
    const until = performance.now() + 15_000;
    while (!mountsUnder(o.mountPoint).some((m) => m.mountPoint === path.resolve(o.mountPoint))) {
      if (sshfs.exitCode !== null || sshfs.pid === undefined) throw new Error(`sshfs could not mount ${o.mountPoint}: ${sshfsErr.trim() || `exit ${sshfs.exitCode}`}`);
      if (performance.now() > until) throw new Error(`sshfs did not mount ${o.mountPoint} within 15 s: ${sshfsErr.trim()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { mountPoint: o.mountPoint, sshdPid: sshd.pid!, sshfsPid: sshfs.pid!, sshdPort, proxyPort: proxy.port, profile: o.profile, stop };
}
