import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { windowsColdRouteOnce, type ColdRoute } from '../cache/coldHelper';
import type { LoadedConfig } from '../config/configFile';
import { loadRecording } from '../recording/recordingFile';
import { InputError } from '../validation/problems';
import type { PlanEntry } from './plan';
import { modeValues } from './runOne';

/**
 * What can be checked without launching anything: the executable, each planned mode's data and project, every
 * replayed recording (with file:line:col). Problems come back all at once, so one fix-and-retry round is enough.
 */
export async function preflight(
  loaded: LoadedConfig,
  plan: PlanEntry[],
  o: { platform?: NodeJS.Platform; coldRoute?: (want: { cacheFolder?: string; serviceName?: string }) => Promise<ColdRoute> } = {},
): Promise<string[]> {
  const { config, dir, file } = loaded;
  const problems: string[] = [];
  // Windows Cold runs need elevation (purge, FAST service): without it, and without the installed helper, that is
  // one setup problem named here with its fix, not a failed step in every Cold run.
  if ((o.platform ?? process.platform) === 'win32' && plan.some((e) => e.policy === 'Cold')) {
    const b = plan.some((e) => e.policy === 'Cold' && e.mode === 'B_fast') ? config.modes.B_fast : undefined;
    const want = { ...(b ? { cacheFolder: path.win32.resolve(dir, b.cacheFolder) } : {}), ...(b?.serviceName ? { serviceName: b.serviceName } : {}) };
    const route = await (o.coldRoute ?? windowsColdRouteOnce)(want).catch((e: Error): ColdRoute => ({
      via: 'none',
      why: `cannot tell whether Cold runs can elevate: ${e.message}`,
    }));
    if (route.via === 'none') problems.push(`${file}: campaign.cachePolicies has Cold: ${route.why}`);
  }
  const exe = path.resolve(dir, config.target.executable);
  try {
    accessSync(exe, process.platform === 'win32' ? constants.R_OK : constants.X_OK);
  } catch {
    problems.push(`${file}: target.executable: ${exe} does not exist or cannot be executed`);
  }
  for (const mode of new Set(plan.map((e) => e.mode))) {
    try {
      const v = modeValues(config, dir, mode);
      if (!existsSync(v.dataPath)) problems.push(`${file}: modes.${mode}.dataPath: ${v.dataPath} is not reachable from here (is the share mounted / FAST running?)`);
      if (v.project && !existsSync(v.project)) problems.push(`${file}: project for ${mode}: ${v.project} does not exist`);
      if (config.target.arguments.some((a) => a.includes('{project}')) && !v.project)
        problems.push(`${file}: target.arguments uses {project} but neither target.project nor modes.${mode}.project is set`);
    } catch (e) {
      problems.push(`${file}: ${(e as Error).message}`);
    }
  }
  const batchNames = [...new Set(plan.flatMap((e) => (e.workflow.batch ? [e.workflow.batch] : [])))];
  if (batchNames.length && !config.target.batch)
    problems.push(`${file}: campaign.workflows has batch workflow(s) ${batchNames.join(', ')} but target.batch.arguments is not configured`);
  for (const replay of new Set(plan.flatMap((e) => (e.workflow.replay ? [path.resolve(dir, e.workflow.replay)] : [])))) {
    try {
      await loadRecording(replay);
    } catch (e) {
      if (e instanceof InputError) problems.push(...e.message.split('\n'));
      else problems.push(`${replay}: ${(e as Error).message}`);
    }
  }
  return problems;
}
