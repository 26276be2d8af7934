import path from 'node:path';
import { loadConfig } from '../../core/config/configFile';
import { InputError } from '../../core/validation/problems';
import { CONFIG_FILE_NAME } from '../../shared/names';
import { SECRET_ENV_VAR } from '../../shared/secrets';
import { EXIT, JSON_OPTION, type Command } from '../command';

export const probeRun: Command = {
  words: ['probe'],
  summary: "Measure the machine, the NAS and Azure: RTTs, throughput by streams, the probe's own CPU",
  usage: 'fastbench probe [--config FILE] [--out DIR] [--step-seconds N] [--json]',
  details: `Reads probe settings, the NAS host and test file, and the Azure blob from --config (default ./${CONFIG_FILE_NAME}).
The SAS comes from ${SECRET_ENV_VAR}; it is never printed or saved.
Writes baseline.json, baseline_summary.txt, throughput_vs_streams.png, rtt_distribution.png and baseline.html
to --out (default: "baseline" beside the config). --step-seconds sets each throughput step (default 5).
--json prints baseline.json to stdout. Exit 1 when a measurement failed (the reason is in the summary).`,
  options: { ...JSON_OPTION, config: { type: 'string' }, out: { type: 'string' }, 'step-seconds': { type: 'string' } },
  positionals: { min: 0, max: 0 },
  run: async (args, io) => {
    const configFile = path.resolve(io.cwd, typeof args.values.config === 'string' ? args.values.config : CONFIG_FILE_NAME);
    const stepArg = args.values['step-seconds'];
    const stepSeconds = stepArg === undefined ? 5 : Number(stepArg);
    if (!(Number.isFinite(stepSeconds) && stepSeconds > 0 && stepSeconds <= 600)) {
      throw InputError.single('--step-seconds', 'expected seconds > 0 and ≤ 600', JSON.stringify(stepArg));
    }
    const loaded = await loadConfig(configFile);
    const outDir = typeof args.values.out === 'string' ? path.resolve(io.cwd, args.values.out) : path.join(loaded.dir, 'baseline');
    // Loaded here, not at the top: systeminformation and the Azure code are only needed by this command.
    const { runProbe } = await import('../../core/probe/probeRunner');
    const { writeBaselineOutputs } = await import('../../core/probe/baselineOutputs');
    const { baselineSummary } = await import('../../core/probe/baselineSummary');
    const baseline = await runProbe({
      loaded,
      sas: { value: io.env[SECRET_ENV_VAR], source: SECRET_ENV_VAR },
      stepSeconds,
      signal: io.signal,
      progress: (m, f) => io.err(`probe [${Math.round(f * 100)}%] ${m}`),
    });
    const files = writeBaselineOutputs(outDir, baseline, { chartJsRoots: [path.resolve(__dirname, '..'), io.cwd] });
    if (args.values.json) io.out(JSON.stringify(baseline, null, 2));
    else {
      io.out(baselineSummary(baseline).trimEnd());
      io.out('');
      io.out(
        `written to ${outDir}: ${Object.values(files)
          .map((f) => path.basename(f))
          .join(', ')}`,
      );
    }
    return baseline.problems.length ? EXIT.failed : EXIT.ok;
  },
};
