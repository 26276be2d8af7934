import { hostname } from 'node:os';
import type { MachineInfo } from '../../shared/baseline';

type Si = typeof import('systeminformation');

/** One inventory call, bounded in time; a part that fails or hangs becomes a note, not a failed probe. */
async function part<T>(notes: string[], what: string, fn: () => Promise<T>, fallback: T, timeoutMs = 20_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      fn(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
  } catch (e) {
    notes.push(`${what}: ${(e as Error).message}`);
    return fallback;
  } finally {
    clearTimeout(timer);
  }
}

/** CPU, RAM, GPUs, disks, NICs with link speed, OS and versions, from systeminformation (loaded here). */
export async function machineInventory(): Promise<MachineInfo> {
  const si: Si = await import('systeminformation');
  const notes: string[] = [];
  const [cpu, mem, graphics, disks, nics, os] = await Promise.all([
    part(notes, 'CPU', () => si.cpu(), null),
    part(notes, 'memory', () => si.mem(), null),
    part(notes, 'GPUs', () => si.graphics(), null),
    part(notes, 'disks', () => si.diskLayout(), []),
    part(
      notes,
      'network interfaces',
      async () => {
        const list = await si.networkInterfaces();
        return Array.isArray(list) ? list : [list];
      },
      [],
    ),
    part(notes, 'OS', () => si.osInfo(), null),
  ]);
  const gpus = (graphics?.controllers ?? []).map((g) => ({
    vendor: g.vendor ?? '',
    model: g.model ?? '',
    vramMiB: typeof g.vram === 'number' ? g.vram : null,
    driverVersion: g.driverVersion ?? null,
  }));
  if (graphics && gpus.length === 0) notes.push('GPUs: none reported (no GPU, or no tool such as nvidia-smi/lspci to list them)');
  return {
    cpu: {
      brand: cpu?.brand ?? '',
      manufacturer: cpu?.manufacturer ?? '',
      cores: cpu?.cores ?? 0,
      physicalCores: cpu?.physicalCores ?? 0,
      speedGHz: cpu?.speed || null,
      speedMaxGHz: cpu?.speedMax || null,
    },
    memory: { totalBytes: mem?.total ?? 0, availableBytes: mem?.available ?? 0 },
    gpus,
    disks: disks.map((d) => ({ name: d.name || d.device, type: d.type, interfaceType: d.interfaceType, sizeBytes: d.size })),
    nics: nics
      .filter((n) => !n.internal)
      .map((n) => ({
        iface: n.iface,
        type: n.type,
        speedMbps: typeof n.speed === 'number' && n.speed > 0 ? n.speed : null,
        ip4: n.ip4,
        virtual: n.virtual,
        up: n.operstate === 'up',
      })),
    os: {
      platform: os?.platform ?? process.platform,
      distro: os?.distro ?? '',
      release: os?.release ?? '',
      kernel: os?.kernel ?? '',
      arch: os?.arch ?? process.arch,
      hostname: os?.hostname ?? hostname(),
    },
    versions: { node: process.versions.node, v8: process.versions.v8, systeminformation: si.version() },
    notes,
  };
}
