import { execFile } from 'node:child_process';
import type { LatencyStats } from '../../shared/baseline';
import { latencyStats } from './latencyStats';

/**
 * Round-trip times from ping's output in any display language. Windows ping is localised ("Zeit=1ms", "temps<1ms",
 * "tid=1ms", "время<1мс" in the OEM code page), so no word is matched: a reply line is one whose time value (after '='
 * or '<', any unit) is followed by "TTL=" (never translated), or, for IPv6 replies that carry no TTL, a line whose only
 * '='/'<' introduces that value at its end. Linux iputils: "ttl=64 time=0.045 ms". "<1ms" counts as 0.5 ms. The
 * summary lines ("Minimum = 0ms, Maximum = 1ms, …", "rtt min/avg/max/mdev = …") match neither.
 */
export function parsePingTimes(text: string): number[] {
  const times: number[] = [];
  const value = (op: string, v: string) => (op === '<' ? Number(v.replace(',', '.')) / 2 : Number(v.replace(',', '.')));
  for (const line of text.split(/\r?\n/)) {
    const win = /([=<])\s*(\d+(?:[.,]\d+)?)\s*[^\s=<\d]{0,4}\s+ttl\s*=\s*\d+/i.exec(line);
    const linux = /\bttl=\d+\s+\S+?([=<])\s*(\d+(?:\.\d+)?)\s*ms\b/i.exec(line);
    const v6 = /^[^=<]*([=<])\s*(\d+(?:[.,]\d+)?)\s*[^\s=<\d]{1,4}\s*$/.exec(line);
    const m = linux ?? win ?? (/:\s/.test(line) ? v6 : null);
    if (m) times.push(value(m[1]!, m[2]!));
  }
  return times;
}

/**
 * ICMP echo RTT through the system ping (raw sockets need privileges Node does not have). Where ping is
 * missing or ICMP is blocked the result says so instead of failing the probe: TCP RTT is the main figure.
 */
export function icmpRtt(host: string, tries: number): Promise<LatencyStats | { unavailable: string }> {
  const windows = process.platform === 'win32';
  const args = windows ? ['-n', String(tries), '-w', '2000', host] : ['-c', String(tries), '-i', '0.2', '-W', '2', host];
  return new Promise((resolve) => {
    // latin1: Windows ping writes its localised text in the OEM code page; only the ASCII parts are read.
    execFile('ping', args, { timeout: tries * 2500 + 5000, windowsHide: true, encoding: 'latin1' }, (err, stdout) => {
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
