import { coldDidNotHold, type ComparedKpi, type KpiRow, type ObservedSource, type RunContext, type RunFlag, type RunTimeline } from '../../shared/kpi';
import { runManifestSchema, type RunManifest } from '../../shared/runManifest';
import { formatProblem } from '../../shared/problems';
import { validateJsonText } from '../../shared/validateJson';
import { readFastStats, type FastStats } from './fastLogStats';
import { forEachLine } from './lines';
import { markerTimes, readMarkers } from './markersStream';
import { readMetricsWindow, type MetricsWindow } from './metricsWindow';
import { readObservedSource } from './openFilesSource';
import { RowProblems } from './rowProblems';
import { RUN_FILES, type RunStore } from './runStore';

// One run folder → one KPI row, its timeline, FAST latencies and flags. A folder that is not a usable run comes back
// as `skipped` with the reason; nothing here throws for bad content (only for a store that cannot be read at all).

export type AnalysedRun = {
  kind: 'run';
  folder: string;
  manifest: RunManifest;
  kpi: KpiRow;
  timeline: RunTimeline;
  fastLatencies: Float64Array;
  hasFastLog: boolean;
  context: RunContext;
  flags: RunFlag[];
  problems: RowProblems[];
  metricsRows: number;
};

export type RunOutcome = AnalysedRun | { kind: 'skipped'; folder: string; reason: string };

const MATCHING_SOURCE = { A_shared: 'NAS', B_fast: 'FAST_cache' } as const;

export function sourceMatchesMode(mode: keyof typeof MATCHING_SOURCE, source: ObservedSource): boolean | null {
  return source === 'none' ? null : source === MATCHING_SOURCE[mode];
}

async function readText(stream: AsyncIterable<Buffer>): Promise<string> {
  const lines: string[] = [];
  await forEachLine(stream, (l) => lines.push(l));
  return lines.join('\n');
}

const round = (v: number | null, digits: number) => (v === null ? null : Math.round(v * 10 ** digits) / 10 ** digits);

