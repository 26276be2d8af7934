// Bundles every entry: node programs (extension host, CLI, build tools, tests) as CommonJS, webviews for
// the browser. Prints bundle sizes. `--watch` rebuilds on change; `--only=NAME,...` limits entries;
// `--check-layers` builds every entry in memory and checks the layer boundaries on the import graph.
import * as esbuild from 'esbuild';
import { layerViolations } from './extension/build/checkLayers.mjs';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const checkLayers = process.argv.includes('--check-layers');
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');

const testFiles = (dir) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.test.ts'))
        .map((f) => path.join(dir, f))
    : [];

// Inside a Node single-executable application require() loads only built-in modules, so the packages kept out of
// the bundle (native binaries) are loaded from node_modules/ beside fastbench.exe, as Node would load them.
function packagesBesideExe(packages) {
  const filter = new RegExp(`^(${packages.map((p) => p.replace(/[/.]/g, '\\$&')).join('|')})$`);
  return {
    name: 'packages-beside-exe',
    setup(build) {
      build.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'beside-exe' }));
      build.onLoad({ filter: /.*/, namespace: 'beside-exe' }, (args) => ({
        contents: `module.exports = require('node:module').createRequire(process.execPath)(${JSON.stringify(args.path)});`,
        loader: 'js',
      }));
    },
  };
}

const node = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'linked',
  minify: production,
  // koffi and @napi-rs/canvas load a per-platform native binary relative to their own files, so they stay real packages.
  external: ['vscode', 'koffi', '@napi-rs/canvas'],
  // ESM-only code paths of dependencies (e.g. the Azure SDK's createRequire(import.meta.url)) need a real
  // import.meta.url inside a CommonJS bundle.
  define: { __FASTBENCH_VERSION__: JSON.stringify(pkg.version), 'import.meta.url': '__importMetaUrl' },
  banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
  metafile: true,
};

const allEntries = [
  {
    name: 'extension',
    ...node,
    entryPoints: { extension: 'extension/host/extension.ts' },
    outdir: 'dist',
    // Brackets the bundle's evaluation so the activation figure counts module load without the host's idle gaps.
    banner: { js: `globalThis.__fastbenchLoad = [performance.now()];\n${node.banner.js}` },
    footer: { js: 'globalThis.__fastbenchLoad.push(performance.now());' },
  },
  {
    name: 'cli',
    ...node,
    entryPoints: { cli: 'extension/cli/bin.ts' },
    outdir: 'dist',
    banner: { js: `#!/usr/bin/env node\n${node.banner.js}` },
  },
  { name: 'driver', ...node, entryPoints: { driver: 'extension/driver/main.ts' }, outdir: 'dist' },
  {
    name: 'standin',
    ...node,
    entryPoints: { 'standin-viewer': 'extension/standin/viewer/main.ts', fastcache: 'extension/standin/fastcache/main.ts' },
    outdir: 'dist',
  },
  { name: 'agent', ...node, entryPoints: { agent: 'extension/agent/main.ts' }, outdir: 'dist' },
  {
    // One script for fastbench.exe (extension/build/packageExe.mjs): the CLI, driver and agent together.
    name: 'exe',
    ...node,
    entryPoints: { 'fastbench-sea': 'extension/exe/main.ts' },
    outdir: 'dist/exe',
    // The exe's script is read from inside the exe: a source map beside it would never be found.
    sourcemap: false,
    plugins: [packagesBesideExe(node.external.filter((p) => p !== 'vscode'))],
  },
  { name: 'tools', ...node, entryPoints: { genSchemas: 'extension/build/genSchemas.ts' }, outdir: 'dist/tools' },
  {
    name: 'webviews',
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    sourcemap: 'linked',
    minify: production,
    entryPoints: { runDetails: 'webviews/runDetails/main.ts', kpis: 'webviews/kpis/main.ts' },
    outdir: 'dist/webviews',
    logLevel: 'warning',
    metafile: true,
  },
  {
    name: 'tests',
    ...node,
    entryPoints: [...testFiles('test/unit')],
    outdir: 'dist/test/unit',
  },
  { name: 'agent-tests', ...node, entryPoints: [...testFiles('test/agent')], outdir: 'dist/test/agent' },
  { name: 'azure-tests', ...node, entryPoints: [...testFiles('test/azure')], outdir: 'dist/test/azure' },
  { name: 'standin-tests', ...node, entryPoints: [...testFiles('test/standin')], outdir: 'dist/test/standin' },
  { name: 'x11-tests', ...node, entryPoints: [...testFiles('test/x11')], outdir: 'dist/test/x11' },
  {
    name: 'bench-tests',
    ...node,
    entryPoints: existsSync('test/bench')
      ? readdirSync('test/bench')
          .filter((f) => f.endsWith('Bench.ts'))
          .map((f) => path.join('test/bench', f))
      : [],
    outdir: 'dist/test/bench',
  },
  // all.ts runs index.ts's tests, then each feature's own test file (kept apart so branches merge cleanly).
  { name: 'vscode-tests', ...node, entryPoints: { index: 'test/vscode/suite/all.ts', emptyWorkspace: 'test/vscode/suite/emptyWorkspace.ts' }, outdir: 'dist/test/vscode' },
];

