import path from 'node:path';
import { configSchema, type FastbenchConfig } from '../../shared/config';
import { SECRET_HOME, findSecrets } from '../../shared/secrets';
import type { JsonPath } from '../json/jsonWithPositions';
import { InputError } from '../validation/problems';
import { readInputFile } from '../validation/readInputFile';
import { validateJsonText, type Validated } from '../validation/validateJson';

export type LoadedConfig = { file: string; dir: string; config: FastbenchConfig };

function crossChecks(raw: unknown): { path: JsonPath; expected: string; pointAtKey?: boolean }[] {
  const secrets = findSecrets(raw).map((s) => ({
    path: s.path,
    expected: `contains ${s.kind}, which is refused. ${SECRET_HOME}`,
    pointAtKey: true,
  }));
  return secrets;
}

export function validateConfigText(file: string, text: string): Validated<FastbenchConfig> {
  const result = validateJsonText(file, text, configSchema, crossChecks);
  if (!result.ok) return result;
  // Rules that span sections; checked after the schema so each names the exact field.
  const problems = [];
  const configured = result.value.modes;
  for (const [i, mode] of result.value.campaign.modes.entries()) {
    if (!configured[mode]) {
      problems.push({
        file,
        path: `campaign.modes[${i}]`,
        expected: `expected a mode configured under "modes" (configured: ${Object.keys(configured).join(', ') || 'none'})`,
        found: JSON.stringify(mode),
      });
    }
  }
  return problems.length ? { ok: false, problems } : result;
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
