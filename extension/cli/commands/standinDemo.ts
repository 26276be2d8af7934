import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { analyzeRuns } from '../../core/analysis/analyze';
import { standinWorkflows } from '../../core/campaign/templates';
import type { FastbenchConfigInput } from '../../shared/config';
import { LocalRunStore } from '../../core/analysis/runStore';
import { loadConfig } from '../../core/config/configFile';
import { NET_PROFILES, netProfile } from '../../core/netprofile/profiles';
import { writeAnalysisOutputs } from '../../core/report/writeOutputs';
import { SCRIPTED_WORKFLOWS } from '../../shared/names';
import { DEMO_SPEC, dimsForSize, type VolumeSpec } from '../../standin/volume/generate';
import { standinHome } from '../../standin/volume/standinPaths';
import { EXIT, JSON_OPTION, type Command } from '../command';
import { ensureDisplay } from '../standin/standinSession';
import { explainDemo } from '../standin/demoExplain';
import { standinStartInline, startStandinStack } from '../standin/standinStack';
import { executeCampaign, refused } from './campaignCommand';
import { printVerdicts } from './verdictTable';

function positiveInt(raw: unknown, name: string, max: number, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name}: expected an integer from 1 to ${max}, found ${JSON.stringify(raw)}`);
  return n;
}

export const standinDemo: Command = {
  words: ['standin', 'demo'],
  summary: 'The whole job on the stand-in: its NAS and FAST over emulated networks, a campaign of the four workflows, the analysis and its verdict',
  usage: 'fastbench standin demo [--profile NAME|RTTms/RATEmbit] [--nas-profile NAME] [--repeats N] [--inlines N] [--workflows LIST] [--size MIB] [--xvfb] [--explain] [--json]',
  details: `1. Starts the stand-in's storage (as "fastbench standin up"): the volume on a NAS (sshfs through the
   --nas-profile link, default lan) and behind FAST (a FUSE mount filled from Azurite through the --profile WAN,
   default cross-region); writes <stand-in home>/fastbench.json for it.
2. Runs the campaign of that config (as "fastbench campaign"): W_scrub100 (--inlines steps, default 100),
   W_attribute, W_horizon, W_export × A_shared, B_fast × Cold, Warm × --repeats interleaved blocks (default 5),
   each step timed from pixels alone (no help from the viewer).
3. Analyses the campaign (as "fastbench analyze") into <campaign>/analysis: kpis.csv, comparison_kpis.csv,
   report.html and PNG charts, and prints the verdict table; --explain adds what the network model says open and
   scrub should cost Cold in each mode, beside the measured medians.
