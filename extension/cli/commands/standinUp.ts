import { MODES, type Mode } from '../../shared/names';
import { NET_PROFILES, netProfile } from '../../core/netprofile/profiles';
import { DEMO_SPEC, dimsForSize, type VolumeSpec } from '../../standin/volume/generate';
import { standinHome } from '../../standin/volume/standinPaths';
import { EXIT, type Command } from '../command';
import { ensureDisplay, launchViewer } from '../standin/standinSession';
import { startStandinStack } from '../standin/standinStack';

export const standinUp: Command = {
  words: ['standin', 'up'],
  summary: 'Start the stand-in: its NAS (sshfs), its FAST (fastcache FUSE mount over a WAN to Azurite), a config, and the viewer for a mode; Ctrl-C stops all',
  usage: 'fastbench standin up [--mode A_shared|B_fast] [--profile NAME|RTTms/RATEmbit] [--nas-profile NAME] [--size MIB] [--no-viewer] [--xvfb] [--json]',
  details: `Starts the stand-in's storage and writes <stand-in home>/fastbench.json for it (FASTBENCH_STANDIN_HOME moves
the home; default ${standinHome()}):
  NAS    the volume served by a private sshd on 127.0.0.1 through the --nas-profile link (default lan), mounted
         with sshfs at <home>/mnt/nas (A_shared reads it there)
  FAST   fastcache presenting the volume as a file at <home>/mnt/fast (FUSE), filling misses from Azurite
         through the --profile link (default cross-region) and keeping its cache in <home>/fastcache
The volume is made and uploaded first if missing (--size MIB for a smaller one; default the 384 MiB demo).
Profiles: ${NET_PROFILES.map((p) => `${p.name} (${p.rttMs} ms, ${p.mbps} Mbit/s)`).join(', ')}, or RTTms/RATEmbit.
Then the viewer opens the volume for --mode (default A_shared) as Petrel would open a project: PageDown/PageUp
step inlines, A computes an attribute, a click then H tracks a horizon, E exports. --no-viewer starts only the
storage (e.g. for "fastbench campaign --config <home>/fastbench.json"). --xvfb (or no DISPLAY) runs the
viewer on a private Xvfb. A stack left by a killed run (mounts, sshd, Azurite) is cleaned up first.`,
  options: {
    mode: { type: 'string' },
    profile: { type: 'string' },
    'nas-profile': { type: 'string' },
    size: { type: 'string' },
    'no-viewer': { type: 'boolean' },
    xvfb: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  positionals: { min: 0, max: 0 },
  run: async (args, io) => {
    const mode = ((args.values.mode as string | undefined) ?? 'A_shared') as Mode;
    const profile = (args.values.profile as string | undefined) ?? 'cross-region';
    const nasProfile = (args.values['nas-profile'] as string | undefined) ?? 'lan';
    let spec: VolumeSpec = DEMO_SPEC;
    try {
      if (!MODES.includes(mode)) throw new Error(`--mode: expected ${MODES.join(' or ')}, found ${JSON.stringify(mode)}`);
      netProfile(profile);
      netProfile(nasProfile);
      if (args.values.size !== undefined) {
        const mib = Number(args.values.size);
        if (!Number.isFinite(mib) || mib < 1 || mib > 65536) throw new Error(`--size: expected MiB from 1 to 65536, found ${JSON.stringify(args.values.size)}`);
        spec = { ...DEMO_SPEC, dims: dimsForSize(mib, DEMO_SPEC.sampleFormat) };
      }
    } catch (e) {
      io.err(`fastbench standin up: ${(e as Error).message}`);
      return EXIT.badInput;
    }
    const logger = { debug() {}, info: io.err, warn: io.err, error: io.err };
    const stack = await startStandinStack({ home: standinHome(io.env), profile, nasProfile, logger, signal: io.signal, spec });
    try {
      if (args.values.json) io.out(JSON.stringify({ configFile: stack.configFile, paths: stack.paths, endpoint: stack.endpoint, netem: stack.netem, pid: process.pid }));
      else {
        io.out(`stand-in up: config ${stack.configFile}`);
        io.out(`  A_shared  ${stack.paths.volumeA}  (sshfs, ${stack.netem.nas.name})`);
        io.out(`  B_fast    ${stack.paths.volumeB}  (fastcache FUSE; WAN ${stack.netem.wan.name} by ${stack.netem.mechanism}; cache ${stack.paths.cacheFolder})`);
        io.out(`  fastcache log ${stack.paths.logFile}; control: fastbench standin fastcache suspend|resume|stats`);
      }
      let viewer: ReturnType<typeof launchViewer> | undefined;
      let display: Awaited<ReturnType<typeof ensureDisplay>> | undefined;
      if (!args.values['no-viewer']) {
        display = await ensureDisplay(io, Boolean(args.values.xvfb));
        const project = mode === 'A_shared' ? stack.projects.A_shared : stack.projects.B_fast;
        viewer = launchViewer(project, display.display, io.env);
        viewer.stderr!.on('data', (d: Buffer) => io.err(d.toString().trimEnd()));
        io.out(`viewer (${mode}) pid ${viewer.pid}, project ${project}${display.display ? `, display ${display.display}` : ''}`);
      }
      io.out('Ctrl-C stops everything started here.');
      const exited = viewer ? new Promise<number | null>((r) => viewer!.once('exit', r)) : new Promise<number | null>(() => {});
      const stopped = await Promise.race([
        exited.then((code) => `viewer exited (${code})`),
        new Promise<string>((r) => {
          if (io.signal.aborted) return r('interrupted');
          io.signal.addEventListener('abort', () => r('interrupted'), { once: true });
        }),
      ]);
      if (viewer && viewer.exitCode === null) {
        viewer.kill('SIGTERM');
        await exited;
      }
      display?.stop();
      io.out(`stopping: ${stopped}`);
      return EXIT.ok;
    } finally {
      await stack.stop();
    }
  },
};
