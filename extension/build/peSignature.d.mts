// Types for peSignature.mjs (a plain-Node build script), so the unit tests can call it.
export function stripAuthenticode(file: string): boolean;