Everything started here is stopped at the end, on Ctrl-C too; a stack left by a killed run is cleaned up at the
next start. Profiles: ${NET_PROFILES.map((p) => p.name).join(', ')}. Without DISPLAY (or with --xvfb) the viewer runs on a
private Xvfb.`,
  options: {
    ...JSON_OPTION,
    profile: { type: 'string' },
    'nas-profile': { type: 'string' },
    repeats: { type: 'string' },
    inlines: { type: 'string' },
    workflows: { type: 'string' },
    size: { type: 'string' },
    xvfb: { type: 'boolean' },
    explain: { type: 'boolean' },
  },
  positionals: { min: 0, max: 0 },
  run: async (args, io) => {
    const profile = (args.values.profile as string | undefined) ?? 'cross-region';
    const nasProfile = (args.values['nas-profile'] as string | undefined) ?? 'lan';
    let repeats: number, inlines: number, workflows: string[];
    let spec: VolumeSpec = DEMO_SPEC;
    try {
      netProfile(profile);
      netProfile(nasProfile);
      // 3 vs 3 runs cannot reach p < 0.05 in a two-sided Mann-Whitney test (its smallest p is 0.1); 5 vs 5 can (0.008).
      repeats = positiveInt(args.values.repeats, 'repeats', 50, 5);
      inlines = positiveInt(args.values.inlines, 'inlines', 10_000, 100);
      workflows =
        args.values.workflows === undefined
          ? [...SCRIPTED_WORKFLOWS]
          : String(args.values.workflows)
              .split(',')
              .map((w) => w.trim());
      for (const w of workflows)
        if (!(SCRIPTED_WORKFLOWS as readonly string[]).includes(w))
          throw new Error(`--workflows: expected a comma list of ${SCRIPTED_WORKFLOWS.join(', ')}, found ${JSON.stringify(w)}`);
      if (args.values.size !== undefined) spec = { ...DEMO_SPEC, dims: dimsForSize(positiveInt(args.values.size, 'size', 65536, 320), DEMO_SPEC.sampleFormat) };
      // A PageDown at the last inline draws nothing new, so a scrub that runs off the end could only time out.
      const fit = spec.dims[0] - 1 - standinStartInline(spec, inlines);
      if (workflows.includes('W_scrub100') && inlines > fit)
        throw new Error(
          `--inlines ${inlines}: the volume has ${spec.dims[0]} inlines and the projects open at inline ${standinStartInline(spec, inlines)}, so at most ${Math.max(0, fit)} steps fit`,
        );
    } catch (e) {
      io.err(`fastbench standin demo: ${(e as Error).message}\nUsage: ${standinDemo.usage}`);
      return EXIT.badInput;
    }
    const home = standinHome(io.env);
    const logger = { debug() {}, info: io.err, warn: (m: string) => io.err(`warning: ${m}`), error: (m: string) => io.err(`error: ${m}`) };
    const display = await ensureDisplay(io, Boolean(args.values.xvfb));
    try {
      const stack = await startStandinStack({ home, profile, nasProfile, logger, signal: io.signal, spec, scrubInlines: inlines });
      try {
        // The stack's config, with this demo's repeats, workflows and scrub length.
        const config = JSON.parse(readFileSync(stack.configFile, 'utf8')) as FastbenchConfigInput;
        config.campaign = { ...config.campaign!, repeats, workflows };
        config.workflows = { ...config.workflows, W_scrub100: standinWorkflows(inlines).W_scrub100! };
        writeFileSync(stack.configFile, JSON.stringify(config, null, 2) + '\n');
        const loaded = await loadConfig(stack.configFile);
        const text = JSON.stringify(config, null, 2) + '\n';
        io.err(
          `campaign: ${loaded.config.campaign.modes.join(' vs ')} × ${loaded.config.campaign.cachePolicies.join('/')} × ${workflows.join(', ')} × ${repeats} repeats (WAN ${stack.netem.wan.name} by ${stack.netem.mechanism}, NAS ${stack.netem.nas.name})`,
        );
        const outcome = await executeCampaign(
          { loaded, text, runsRoot: path.resolve(loaded.dir, loaded.config.runsFolder), ...(display.display ? { xvfbDisplay: display.display } : {}) },
          io,
        ).catch(refused(io));
        if (typeof outcome === 'number') return outcome;
        // The network the runs went through belongs in every run.json's story; the campaign folder keeps it once.
        writeFileSync(path.join(outcome.folder, 'standin.json'), JSON.stringify({ netem: stack.netem, paths: stack.paths }, null, 2) + '\n');
        const { result } = await analyzeRuns([new LocalRunStore(outcome.folder)], { signal: io.signal, onSkipped: (f, why) => io.err(`skipped ${f}: ${why}`) });
        const outDir = path.join(outcome.folder, 'analysis');
        const written = await writeAnalysisOutputs(result, outDir);
        const counts = { complete: 0, failed: 0, aborted: 0 };
        for (const r of outcome.results) counts[r.status]++;
        if (args.values.json)
          io.out(
            JSON.stringify(
              {
                campaign: outcome.folder,
                ...counts,
                netem: stack.netem,
                report: path.join(outDir, 'report.html'),
                comparisons: result.comparisons.map(({ values_A_shared: _a, values_B_fast: _b, ...c }) => c),
              },
              null,
              2,
            ),
          );
        else {
          io.out(`campaign ${outcome.folder}: ${counts.complete} complete, ${counts.failed} failed, ${counts.aborted} aborted`);
          printVerdicts(result, io.out);
          if (args.values.explain) for (const line of explainDemo(result, spec, { nas: netProfile(nasProfile), wan: netProfile(profile) }, inlines)) io.out(line);
          io.out(`report ${path.join(outDir, 'report.html')} (${written.files.length} files in ${outDir})`);
        }
        if (outcome.interrupted) return EXIT.interrupted;
        return counts.failed + counts.aborted ? EXIT.failed : EXIT.ok;
      } finally {
        await stack.stop();
      }
    } finally {
      display.stop();
    }
  },
};
