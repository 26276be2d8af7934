declare const __FASTBENCH_VERSION__: string | undefined;

/** Injected by esbuild from package.json; "dev" when running unbundled. */
export const TOOL_VERSION: string = typeof __FASTBENCH_VERSION__ === 'string' ? __FASTBENCH_VERSION__ : 'dev';
