import { createRequire } from 'node:module';

/**
 * koffi's entry file, for worker threads that load koffi themselves (`require(path)` in eval'd worker source).
 * Not `require.resolve('koffi')`: inside fastbench.exe require() knows only built-in modules and has no resolve.
 * __filename is dist/<bundle>.js, or the exe itself, whose node_modules\ beside it holds koffi.
 */
export function koffiModulePath(): string {
  return createRequire(__filename).resolve('koffi');
}
