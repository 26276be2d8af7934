// Types for checkLayers.mjs (a plain-Node build script), so the unit tests can call it.
type Metafile = { inputs: Record<string, { imports: { path: string; kind: string; external?: boolean; original?: string }[] }> };
export function layerViolations(metafiles: Metafile[]): { violations: string[]; files: number };
