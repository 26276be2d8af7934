import { stat } from 'node:fs/promises';
import path from 'node:path';
import { analyzeRuns } from '../../core/analysis/analyze';
import { BlobRunStore } from '../../core/analysis/blobRunStore';
import { containerDisplayUrl, isContainerUrl, parseContainerUrl } from '../../core/analysis/containerUrl';
import { LocalRunStore, type RunStore } from '../../core/analysis/runStore';
import { writeAnalysisOutputs } from '../../core/report/writeOutputs';
import { SECRET_ENV_VAR, redactSecrets } from '../../shared/secrets';
import { BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED } from '../../shared/statistics';
import { EXIT, JSON_OPTION, type Command } from '../command';

export const analyzeCommand: Command = {
  words: ['analyze'],
  summary: 'KPIs per run, A_shared vs B_fast comparisons with statistics, an offline HTML report and PNG charts',
  usage: 'fastbench analyze RUNS... [--out DIR] [--by-machine|--pool-machines] [--seed N] [--resamples N] [--json]',
  details: `RUNS are folders holding run folders at any depth (campaigns may be mixed), or pushed runs in Blob storage:
https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX or az://ACCOUNT/CONTAINER/PREFIX (SAS from ${SECRET_ENV_VAR}),
read in place, streaming. A folder that is not a valid run is skipped and named on stderr with the reason.
Writes to --out (default ./analysis): kpis.csv (one row per run), comparison_kpis.csv (per machine, workflow, cache
policy and KPI: medians, ratio B/A with a bootstrap 95 % CI, Mann-Whitney p, verdict), analysis.json, report.html
(self-contained, offline) and PNG charts (open_by_mode.png, scrub100_by_mode.png, ...).
Machines are compared separately (--by-machine, the default) or together (--pool-machines).
--seed and --resamples set the bootstrap (default seed ${BOOTSTRAP_SEED}, ${BOOTSTRAP_RESAMPLES} resamples).
Exit 0 when at least one run was analysed, 1 when none, 2 on bad arguments. Definitions: README, "Analysis".`,
  options: {
    ...JSON_OPTION,
    out: { type: 'string' },
    'by-machine': { type: 'boolean' },
    'pool-machines': { type: 'boolean' },
    seed: { type: 'string' },
    resamples: { type: 'string' },
  },
  positionals: { min: 1, max: 10_000 },
  run: async (args, io) => {
    const bad = (message: string) => {
      io.err(`fastbench analyze: ${message}\nUsage: ${analyzeCommand.usage}`);
      return EXIT.badInput;
    };
    if (args.values['by-machine'] && args.values['pool-machines']) return bad('choose one of --by-machine and --pool-machines');
    const intOption = (name: 'seed' | 'resamples', min: number, fallback: number): number | string => {
      const v = args.values[name];
      if (v === undefined) return fallback;
      const n = Number(v);
      return typeof v === 'string' && /^\d+$/.test(v) && n >= min && n <= 0xffffffff ? n : `--${name}: expected an integer ≥ ${min}, found ${JSON.stringify(v)}`;
    };
    const seed = intOption('seed', 0, BOOTSTRAP_SEED);
    const resamples = intOption('resamples', 100, BOOTSTRAP_RESAMPLES);
    if (typeof seed === 'string') return bad(seed);
    if (typeof resamples === 'string') return bad(resamples);

    const stores: RunStore[] = [];
    let remote = false;
    for (const arg of args.positionals) {
      if (isContainerUrl(arg)) {
        let address;
        try {
          address = parseContainerUrl(arg);
        } catch (e) {
          return bad((e as Error).message);
        }
        stores.push(new BlobRunStore(address, io.env[SECRET_ENV_VAR]));
        remote = true;
        io.err(`reading pushed runs from ${containerDisplayUrl(address)}`);
        continue;
      }
      const folder = path.resolve(io.cwd, arg);
      const isDir = await stat(folder).then(
        (s) => s.isDirectory(),
        () => false,
      );
      if (!isDir) return bad(`${arg}: expected a folder of run folders or a container URL; no such folder`);
      stores.push(new LocalRunStore(folder));
    }
    const outDir = path.resolve(io.cwd, typeof args.values.out === 'string' ? args.values.out : 'analysis');

    const started = Date.now();
    let lastReport = started;
    const { result, metricsRows } = await analyzeRuns(stores, {
      pooled: args.values['pool-machines'] === true,
      seed,
      resamples,
      concurrency: remote ? 8 : 4,
      signal: io.signal,
      onSkipped: (folder, reason) => io.err(`skipped ${folder}: ${redactSecrets(reason)}`),
      onProgress: (done, total, rows) => {
        const now = Date.now();
        if (now - lastReport >= 1000 || (done === total && now - started >= 1000)) {
          lastReport = now;
          io.err(`analysed ${done}/${total} run folders, ${(rows / 1e6).toFixed(2)} M metrics rows, ${((now - started) / 1000).toFixed(1)} s`);
        }
      },
    });
    for (const m of result.malformed) io.err(`${m.file}: ${m.count} malformed row${m.count > 1 ? 's' : ''} skipped, e.g. ${m.examples[0]}`);
    if (result.kpis.length === 0) {
      io.err(`fastbench analyze: no run analysed in ${args.positionals.join(', ')}${result.skipped.length ? ` (${result.skipped.length} folder(s) skipped, see above)` : ''}`);
      if (args.values.json) io.out(JSON.stringify({ out: null, runs: 0, skipped: result.skipped }, null, 2));
      return EXIT.failed;
    }
    const written = await writeAnalysisOutputs(result, outDir);
    for (const w of written.warnings) io.err(`warning: ${w}`);
    const seconds = (Date.now() - started) / 1000;
    if (args.values.json) {
      io.out(
        JSON.stringify(
          {
            out: outDir,
            files: written.files,
            runs: result.kpis.length,
            metrics_rows: metricsRows,
            seconds,
            comparisons: result.comparisons.map(({ values_A_shared: _a, values_B_fast: _b, ...c }) => c),
            flags: result.flags,
            skipped: result.skipped,
          },
          null,
          2,
        ),
      );
      return EXIT.ok;
    }
    io.out(
      `${result.kpis.length} run(s) analysed (${metricsRows} metrics rows) in ${seconds.toFixed(1)} s; ${result.flags.length} flag(s), ${result.skipped.length} folder(s) skipped`,
    );
    if (result.comparisons.length === 0) io.out('no KPI has comparable runs in both modes yet');
    for (const c of result.comparisons) io.out(`  ${c.machine} · ${c.workflow} · ${c.cache_policy} · ${c.kpi}: ${c.verdict}`);
    io.out(`wrote ${written.files.length} files to ${outDir} (report.html, kpis.csv, comparison_kpis.csv, PNG charts)`);
    return EXIT.ok;
  },
};
