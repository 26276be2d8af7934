// Network profiles for the stand-in's emulated links: the WAN between the FAST-like cache and Azurite (so
// B_fast Cold pays cloud latency as a real site does; on loopback a ranged GET costs ~1 ms, to Azure at least
// one round trip), and the LAN between the workstation and the "NAS" (sshfs through the same kind of link).
// Figures are typical public numbers for orientation, not measurements of any site: replace them with the
// RTT and throughput that `fastbench probe` measures at the site (a custom profile, below).
//
// | profile           | RTT    | rate       | jitter | stands for                                                          |
// |-------------------|--------|------------|--------|---------------------------------------------------------------------|
// | lan               | 0.5 ms | 10 Gbit/s  | –      | a NAS (or blob store) on the same LAN: one switch, SMB/NFS-class RTT |
// | same-region       | 2 ms   | 2 Gbit/s   | –      | a workstation VM in the storage account's Azure region (Azure's      |
// |                   |        |            |        | intra-region RTT is ~1–2 ms; 2 Gbit/s is one VM's share of its NIC)  |
// | site-expressroute | 10 ms  | 1 Gbit/s   | 1 ms   | an office or data centre near the region over a 1 Gbit/s ExpressRoute|
// | cross-region      | 30 ms  | 500 Mbit/s | 2 ms   | storage in a neighbouring region (e.g. West ↔ North Europe ~25–35 ms)|
// | intercontinental  | 90 ms  | 200 Mbit/s | 5 ms   | storage on another continent (e.g. Europe ↔ US East ~80–100 ms) over |
// |                   |        |            |        | a VPN whose tunnel caps the rate                                     |
// The delay is applied half in each direction; the rate caps each direction of the link (all connections
// share it, as on a real link); jitter adds a uniform 0..jitter ms to each chunk's one-way delay (order is
// kept, as TCP delivers in order); loss (percent of chunks) holds a lost chunk for one retransmission
// timeout (max(200 ms, 3 × RTT)), which is what a TCP receiver sees of a lost segment.

export type NetProfile = {
  name: string;
  rttMs: number;
  mbps: number;
  /** Extra one-way delay per chunk, uniform in [0, jitterMs]. */
  jitterMs?: number;
  /** Percent of chunks that pay one retransmission timeout. */
  lossPct?: number;
  description: string;
};

export const NET_PROFILES: readonly NetProfile[] = [
  { name: 'lan', rttMs: 0.5, mbps: 10_000, description: 'a NAS or blob store on the same LAN' },
  { name: 'same-region', rttMs: 2, mbps: 2_000, description: "a workstation VM in the storage account's region" },
  { name: 'site-expressroute', rttMs: 10, mbps: 1_000, jitterMs: 1, description: 'a site near the region over ExpressRoute' },
  { name: 'cross-region', rttMs: 30, mbps: 500, jitterMs: 2, description: 'storage in a neighbouring region' },
  { name: 'intercontinental', rttMs: 90, mbps: 200, jitterMs: 5, description: 'storage on another continent over VPN' },
];

/** Retransmission timeout a lost chunk waits (Linux's minimum RTO is 200 ms). */
export const rtoMs = (p: NetProfile) => Math.max(200, 3 * p.rttMs);

/**
 * A named profile, or a site's own figures: "RTTms/RATEmbit" with optional "/Jms" jitter and "/L%" loss,
 * e.g. "25ms/300mbit", "25ms/300mbit/3ms/0.1%".
 */
export function netProfile(text: string): NetProfile {
  const named = NET_PROFILES.find((p) => p.name === text);
  if (named) return named;
  const m = /^(\d+(?:\.\d+)?)ms\/(\d+(?:\.\d+)?)mbit(?:\/(\d+(?:\.\d+)?)ms)?(?:\/(\d+(?:\.\d+)?)%)?$/i.exec(text);
  if (m && Number(m[2]) > 0 && (m[4] === undefined || Number(m[4]) < 100)) {
    return {
      name: text,
      rttMs: Number(m[1]),
      mbps: Number(m[2]),
      ...(m[3] !== undefined ? { jitterMs: Number(m[3]) } : {}),
      ...(m[4] !== undefined ? { lossPct: Number(m[4]) } : {}),
      description: 'custom',
    };
  }
  throw new Error(
    `network profile ${JSON.stringify(text)}: expected one of ${NET_PROFILES.map((p) => p.name).join(', ')}, or RTTms/RATEmbit like 25ms/300mbit (optionally /JITTERms and /LOSS%, e.g. 25ms/300mbit/3ms/0.1%)`,
  );
}
