import { isFailed, type Baseline, type LatencyStats, type ProbeCpu, type Throughput } from '../../shared/baseline';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

export const fmtRtt = (s: LatencyStats | { error: string } | { unavailable: string }) =>
  'error' in s ? `FAILED: ${s.error}` : 'unavailable' in s ? `unavailable (${s.unavailable})` : `p50 ${s.p50} / p95 ${s.p95} / p99 ${s.p99} ms (n=${s.n})`;

/** "why the figure is a floor", printed next to the figure it qualifies. */
export const boundNote = (cpu: ProbeCpu) => (cpu.clientBound ? `  << CLIENT-BOUND: ${cpu.why}; the link may be faster` : '');

export const fmtThroughput = (t: Throughput | { error: string }) =>
  'error' in t
    ? `FAILED: ${t.error}`
    : `${t.MBps.toFixed(1)} MB/s (${(t.bytes / MiB).toFixed(0)} MiB in ${t.seconds < 10 ? t.seconds.toFixed(2) : t.seconds.toFixed(0)} s, probe CPU ${t.cpu.procCpuPct.toFixed(0)} % of a core)` +
      (t.seconds < 1 ? ' (under 1 s: too little data for a steady figure; use a larger test file)' : '') +
      boundNote(t.cpu);

/** baseline_summary.txt: the figures a person needs, readable in half a minute. */
export function baselineSummary(b: Baseline): string {
  const L: string[] = [];
  L.push(`FastBench baseline  ${new Date(b.createdUnixMs).toISOString()}  (fastbench ${b.toolVersion}, ${b.durationS.toFixed(0)} s)`);
  L.push('');
  if (isFailed(b.machine)) L.push(`MACHINE  FAILED: ${b.machine.error}`);
  else {
    const m = b.machine;
    L.push(
      `MACHINE  ${m.os.hostname}: ${m.cpu.brand || 'CPU ?'}, ${m.cpu.physicalCores} cores / ${m.cpu.cores} threads${m.cpu.speedGHz ? ` @ ${m.cpu.speedGHz} GHz` : ''}${m.cpu.speedMaxGHz ? ` (max ${m.cpu.speedMaxGHz})` : ''}`,
    );
    L.push(
      `         RAM ${(m.memory.totalBytes / GiB).toFixed(1)} GiB (${(m.memory.availableBytes / GiB).toFixed(1)} available); GPU: ${m.gpus.length ? m.gpus.map((g) => `${g.model}${g.vramMiB ? ` ${g.vramMiB} MiB` : ''}`).join(', ') : 'none found'}`,
    );
    L.push(`         ${m.os.distro} ${m.os.release} (${m.os.platform} ${m.os.kernel}, ${m.os.arch}); node ${m.versions.node}`);
    const nics = m.nics.filter((n) => n.up && !n.virtual);
    L.push(
      `         NICs: ${nics.length ? nics.map((n) => `${n.iface} ${n.speedMbps ? `${n.speedMbps >= 1000 ? `${n.speedMbps / 1000} Gb/s` : `${n.speedMbps} Mb/s`}` : 'speed ?'}`).join(', ') : 'none up'}; disks: ${m.disks.map((d) => `${d.name} ${(d.sizeBytes / 1e9).toFixed(0)} GB ${d.type}`).join(', ') || '?'}`,
    );
  }
  L.push('');
  if (b.nas === null) L.push('NAS      not configured (probe.nas)');
  else if (isFailed(b.nas)) L.push(`NAS      FAILED: ${b.nas.error}`);
  else {
    const n = b.nas;
    L.push(`NAS      ${n.host}:${n.port}  TCP connect RTT ${fmtRtt(n.tcpConnectRtt)}`);
    L.push(`         ICMP RTT ${fmtRtt(n.icmpRtt)}`);
    if (n.read) {
      L.push(
        `         read ${n.read.file} (${(n.read.sizeBytes / MiB).toFixed(0)} MiB), 1 MiB requests; OS cache ${n.read.unbuffered ? 'bypassed (unbuffered reads)' : 'NOT bypassed'}`,
      );
      L.push(`           1 stream:  ${fmtThroughput(n.read.oneStream)}`);
      const ms = n.read.multiStream;
      L.push(`           ${'error' in ms ? 'N' : ms.streams} streams: ${fmtThroughput(ms)}`);
    } else L.push('         read: no probe.nas.testFile configured');
    if (n.write) L.push(`         write 1 stream: ${fmtThroughput(n.write)}`);
  }
  L.push('');
  if (b.azure === null) L.push('AZURE    not configured (azure)');
  else if (isFailed(b.azure)) L.push(`AZURE    FAILED: ${b.azure.error}`);
  else {
    const a = b.azure;
    L.push(`AZURE    ${a.endpoint}/${a.container}/${a.blob} (${a.blobBytes === null ? '?' : (a.blobBytes / MiB).toFixed(0)} MiB); SAS from ${a.sasSource}`);
    L.push(`         TCP connect RTT ${fmtRtt(a.tcpConnectRtt)}`);
    L.push(`         request RTT (HEAD, warm connection) ${fmtRtt(a.requestRtt)}`);
    L.push(`         time to first byte (${'error' in a.ttfb ? '?' : (a.ttfb.rangeBytes / MiB).toFixed(1)} MiB GET) ${fmtRtt(a.ttfb)}`);
    L.push('         ranged GET throughput by streams:');
    for (const s of a.sweep) L.push(`           ${'error' in s ? '?' : String(s.streams).padStart(3)}: ${fmtThroughput(s)}`);
    if (a.best) L.push(`         BEST ${a.best.MBps.toFixed(1)} MB/s with ${a.best.streams} streams${boundNote(a.best.cpu)}`);
    if (a.upload) L.push(`         upload: ${fmtThroughput(a.upload)}`);
  }
  L.push('');
  L.push(b.problems.length ? `PROBLEMS (${b.problems.length})` : 'PROBLEMS none');
  for (const p of b.problems) L.push(`  - ${p}`);
  if (b.notes.length) {
    L.push('NOTES');
    for (const n of b.notes) L.push(`  - ${n}`);
  }
  return L.join('\n') + '\n';
}
