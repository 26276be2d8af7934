// What an error toast offers next, decided from its text: the action that fixes the usual cause as a button, and a
// sentence when the message alone does not say what to do. Plain data so the host shows it and tests read it.

export type NextStep =
  { kind: 'command'; title: string; command: string } | { kind: 'openFile'; title: string; file: string; line: number; column: number } | { kind: 'showLog'; title: string };

const FILE_AT = /((?:[A-Za-z]:[\\/])?[^\s:"'()]+\.(?:json|tsv|csv|txt)):(\d+):(\d+)/;

export function nextStepsFor(message: string): { hint?: string; steps: NextStep[] } {
  const steps: NextStep[] = [];
  let hint: string | undefined;
  const at = FILE_AT.exec(message);
  if (at) {
    const file = at[1]!;
    steps.push({ kind: 'openFile', title: `Open ${file.split(/[\\/]/).pop()}`, file, line: Number(at[2]), column: Number(at[3]) });
  }
  if (/no fastbench\.json/i.test(message)) steps.push({ kind: 'command', title: 'Create fastbench.json', command: 'fastbench.createConfig' });
  if (/\bSAS\b|sig=|AuthorizationFailure|AuthenticationFailed|\b403\b/.test(message)) steps.push({ kind: 'command', title: 'Set Azure SAS', command: 'fastbench.setAzureSas' });
  if (/driver exited|saying hello|cannot open display|\bDISPLAY\b/.test(message))
    hint = 'The driver needs a desktop session: on Linux an X server (DISPLAY set), on Windows an interactive desktop. The log has its output.';
  else if (!steps.length) hint = 'The log has the details.';
  steps.push({ kind: 'showLog', title: 'Show Log' });
  return { ...(hint ? { hint } : {}), steps };
}
