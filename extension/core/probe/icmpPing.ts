import { execFile } from 'node:child_process';
import type { LatencyStats } from '../../shared/baseline';
import { latencyStats } from './latencyStats';

/** Round-trip times from ping's output, Linux ("time=0.045 ms") and Windows ("time=1ms", "time<1ms"). */
export function parsePingTimes(text: string): number[] {
  return [...text.matchAll(/time([=<])\s*([\d.]+)\s*ms/gi)].map((m) => (m[1] === '<' ? Number(m[2]) / 2 : Number(m[2])));
}

/**
 * ICMP echo RTT through the system ping (raw sockets need privileges Node does not have). Where ping is
 * missing or ICMP is blocked the result says so instead of failing the probe: TCP RTT is the main figure.
 */
export function icmpRtt(host: string, tries: number): Promise<LatencyStats | { unavailable: string }> {
  const windows = process.platform === 'win32';
  const args = windows ? ['-n', String(tries), '-w', '2000', host] : ['-c', String(tries), '-i', '0.2', '-W', '2', host];
  return new Promise((resolve) => {
    execFile('ping', args, { timeout: tries * 2500 + 5000, windowsHide: true }, (err, stdout) => {
      const times = parsePingTimes(String(stdout ?? ''));
      if (times.length > 0) {
        resolve(latencyStats(times));
        return;
      }
      const code = (err as NodeJS.ErrnoException | null)?.code;
      resolve({ unavailable: code === 'ENOENT' ? 'no ping command on this machine' : `no ICMP echo replies from ${host} (blocked, or not permitted here)` });
    });
  });
}
