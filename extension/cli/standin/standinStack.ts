// The stand-in's storage, all of it, for a campaign or a demo: the volume (made once), the "cloud" (Azurite
// behind the WAN profile), FAST (fastcache, presenting the volume as a file on its FUSE mount and filling
// misses from the cloud), and the NAS (sshfs to a private sshd behind the LAN profile). It writes a
// fastbench.json for the stand-in whose modes point at the two mount paths, so a campaign runs the stand-in
// exactly as it would run Petrel. stop() takes everything down; a stack whose CLI was killed is cleaned up
// by the next start (stackState.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startDelayProxy, type DelayProxy } from '../../core/netprofile/delayProxy';
import { createWanNamespace, netemAvailable, type WanNamespace } from '../../core/netprofile/netns';
import { netProfile, rtoMs, type NetProfile } from '../../core/netprofile/profiles';
import { configSchema } from '../../shared/config';
import type { Logger } from '../../shared/logger';
import { startFastcache, type RunningFastcache } from '../../standin/fastcache/fastcacheProcess';
import { blobUrlOf, sasFor, uploadVolume } from '../../standin/storage/volumeUpload';
import { DEMO_SPEC, generateVolume, type VolumeSpec } from '../../standin/volume/generate';
import { startAzurite, type RunningAzurite } from '../../standin/volume/localAzurite';
import { DEFAULT_CONTAINER, standinPaths } from '../../standin/volume/standinPaths';
import { layoutFromStack, standinConfigFor } from './standinConfig';
import { cleanStaleStack, writeStackState, type StackState } from './stackState';
import { startNasShare, type NasShare } from './sshNas';

/** Which WAN emulation ran, for run.json: the kernel's (netns + veth + tc netem) or the userspace proxy. */
export type NetemReport = {
  mechanism: 'kernel-netns-netem' | 'userspace-proxy';
  /** Why the kernel path was not taken (when the proxy ran). */
  why?: string;
  wan: NetProfile & { rtoMs: number };
  nas: NetProfile & { mechanism: 'userspace-proxy' };
};

export type StandinStackOptions = {
  home: string;
  /** WAN between fastcache and Azurite: a profile name or RTTms/RATEmbit[/Jms][/L%] (profiles.ts). */
  profile: string;
  /** LAN between the workstation and the NAS (default "lan"). */
  nasProfile?: string;
  logger?: Logger;
  signal?: AbortSignal;
  /** Volume to make when missing (default: the 384 MiB demo volume). */
  spec?: VolumeSpec;
  /** Inlines the campaign's scrub steps through: the projects open where that many fit (default 100). */
  scrubInlines?: number;
  /** fastcache read-ahead (default "readahead": an 8 MiB window after the last read, as a cache that sees only offsets would). */
  prefetch?: string;
  /**
   * Let the OS page cache keep the FAST file's pages across opens until a Cold rotation (default true). The NAS
   * mount keeps its pages (sshfs kernel_cache, as an SMB client does), and a real FAST's warm reads come from its
   * local cache files through the OS file cache; without this every warm read would cross the FUSE daemon, a hop
   * neither real mode has (bench:standin shows it: read(2) p99 ~5 ms through the daemon vs ~0.2 ms with it).
   */
  kernelCache?: boolean;
  /** The viewer bundle (default dist/standin-viewer.js beside this bundle). */
  viewerScript?: string;
};

