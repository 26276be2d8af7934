import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { startLineProcess } from './lineProcess';

/** The latest GPU reading; null while there is none (no tool, no GPU, or the tool stopped). */
export type GpuReader = { readonly source: string; latest(): { utilPct: number; memMiB: number } | null; close(): void };

export const NO_GPU: GpuReader = { source: 'none (no GPU tool)', latest: () => null, close() {} };

/**
 * One line of `nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader,nounits` per GPU:
 * "37, 2048". Unsupported fields read "[N/A]" or "[Not Supported]" and give null.
 */
export function parseNvidiaSmiLine(line: string): { utilPct: number; memMiB: number } | null {
  const [u, m] = line.split(',').map((s) => Number(s.trim()));
  return Number.isFinite(u) && Number.isFinite(m) ? { utilPct: u!, memMiB: m! } : null;
}

/**
 * nvidia-smi started once in loop mode (--loop-ms), so each tick only reads the last line it printed instead
 * of paying a process start (~50–100 ms of CPU) per second. Several GPUs print one line each per loop:
 * utilisation is the busiest GPU's, memory the sum. Under Windows WDDM these are device-level figures.
 */
export class NvidiaSmiReader implements GpuReader {
  readonly source: string;
  private child: ChildProcess | undefined;
  private readonly current = new Map<number, { utilPct: number; memMiB: number; at: number }>();
  private gpuCount = 0;

  private constructor(command: string, intervalMs: number) {
    this.source = `${command} --query-gpu=utilization.gpu,memory.used --loop-ms=${intervalMs} (busiest GPU %, sum of used MiB)`;
    this.child = startLineProcess(
      command,
      // --loop-ms is the documented spelling (review S2-6); "-lms=N" is not.
      ['--query-gpu=index,utilization.gpu,memory.used', '--format=csv,noheader,nounits', `--loop-ms=${intervalMs}`],
      (line) => this.onLine(line),
      () => (this.child = undefined),
    );
  }

  private onLine(line: string): void {
    const [index, ...rest] = line.split(',');
    const reading = parseNvidiaSmiLine(rest.join(','));
    const i = Number(index);
    if (!reading || !Number.isInteger(i)) return;
    this.current.set(i, { ...reading, at: Date.now() });
    this.gpuCount = Math.max(this.gpuCount, i + 1);
  }

  /**
   * Starts the reader when the tool answers within a few seconds; otherwise there is no GPU source. On Windows,
   * older (non-DCH) drivers put nvidia-smi.exe in %ProgramFiles%\NVIDIA Corporation\NVSMI, off PATH: tried next.
   */
  static async start(command = process.env.FASTBENCH_NVIDIA_SMI, intervalMs = 1000): Promise<GpuReader> {
    const candidates = command
      ? [command]
      : ['nvidia-smi', ...(process.platform === 'win32' ? [path.join(process.env.ProgramFiles ?? 'C:\\Program Files', 'NVIDIA Corporation', 'NVSMI', 'nvidia-smi.exe')] : [])];
    for (const c of candidates) {
      const reader = new NvidiaSmiReader(c, intervalMs);
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && reader.child && reader.current.size === 0) await new Promise((r) => setTimeout(r, 50));
      if (reader.current.size > 0) return reader;
      reader.close();
    }
    return NO_GPU;
  }

  latest(): { utilPct: number; memMiB: number } | null {
    // A reading older than 3 loops means the tool has stalled or exited: an empty cell, not a stale number.
    const fresh = [...this.current.values()].filter((r) => Date.now() - r.at < 3000);
    if (!this.child || fresh.length === 0 || fresh.length < this.gpuCount) return null;
    return { utilPct: Math.max(...fresh.map((r) => r.utilPct)), memMiB: fresh.reduce((a, r) => a + r.memMiB, 0) };
  }

  close(): void {
    this.child?.kill();
    this.child = undefined;
  }
}
