import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { ProbeCpu } from '../../shared/baseline';

const CLIENT_BOUND_LOOP_PCT = 90;
const SATURATED_CORE_PCT = 95;
const BUSY_PROBE_PCT = 80;

/**
 * Measures the probe's own cost over one measurement. The client is called the bottleneck when its
 * JavaScript thread was busy ≥ 90 % of the time (requests were queued behind our own code), or when a
 * core was saturated (≥ 95 %) while the probe itself used ≥ 80 % of a core (worker threads, TLS).
 */
export function startCpuMeter(): () => ProbeCpu {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const e0 = performance.eventLoopUtilization();
  const k0 = cpus().map((c) => c.times);
  return () => {
    const wallMs = Math.max(1e-3, performance.now() - t0);
    const c = process.cpuUsage(c0);
    const elu = performance.eventLoopUtilization(e0).utilization;
    const k1 = cpus().map((x) => x.times);
    let busiest: number | null = null;
    k1.forEach((t, i) => {
      const a = k0[i];
      if (!a) return;
      const total = t.user + t.nice + t.sys + t.idle + t.irq - (a.user + a.nice + a.sys + a.idle + a.irq);
      if (total <= 0) return;
      const busy = 100 * (1 - (t.idle - a.idle) / total);
      busiest = Math.max(busiest ?? 0, busy);
    });
    const procCpuPct = Math.round(((c.user + c.system) / 1000 / wallMs) * 1000) / 10;
    const eventLoopPct = Math.round(elu * 1000) / 10;
    const busiestCorePct = busiest === null ? null : Math.round((busiest as number) * 10) / 10;
    let why: string | undefined;
    if (eventLoopPct >= CLIENT_BOUND_LOOP_PCT) why = `the probe's JavaScript thread was busy ${eventLoopPct} % of the time`;
    else if (busiestCorePct !== null && busiestCorePct >= SATURATED_CORE_PCT && procCpuPct >= BUSY_PROBE_PCT)
      why = `a core was ${busiestCorePct} % busy while the probe used ${procCpuPct} % of a core`;
    return { procCpuPct, eventLoopPct, busiestCorePct, clientBound: why !== undefined, ...(why ? { why } : {}) };
  };
}
