import path from 'node:path';
import { configSchema, type FastbenchConfig } from '../../shared/config';
import { MODES } from '../../shared/names';
import { SECRET_HOME, findSecrets } from '../../shared/secrets';
import type { JsonPath } from '../../shared/jsonWithPositions';
import { InputError } from '../validation/problems';
import { readInputFile } from '../validation/readInputFile';
import { validateJsonText, type Validated } from '../../shared/validateJson';

export type LoadedConfig = { file: string; dir: string; config: FastbenchConfig };

type RawConfig = { modes?: Record<string, unknown>; campaign?: { modes?: unknown; workflows?: unknown }; workflows?: Record<string, unknown> };

function crossChecks(raw: unknown): { path: JsonPath; expected: string; pointAtKey?: boolean }[] {
  const checks = findSecrets(raw).map((s) => ({
    path: s.path,
    expected: `contains ${s.kind}, which is refused. ${SECRET_HOME}`,
    pointAtKey: true,
  }));
  // A campaign can only run modes the config describes; checked on what the user wrote, with its position.
  const r = (raw ?? {}) as RawConfig;
  const configured = Object.keys(r.modes ?? {}).filter((m) => (MODES as readonly string[]).includes(m));
  if (Array.isArray(r.campaign?.modes)) {
    r.campaign.modes.forEach((mode, i) => {
      if (typeof mode === 'string' && (MODES as readonly string[]).includes(mode) && !configured.includes(mode)) {
        checks.push({
          path: ['campaign', 'modes', i],
          expected: `expected a mode configured under "modes" (configured: ${configured.join(', ') || 'none'}), found ${JSON.stringify(mode)}`,
          pointAtKey: false,
        });
      }
    });
  }
  // A workflow named in the campaign must be defined (a replay entry names its recording instead).
  const defined = Object.keys(r.workflows ?? {});
  if (Array.isArray(r.campaign?.workflows)) {
    r.campaign.workflows.forEach((w, i) => {
      if (typeof w === 'string' && !defined.includes(w)) {
        checks.push({
          path: ['campaign', 'workflows', i],
          expected: `expected a workflow defined under "workflows" (defined: ${defined.join(', ') || 'none; "fastbench init" writes the four templates'}), found ${JSON.stringify(w)}`,
          pointAtKey: false,
        });
      }
    });
  }
  return checks;
}

export function validateConfigText(file: string, text: string): Validated<FastbenchConfig> {
  const result = validateJsonText(file, text, configSchema, crossChecks);
  if (!result.ok) return result;
  const configured = MODES.filter((m) => result.value.modes[m] !== undefined);
  if (configured.length === 0) {
    return { ok: false, problems: [{ file, path: 'modes', expected: `expected at least one of ${MODES.join(', ')} configured` }] };
  }
  // Unwritten, the campaign runs every configured mode (not every mode there is).
  if ((result.raw as RawConfig).campaign?.modes === undefined) result.value.campaign.modes = configured;
  // Unwritten, the campaign runs every defined workflow.
  const defined = Object.keys(result.value.workflows);
  if ((result.raw as RawConfig).campaign?.workflows === undefined && defined.length) result.value.campaign.workflows = defined;
  return result;
}

export async function loadConfig(file: string): Promise<LoadedConfig> {
  const text = await readInputFile(file);
  const result = validateConfigText(file, text);
  if (!result.ok) throw new InputError(result.problems);
  return { file, dir: path.dirname(path.resolve(file)), config: result.value };
}

/** The runs folder, resolved against the config file's folder so a config works from any cwd. */
export function runsFolderOf(loaded: LoadedConfig): string {
  return path.resolve(loaded.dir, loaded.config.runsFolder);
}
