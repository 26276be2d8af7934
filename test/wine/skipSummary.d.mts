// Types for skipSummary.mjs (a plain-Node CI script), so the unit tests can call it.
export function notRun(tap: string): { path: string[]; kind: 'SKIP' | 'TODO'; reason: string }[];