export type StandinStack = {
  configFile: string;
  /** The viewer's project file per mode (what target.arguments' {project} becomes). */
  projects: { A_shared: string; B_fast: string };
  paths: { nasMount: string; fastMount: string; volumeA: string; volumeB: string; cacheFolder: string; logFile: string };
  /** The fastcache control endpoint (suspend/resume/stats), also behind `fastbench standin fastcache suspend|resume`. */
  endpoint: string;
  netem: NetemReport;
  stop: () => Promise<void>;
};

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export async function startStandinStack(o: StandinStackOptions): Promise<StandinStack> {
  if (process.platform !== 'linux') throw new Error(`the stand-in stack (sshfs NAS, FUSE FAST mount) needs Linux; this is ${process.platform}`);
  const log = o.logger ?? quiet;
  const wanProfile = netProfile(o.profile);
  const nasProfile = netProfile(o.nasProfile ?? 'lan');
  const home = path.resolve(o.home);
  const paths = standinPaths(home);
  mkdirSync(home, { recursive: true });
  for (const line of await cleanStaleStack(paths.stateFile, path.join(home, 'mnt'))) log.warn(line);

  const state: StackState = { ownerPid: process.pid, startedAt: new Date().toISOString(), children: {}, mounts: [paths.nasMount, paths.fastMount] };
  const note = (name: string, pid: number | undefined, match: string) => {
    if (pid !== undefined && pid > 0) state.children[name] = { pid, match };
    writeStackState(paths.stateFile, state);
  };
  note('none', undefined, '');

  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    // Reverse order: the mounts go before what serves them.
    for (const s of stops.splice(0).reverse()) await s().catch((e: Error) => log.error(`stand-in stack: ${e.message}`));
    const { rmSync } = await import('node:fs');
    rmSync(paths.stateFile, { force: true });
  };
  const checkAbort = () => {
    if (o.signal?.aborted) throw new Error('interrupted while starting the stand-in stack');
  };
  try {
    const spec = o.spec ?? DEMO_SPEC;
    log.info(`volume ${paths.volume}`);
    const gen = await generateVolume(paths.volume, spec, { ...(o.signal ? { signal: o.signal } : {}) });
    checkAbort();

    // The cloud, and the WAN in front of it.
    let azurite: RunningAzurite;
    let netns: WanNamespace | undefined;
    let why: string | undefined;
    const kernel = await netemAvailable();
    if (kernel.ok) {
      netns = await createWanNamespace(wanProfile, 'fbwan');
      stops.push(() => netns!.close());
      azurite = await startAzurite(paths.azuriteFolder, 10000, netns.cloudAddress, netns.wrap, true);
    } else {
      why = kernel.why;
      azurite = await startAzurite(paths.azuriteFolder, 0, '127.0.0.1', [], true);
    }
    stops.push(() => azurite.stop());
    note('azurite', azurite.pid, paths.azuriteFolder);
    const location = { accountUrl: azurite.accountUrl, container: DEFAULT_CONTAINER, blob: path.basename(paths.volume) };
    const sas = sasFor(location, undefined);
    const up = await uploadVolume({ file: gen.file, location, sas, sha256: gen.sha256, ...(o.signal ? { signal: o.signal } : {}) });
    log.info(up.skipped ? `blob ${up.url}: already uploaded` : `uploaded ${up.url} in ${up.seconds.toFixed(1)} s`);
    checkAbort();
    let wanAccountUrl = azurite.accountUrl;
    if (!netns) {
      const u = new URL(azurite.accountUrl);
      const proxy: DelayProxy = await startDelayProxy({ host: u.hostname, port: Number(u.port) }, wanProfile);
      stops.push(() => proxy.close());
      wanAccountUrl = azurite.accountUrl.replace(`:${u.port}/`, `:${proxy.port}/`);
    }
    const netem: NetemReport = {
      mechanism: netns ? 'kernel-netns-netem' : 'userspace-proxy',
      ...(why ? { why } : {}),
      wan: { ...wanProfile, rtoMs: rtoMs(wanProfile) },
      nas: { ...nasProfile, mechanism: 'userspace-proxy' },
    };
    log.info(`WAN ${wanProfile.name} (${wanProfile.rttMs} ms, ${wanProfile.mbps} Mbit/s) by ${netem.mechanism}${why ? ` (kernel path off: ${why})` : ''}`);

    // FAST: fastcache with its FUSE mount, filling from the cloud through the WAN.
    const blobUrl = blobUrlOf({ ...location, accountUrl: wanAccountUrl });
    const fastcache: RunningFastcache = await startFastcache(
      [
        '--blob',
        blobUrl,
        '--cache-folder',
        paths.cacheFolder,
        '--log',
        paths.logFile,
        '--endpoint',
        paths.endpoint,
        '--mount',
        paths.fastMount,
        '--prefetch',
        o.prefetch ?? 'readahead',
        ...(o.kernelCache === false ? [] : ['--kernel-cache']),
      ],
      { detached: true },
    );
    stops.push(() => fastcache.stop());
    note('fastcache', fastcache.pid, 'fastcache.js');
    checkAbort();

    // The NAS: sshd + LAN proxy + sshfs.
    const nas: NasShare = await startNasShare({
      folder: paths.nasFolder,
      mountPoint: paths.nasMount,
      stateDir: path.join(home, 'sshd'),
      profile: nasProfile,
      onPid: (name, pid) => note(name, pid, name === 'sshd' ? path.join(home, 'sshd') : paths.nasMount),
    });
    stops.push(() => nas.stop());
    log.info(`NAS ${paths.nasMount} over sshfs (${nasProfile.name}: ${nasProfile.rttMs} ms, ${nasProfile.mbps} Mbit/s)`);
    checkAbort();

    const volumeA = path.join(paths.nasMount, path.basename(paths.volume));
    const volumeB = fastcache.file;
    const { file: configFile, projects } = writeStandinConfig({
      home,
      volumeA,
      volumeB,
      cacheFolder: paths.cacheFolder,
      logFile: paths.logFile,
      accountUrl: wanAccountUrl,
      blob: location.blob,
      endpoint: fastcache.endpoint,
      nasProbePort: nas.proxyPort,
      viewerScript: o.viewerScript ?? path.join(__dirname, 'standin-viewer.js'),
      startInline: standinStartInline(spec, o.scrubInlines),
    });
    log.info(`config ${configFile}`);
    return {
      configFile,
      projects,
      paths: { nasMount: paths.nasMount, fastMount: paths.fastMount, volumeA, volumeB, cacheFolder: paths.cacheFolder, logFile: paths.logFile },
      endpoint: fastcache.endpoint,
      netem,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The viewer title the config's window match uses (viewerApp.ts: "FastBench Stand-in — NAME (MODE) — …"). */
export const STANDIN_TITLE_PATTERN = '^FastBench Stand-in — demo';

/**
 * Where the stand-in's projects open: the middle of a brick row, the one holding the middle of the inlines a
 * `scrub`-inline scrub can start from and stay inside the survey (or the last such inline, when that middle
 * lies past it). A user's inline is anywhere relative to the 64-inline brick rows, so a 100-inline scrub from it
 * touches 2 brick rows (start within the first 28 inlines of a row) or 3 (the other 36): 3 is the likely case,
 * and a scrub from mid-row crosses them, 2 beyond the open's. From inline 0 it crossed 1, which read-ahead hid
 * during the open. A scrub that runs off the end fails: a PageDown at the last inline draws nothing new.
 */
export function standinStartInline(spec: Pick<VolumeSpec, 'dims' | 'brickSize'>, scrub = 100): number {
  const b = spec.brickSize;
  const lastStart = spec.dims[0] - 1 - scrub;
  const midRow = Math.floor(Math.max(0, lastStart) / 2 / b) * b + Math.floor(b / 2);
  return Math.min(spec.dims[0] - 1, lastStart >= 0 ? Math.min(midRow, lastStart) : midRow);
}

/** Writes <home>/fastbench.json and one viewer project per mode; validated against the config schema. */
export function writeStandinConfig(o: {
  home: string;
  volumeA: string;
  volumeB: string;
  cacheFolder: string;
  logFile: string;
  accountUrl: string;
  blob: string;
  /** fastcache's control endpoint, named in the config's Cold rotation. */
  endpoint?: string;
  nasProbePort: number;
  viewerScript: string;
  startInline: number;
}): { file: string; projects: { A_shared: string; B_fast: string } } {
  const projectFolder = path.join(o.home, 'projects');
  mkdirSync(projectFolder, { recursive: true });
  const project = (mode: string, volume: string) => {
    const file = path.join(projectFolder, `demo_${mode}.fbproj.json`);
    writeFileSync(file, JSON.stringify({ name: 'demo', mode, volume, exportFolder: path.join(o.home, 'export'), startInline: o.startInline }, null, 2) + '\n');
    return file;
  };
  const projects = { A_shared: project('A_shared', o.volumeA), B_fast: project('B_fast', o.volumeB) };
  // One stand-in config everywhere (init, up, demo): the seed's four workflows and pixel-only render regions.
  const layout = layoutFromStack(o.home, {
    paths: { nasMount: path.dirname(o.volumeA), fastMount: path.dirname(o.volumeB), volumeA: o.volumeA, volumeB: o.volumeB, cacheFolder: o.cacheFolder, logFile: o.logFile },
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
  });
  const config = standinConfigFor(o.home, layout, 3, 100, {
    projects,
    viewerScript: o.viewerScript,
    azure: { accountUrl: o.accountUrl, container: DEFAULT_CONTAINER, blob: o.blob },
    probe: { nas: { host: '127.0.0.1', port: o.nasProbePort, testFile: o.volumeA, streams: 4 }, azure: { streams: [1, 2, 4, 8], rangeMiB: 4 }, tries: 20 },
  });
  const checked = configSchema.safeParse(config);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new Error(`the stand-in config does not match the config schema: ${issue.path.join('.')}: ${issue.message}`);
  }
  const file = path.join(o.home, 'fastbench.json');
  writeFileSync(file, JSON.stringify(config, null, 2) + '\n');
  return { file, projects };
}
