// Network profiles for the emulated WAN between the FAST-like cache and Azurite, so that B_fast Cold in the
// stand-in pays cloud latency the way a real site does (on loopback a ranged GET costs ~1 ms; to Azure it
// costs at least one round trip). Figures are typical public numbers for orientation, not measurements of
// any site: replace them with the RTT and throughput that `fastbench probe` measures at the site.
//
// | profile          | RTT    | rate      | stands for                                                        |
// |------------------|--------|-----------|-------------------------------------------------------------------|
// | lan              | 0.5 ms | 10 Gbit/s | blob storage on the same LAN (an on-prem S3/Blob-compatible store) |
// | same-region      | 2 ms   | 2 Gbit/s  | a workstation VM in the storage account's Azure region            |
// | site-expressroute| 10 ms  | 1 Gbit/s  | an office or data centre near the region over ExpressRoute         |
// | cross-region     | 30 ms  | 500 Mbit/s| storage in a neighbouring region (e.g. West ↔ North Europe)        |
// | intercontinental | 90 ms  | 200 Mbit/s| storage on another continent (e.g. Europe ↔ US East) over VPN      |
// The delay is applied half in each direction; the rate caps each direction of the link (all connections
// share it, as on a real link).

export type NetProfile = { name: string; rttMs: number; mbps: number; description: string };

export const NET_PROFILES: readonly NetProfile[] = [
  { name: 'lan', rttMs: 0.5, mbps: 10_000, description: 'blob storage on the same LAN' },
  { name: 'same-region', rttMs: 2, mbps: 2_000, description: "a workstation VM in the storage account's region" },
  { name: 'site-expressroute', rttMs: 10, mbps: 1_000, description: 'a site near the region over ExpressRoute' },
  { name: 'cross-region', rttMs: 30, mbps: 500, description: 'storage in a neighbouring region' },
  { name: 'intercontinental', rttMs: 90, mbps: 200, description: 'storage on another continent over VPN' },
];

/** A named profile, or "RTTms/MBITmbit" (e.g. "25ms/300mbit") for a site's own figures. */
export function netProfile(text: string): NetProfile {
  const named = NET_PROFILES.find((p) => p.name === text);
  if (named) return named;
  const m = /^(\d+(?:\.\d+)?)ms\/(\d+(?:\.\d+)?)mbit$/i.exec(text);
  if (m && Number(m[1]) >= 0 && Number(m[2]) > 0) return { name: text, rttMs: Number(m[1]), mbps: Number(m[2]), description: 'custom' };
  throw new Error(`network profile ${JSON.stringify(text)}: expected one of ${NET_PROFILES.map((p) => p.name).join(', ')}, or RTTms/RATEmbit like 25ms/300mbit`);
}