// A misspelt --only name would otherwise build nothing and exit 0, leaving stale bundles to be tested.
const unknown = only?.filter((name) => !allEntries.some((e) => e.name === name)) ?? [];
if (unknown.length) {
  console.error(`esbuild.mjs: unknown --only entr${unknown.length > 1 ? 'ies' : 'y'} ${unknown.join(', ')}; valid: ${allEntries.map((e) => e.name).join(', ')}`);
  process.exit(2);
}
const entries = allEntries.filter((e) => !only || only.includes(e.name));

// Heavy modules must not load when the extension activates: they may only be reached through import(). zod is
// among them: initialising it and the schemas costs more than the whole activation budget (50 ms).
const HEAVY = [/node_modules\/@azure\//, /node_modules\/systeminformation\//, /node_modules\/zod\//, /^koffi$/];
function staticHeavyImports(metafile, entry) {
  const seen = new Set();
  const stack = [entry];
  const found = [];
  while (stack.length) {
    const file = stack.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    for (const imp of metafile.inputs[file]?.imports ?? []) {
      if (imp.kind === 'dynamic-import') continue;
      if (HEAVY.some((re) => re.test(imp.path))) found.push(`${file} -> ${imp.path}`);
      else if (!imp.external) stack.push(imp.path);
    }
  }
  return found;
}

const sizes = [];
async function buildAll() {
  const results = await Promise.all(
    entries.map(async ({ name, ...options }) => {
      if (watch) {
        const ctx = await esbuild.context(options);
        await ctx.watch();
        return { name, metafile: null };
      }
      const result = await esbuild.build(options);
      return { name, metafile: result.metafile };
    }),
  );
  const ext = results.find((r) => r.name === 'extension' && r.metafile);
  if (ext) {
    const heavy = staticHeavyImports(ext.metafile, 'extension/host/extension.ts');
    if (heavy.length) {
      console.error(`extension bundle loads heavy modules at activation (use import()):\n  ${heavy.join('\n  ')}`);
      process.exit(1);
    }
  }
  // Kept for tools that need the import graph of what was built (packageVsix.mjs lists the bundled packages).
  mkdirSync('dist/meta', { recursive: true });
  for (const { name, metafile } of results) if (metafile) writeFileSync(`dist/meta/${name}.json`, JSON.stringify(metafile));
  for (const { name, metafile } of results) {
    if (!metafile || name.endsWith('tests')) continue;
    for (const [file, info] of Object.entries(metafile.outputs)) {
      if (!file.endsWith('.map')) sizes.push({ name, file, kib: info.bytes / 1024 });
    }
  }
}

if (checkLayers) {
  // In memory (write: false), so a check never replaces the bundles a lane is about to run.
  const results = await Promise.allSettled(entries.map(({ name, ...options }) => esbuild.build({ ...options, write: false, logLevel: 'error' })));
  const failed = entries.filter((_, i) => results[i].status === 'rejected').map((e) => e.name);
  if (failed.length) {
    console.error(`layer check: cannot build ${failed.join(', ')} (errors above)`);
    process.exit(1);
  }
  const { violations, files } = layerViolations(results.map((r) => r.value.metafile));
  if (violations.length) {
    console.error(`Layer boundaries violated (${violations.length}):\n  ${violations.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`layer boundaries ok (${files} files in ${entries.length} bundles' import graphs)`);
  process.exit(0);
}

try {
  await buildAll();
  // Chart.js's browser build, for the self-contained HTML reports written by the CLI and the extension.
  mkdirSync('dist/vendor', { recursive: true });
  copyFileSync('node_modules/chart.js/dist/chart.umd.min.js', 'dist/vendor/chart.umd.min.js');
} catch {
  // esbuild has already printed the errors with file:line.
  process.exit(1);
}
if (watch) {
  console.log('esbuild: watching for changes');
} else {
  for (const s of sizes) console.log(`${s.name.padEnd(10)} ${s.file.padEnd(36)} ${s.kib.toFixed(1).padStart(8)} KiB`);
}
