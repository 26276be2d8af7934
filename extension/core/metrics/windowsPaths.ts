/**
 * What this machine's drive letters stand for, read once by the native side (QueryDosDeviceW,
 * WNetGetConnectionW): `volumes` maps "C:" to its NT device ("\Device\HarddiskVolume3"), `network` maps a mapped
 * drive "Z:" to the UNC root it stands for ("\\nas01\seismic"). Keys are upper-case "X:".
 */
export type DriveMap = { volumes: Record<string, string>; network: Record<string, string> };

export const NO_DRIVES: DriveMap = { volumes: {}, network: {} };

/**
 * One spelling for every way Windows names a file, so a path from a handle and a rule from fastbench.json compare:
 *   \\server\share\…          for anything on the network, however it was reached: \Device\Mup\server\share,
 *                             \Device\Mup\;LanmanRedirector\;Z:0000…\server\share (a mapped drive, as the redirector
 *                             names it), \Device\LanmanRedirector\…, \??\UNC\…, \\?\UNC\…, a mapped drive letter Z:\…
 *   X:\…                      for a local volume: \Device\HarddiskVolumeN\… (through `drives.volumes`), \??\X:\…,
 *                             \\?\X:\…, \\?\GLOBALROOT\Device\…
 * Forward slashes become backslashes and the drive letter is upper-case; the rest keeps its case (Windows compares
 * names case-insensitively: the classifier does). A device with no drive letter stays an NT path.
 */
export function canonicalWindowsPath(input: string, drives: DriveMap = NO_DRIVES): string {
  let p = input.replace(/\//g, '\\');
  p = p.replace(/^\\\\\?\\globalroot(?=\\)/i, '');
  // Win32 file namespace and NT object-manager "DOS devices" prefixes.
  let m = /^(?:\\\\[?.]\\|\\\?\?\\)unc\\(.*)$/i.exec(p);
  if (m) return '\\\\' + m[1];
  m = /^(?:\\\\[?.]\\|\\\?\?\\)([a-z]:)(\\.*)?$/i.exec(p);
  if (m) p = m[1]! + (m[2] ?? '\\');
  // The multiple UNC provider, optionally with a redirector's own prefix (";LanmanRedirector\;Z:000000000001a2b3\",
  // ";RdpDr\;:1\", ";WebDavRedirector\"): every segment that starts with ';' belongs to the provider, not the share.
  m = /^\\device\\(?:mup|lanmanredirector|webdavredirector)((?:\\;[^\\]*)*)\\(.*)$/i.exec(p);
  if (m) return '\\\\' + m[2];
  m = /^(\\device\\[^\\]+)(\\.*)?$/i.exec(p);
  if (m) {
    const device = m[1]!.toLowerCase();
    const letter = Object.keys(drives.volumes).find((k) => drives.volumes[k]!.toLowerCase() === device);
    if (!letter) return p;
    p = letter.toUpperCase() + (m[2] ?? '\\');
  }
  m = /^([a-z]):(.*)$/i.exec(p);
  if (m) {
    const letter = m[1]!.toUpperCase() + ':';
    const unc = drives.network[letter];
    if (unc) return unc.replace(/[\\/]+$/, '') + (m[2]!.startsWith('\\') ? m[2] : '\\' + m[2]);
    return letter + m[2];
  }
  return p;
}

/** The form the classifier compares: canonical, lower-case (NTFS and SMB names compare case-insensitively). */
export const comparableWindowsPath = (p: string, drives: DriveMap = NO_DRIVES) => canonicalWindowsPath(p, drives).toLowerCase();
