import { RECORDING_FILE_SUFFIX } from './names';

/**
 * The path a recording is saved to, from what a save dialog returned. VS Code's simple save dialog (remote, web,
 * code-server) appends the filter's extension to a name that already has it ("x.fbrec.json.fbrec.json"), and a user
 * may type a name without it: the result always ends in exactly one ".fbrec.json".
 */
export function recordingPath(chosen: string): string {
  const lower = chosen.toLowerCase();
  let base = chosen;
  const suffix = RECORDING_FILE_SUFFIX.toLowerCase();
  while (base.toLowerCase().endsWith(suffix)) base = base.slice(0, -suffix.length);
  if (base === chosen && lower.endsWith('.json')) base = chosen.slice(0, -'.json'.length);
  return base + RECORDING_FILE_SUFFIX;
}
