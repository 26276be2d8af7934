import { existsSync } from 'node:fs';
import { MODES, type Mode } from '../../shared/names';
import { standinHome, standinPaths } from '../../standin/volume/standinPaths';
import { EXIT, type Command } from '../command';
import { ensureDisplay, launchViewer, startServices, writeProject } from '../standin/standinSession';

export const standinUp: Command = {
  words: ['standin', 'up'],
  summary: 'Start the stand-in for a mode (Azurite and fastcache for B_fast, then the viewer); Ctrl-C stops all',
  usage: 'fastbench standin up [--mode A_shared|B_fast] [--xvfb]',
  details: `Opens the demo volume ("fastbench standin data") in the stand-in viewer, as Petrel would open a project:
A_shared reads the volume file on the stand-in's "NAS" folder; B_fast reads it through the FAST-like cache,
which fetches from the local Azurite. In the viewer: PageDown/PageUp step inlines, A computes an attribute,
a click then H tracks a horizon, E exports. --xvfb (or no DISPLAY) runs it on a private Xvfb.`,
  options: { mode: { type: 'string' }, xvfb: { type: 'boolean' } },
  positionals: { min: 0, max: 0 },
  run: async (args, io) => {
    const mode = ((args.values.mode as string | undefined) ?? 'A_shared') as Mode;
    if (!MODES.includes(mode)) {
      io.err(`fastbench standin up: --mode: expected ${MODES.join(' or ')}, found ${JSON.stringify(mode)}`);
      return EXIT.badInput;
    }
    const paths = standinPaths(standinHome(io.env));
    if (!existsSync(paths.volume)) {
      io.err(`fastbench standin up: no demo volume at ${paths.volume}; run "fastbench standin data" first`);
      return EXIT.badInput;
    }
    const display = await ensureDisplay(io, Boolean(args.values.xvfb));
    const services = await startServices(mode, paths, io).catch((e: Error) => {
      display.stop();
      throw e;
    });
    try {
      const project = writeProject(paths, mode);
      const viewer = launchViewer(project, display.display, io.env);
      viewer.stderr!.on('data', (d: Buffer) => io.err(d.toString().trimEnd()));
      io.out(`stand-in up (${mode}): viewer pid ${viewer.pid}, project ${project}${display.display ? `, display ${display.display}` : ''}`);
      io.out('Ctrl-C stops the viewer and what was started for it.');
      const exited = new Promise<number | null>((r) => viewer.once('exit', r));
      const stopped = await Promise.race([
        exited.then((code) => `viewer exited (${code})`),
        new Promise<string>((r) => io.signal.addEventListener('abort', () => r('interrupted'), { once: true })),
      ]);
      if (viewer.exitCode === null) {
        viewer.kill('SIGTERM');
        await exited;
      }
      io.out(`stopping: ${stopped}`);
      return EXIT.ok;
    } finally {
      await services.stop();
      display.stop();
    }
  },
};
