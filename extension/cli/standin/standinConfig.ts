import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { standinRenderProbe, standinWorkflows } from '../../core/campaign/templates';
import type { FastbenchConfigInput } from '../../shared/config';
import { standinPaths } from '../../standin/volume/standinPaths';

const WINDOW = { width: 900, height: 700 };

export type StandinLayout = {
  home: string;
  /** What A_shared opens (the "NAS" path) and what B_fast opens (the FAST path). */
  dataA: string;
  dataB: string;
  cacheFolder: string;
  logFile: string;
  /** Path prefixes the open-files evidence classifies. */
  nasPrefix: string;
  fastPrefixes: string[];
  /** How B_fast's cache files are released around a Cold rotation (argv commands). */
  serviceControl?: { stop: string[]; start: string[] };
};

/** The layout `fastbench standin up` serves under a stand-in home: the NAS and FAST mounts. */
export function defaultStandinLayout(home: string): StandinLayout {
  const p = standinPaths(home);
  const volume = path.basename(p.volume);
  return layoutFromStack(home, {
    paths: {
      nasMount: p.nasMount,
      fastMount: p.fastMount,
      volumeA: path.join(p.nasMount, volume),
      volumeB: path.join(p.fastMount, volume),
      cacheFolder: p.cacheFolder,
      logFile: p.logFile,
    },
  });
}

const inElectron = Boolean(process.versions.electron);

/** A command running one of our scripts with this Node (Electron's, as Node, when written from VS Code). */
function nodeCommand(script: string, ...args: string[]): string[] {
  return inElectron ? ['/usr/bin/env', 'ELECTRON_RUN_AS_NODE=1', process.execPath, script, ...args] : [process.execPath, script, ...args];
}

/**
 * The layout of a running stand-in stack: A_shared reads the sshfs mount, B_fast the FUSE mount. With the stack's
 * fastcache endpoint, the Cold rotation names it, so it reaches this stack whatever FASTBENCH_STANDIN_HOME the
 * campaign runs with (VS Code, another shell).
 */
export function layoutFromStack(
  home: string,
  stack: { paths: { nasMount: string; fastMount: string; volumeA: string; volumeB: string; cacheFolder: string; logFile: string }; endpoint?: string },
): StandinLayout {
  const cli = path.join(__dirname, 'cli.js');
  const at = stack.endpoint ? ['--endpoint', stack.endpoint] : [];
  return {
    home,
    dataA: stack.paths.volumeA,
    dataB: stack.paths.volumeB,
    cacheFolder: stack.paths.cacheFolder,
    logFile: stack.paths.logFile,
    nasPrefix: stack.paths.nasMount + path.sep,
    fastPrefixes: [stack.paths.fastMount + path.sep, stack.paths.cacheFolder + path.sep],
    serviceControl: { stop: nodeCommand(cli, 'standin', 'fastcache', 'suspend', ...at), start: nodeCommand(cli, 'standin', 'fastcache', 'resume', ...at) },
  };
}

/** Writes the viewer's project file for a mode (what Petrel's .pet is to Petrel) and returns its path. */
function writeProject(layout: StandinLayout, mode: 'A_shared' | 'B_fast'): string {
  const folder = path.join(layout.home, 'projects');
  mkdirSync(folder, { recursive: true });
  const file = path.join(folder, `campaign_${mode}.fbproj.json`);
  writeFileSync(
    file,
    JSON.stringify({ name: 'campaign', mode, volume: mode === 'A_shared' ? layout.dataA : layout.dataB, exportFolder: path.join(layout.home, 'export'), window: WINDOW }, null, 2) +
      '\n',
  );
  return file;
}

/**
 * A fastbench.json for the stand-in: the viewer launched like any application (node + its bundle + a project
 * file per mode), found by title, rendered detected from pixels only, the four seed workflows, Cold/Warm,
 * interleaved repeats.
 */
export function standinConfigFor(
  home: string,
  layout: StandinLayout = defaultStandinLayout(home),
  repeats = 3,
  inlines = 100,
  extra: { projects?: { A_shared: string; B_fast: string }; viewerScript?: string; azure?: FastbenchConfigInput['azure']; probe?: FastbenchConfigInput['probe'] } = {},
): FastbenchConfigInput {
  const viewer = path.resolve(extra.viewerScript ?? path.join(__dirname, 'standin-viewer.js'));
  const projects = extra.projects ?? { A_shared: writeProject(layout, 'A_shared'), B_fast: writeProject(layout, 'B_fast') };
  return {
    version: 1,
    target: {
      executable: process.execPath,
      // Written from VS Code, this Node is Electron's, which runs scripts only as Node.
      ...(inElectron ? { env: { ELECTRON_RUN_AS_NODE: '1' } } : {}),
      arguments: [viewer, '--project', '{project}'],
      window: { titlePattern: '^FastBench Stand-in' },
      attachTimeoutS: 60,
      stableMs: 0,
      renderProbe: standinRenderProbe(WINDOW.width, WINDOW.height),
      close: { timeoutS: 10 },
    },
    modes: {
      A_shared: { dataPath: layout.dataA, project: projects.A_shared },
      B_fast: {
        dataPath: layout.dataB,
        project: projects.B_fast,
        cacheFolder: layout.cacheFolder,
        logPath: layout.logFile,
        logFormat: 'fastcache-v1',
        keepRotated: 2,
        ...(layout.serviceControl ? { serviceControl: layout.serviceControl } : {}),
      },
    },
    campaign: {
      modes: ['A_shared', 'B_fast'],
      cachePolicies: ['Cold', 'Warm'],
      workflows: ['W_scrub100', 'W_attribute', 'W_horizon', 'W_export'],
      repeats,
      order: 'interleaved',
      seed: 1,
      warm: 'pass',
      warmupRuns: 0,
    },
    workflows: standinWorkflows(inlines),
    ...(extra.azure ? { azure: extra.azure } : {}),
    ...(extra.probe ? { probe: extra.probe } : {}),
    pathRules: [{ class: 'NAS', prefix: layout.nasPrefix }, ...layout.fastPrefixes.map((prefix) => ({ class: 'FAST_cache' as const, prefix }))],
    runsFolder: path.join(home, 'runs'),
  };
}