export async function analyseRun(store: RunStore, folder: string): Promise<RunOutcome> {
  const where = store.describe(folder);
  const manifestStream = await store.open(folder, RUN_FILES.manifest);
  if (!manifestStream) return { kind: 'skipped', folder: where, reason: `${RUN_FILES.manifest} is missing` };
  const validated = validateJsonText(RUN_FILES.manifest, await readText(manifestStream), runManifestSchema);
  if (!validated.ok) {
    const more = validated.problems.length > 1 ? ` (+${validated.problems.length - 1} more)` : '';
    return { kind: 'skipped', folder: where, reason: formatProblem(validated.problems[0]!) + more };
  }
  const manifest = validated.value;

  const markerStream = await store.open(folder, RUN_FILES.markers);
  if (!markerStream) return { kind: 'skipped', folder: where, reason: `${RUN_FILES.markers} is missing` };
  const markerProblems = new RowProblems(store.describe(folder, RUN_FILES.markers));
  const markers = await readMarkers(markerStream, markerProblems);
  if (!markers.ok) return { kind: 'skipped', folder: where, reason: markers.reason };
  const times = markerTimes(markers.rows, manifest.workflow);
  const window = { from: times.windowFrom, to: times.windowTo };

  const flags: RunFlag[] = [];
  const flag = (kind: RunFlag['kind'], detail: string) => flags.push({ run_id: manifest.run_id, folder: where, kind, detail });
  const problems = [markerProblems];

  const metricsProblems = new RowProblems(store.describe(folder, RUN_FILES.metrics));
  problems.push(metricsProblems);
  const metricsStream = await store.open(folder, RUN_FILES.metrics);
  let metrics: MetricsWindow | null = null;
  if (metricsStream) metrics = await readMetricsWindow(metricsStream, window, metricsProblems);
  if (!metricsStream) flag('missing_file', `${RUN_FILES.metrics} is missing: cpu, gpu and read KPIs are empty`);
  else if (metrics?.unusable) flag('missing_file', `${metrics.unusable}: cpu, gpu and read KPIs are empty`);

  const openProblems = new RowProblems(store.describe(folder, RUN_FILES.openFiles));
  problems.push(openProblems);
  const openStream = await store.open(folder, RUN_FILES.openFiles);
  let source: ObservedSource = 'none';
  if (openStream) {
    const observed = await readObservedSource(openStream, window, openProblems);
    source = observed.source;
    if (observed.unusable) flag('missing_file', observed.unusable);
  }

  const fastProblems = new RowProblems(store.describe(folder, RUN_FILES.fastLog));
  problems.push(fastProblems);
  const fastStream = await store.open(folder, RUN_FILES.fastLog);
  let fast: FastStats | null = null;
  if (fastStream) {
    fast = await readFastStats(fastStream, window, fastProblems);
    if (fast.unusable) flag('missing_file', `${fast.unusable}: FAST KPIs are empty`);
  }

  const matches = sourceMatchesMode(manifest.mode, source);
  if (matches === false)
    flag('wrong_source', `${manifest.mode} run read from ${source === 'mixed' ? 'both NAS and FAST_cache' : source} (open_files.tsv); kept out of comparisons`);
  if (source === 'none')
    flag('no_evidence', `no NAS or FAST_cache file open during the run window${openStream ? '' : ` (${RUN_FILES.openFiles} is missing)`}; kept in comparisons`);
  if (manifest.status !== 'complete') flag('aborted', `status ${manifest.status}${manifest.reason ? `: ${manifest.reason}` : ''}; kept out of comparisons`);
  if (times.missing.length)
    flag(
      'missing_markers',
      `no ${times.missing.join(', ')} marker${times.missing.length > 1 ? 's' : ''}${times.windowFrom === null ? '; without open_start there is no run window, so cpu, gpu, read and FAST KPIs are empty' : ''}`,
    );
  for (const p of problems) if (p.count) flag('malformed_rows', `${p.count} malformed row${p.count > 1 ? 's' : ''} skipped, e.g. ${p.examples[0]}`);

  const values: Record<ComparedKpi, number | null> = {
    open_time_s: round(times.durations.open_time_s, 6),
    scrub_time_s: round(times.durations.scrub_time_s, 6),
    attr_time_s: round(times.durations.attr_time_s, 6),
    horizon_time_s: round(times.durations.horizon_time_s, 6),
    export_time_s: round(times.durations.export_time_s, 6),
    cpu_mean: round(metrics?.cpu_mean ?? null, 6),
    proc_cpu_mean: round(metrics?.proc_cpu_mean ?? null, 6),
    gpu_mean: round(metrics?.gpu_mean ?? null, 6),
    read_MB_s_p95: round(metrics?.read_MB_s_p95 ?? null, 6),
    fast_requests: fast?.fast_requests ?? null,
    fast_hit_ratio: round(fast?.fast_hit_ratio ?? null, 6),
    fast_latency_p50_ms: round(fast?.fast_latency_p50_ms ?? null, 6),
    fast_latency_p95_ms: round(fast?.fast_latency_p95_ms ?? null, 6),
  };
  const machine = manifest.machine?.hostname ?? null;
  const kpi: KpiRow = {
    run_id: manifest.run_id,
    campaign_id: manifest.campaign_id ?? null,
    machine,
    mode: manifest.mode,
    cache_policy: manifest.cache_policy,
    workflow: manifest.workflow,
    repeat: manifest.repeat,
    status: manifest.status,
    warmup: manifest.warmup === true,
    ...values,
    observed_source: source,
    source_matches_mode: matches,
  };
  if (coldDidNotHold(kpi))
    flag('not_cold', `Cold run, but all ${kpi.fast_requests} FAST reads in its window were cache hits (no miss): FAST's cache was not empty at the start; kept out of comparisons`);
  const t0 = times.windowFrom ?? metrics?.timeline.t_unix_ms[0] ?? 0;
  const timeline: RunTimeline = {
    run_id: manifest.run_id,
    label: `${manifest.run_id} (${manifest.mode} · ${manifest.cache_policy} · ${manifest.workflow} #${manifest.repeat}${machine ? ` · ${machine}` : ''})`,
    t_s: (metrics?.timeline.t_unix_ms ?? []).map((t) => (t - t0) / 1000),
    cpu_pct: metrics?.timeline.cpu_pct ?? [],
    proc_cpu_pct: metrics?.timeline.proc_cpu_pct ?? [],
    read_MB_s: metrics?.timeline.read_MB_s ?? [],
    gpu_pct: metrics?.timeline.gpu_pct ?? [],
    ram_used_mb: metrics?.timeline.ram_used_mb ?? [],
    markers: markers.rows.map((m) => ({ t_s: (m.t_unix_ms - t0) / 1000, name: m.name })),
  };
  return {
    kind: 'run',
    folder: where,
    manifest,
    kpi,
    timeline,
    fastLatencies: fast?.latencies ?? new Float64Array(0),
    hasFastLog: fastStream !== null,
    context: { run_id: manifest.run_id, machine, dataset: manifest.dataset?.path ?? null, config_digest: manifest.config_digest ?? null },
    flags,
    problems,
    metricsRows: metrics?.rows ?? 0,
  };
}
