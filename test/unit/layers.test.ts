import assert from 'node:assert/strict';
import { test } from 'node:test';
import { layerViolations } from '../../extension/build/checkLayers.mjs';

// The layer rules on esbuild metafiles (resolved imports, as `node esbuild.mjs --check-layers` gets them). The
// real graph is checked by `npm run check`; here each rule is shown to catch what it is for, and to let through
// what is allowed, so the check cannot quietly stop checking.

const imp = (path: string, extra: { external?: boolean; original?: string; kind?: string } = {}) => ({ path, kind: extra.kind ?? 'import-statement', ...extra });

test('each layer rule flags its crossing, with the importing file and the reason', () => {
  const { violations } = layerViolations([
    {
      inputs: {
        'extension/core/a.ts': {
          imports: [imp('extension/host/b.ts', { original: '../host/b' }), imp('vscode', { external: true }), imp('extension/cli/c.ts', { kind: 'dynamic-import' })],
        },
        'extension/shared/c.ts': { imports: [imp('node:fs', { external: true }), imp('path', { external: true }), imp('extension/core/d.ts')] },
        'extension/standin/viewer/e.ts': { imports: [imp('extension/driver/win32/user32.ts', { kind: 'require-call' }), imp('extension/core/f.ts')] },
        'webviews/x/main.ts': { imports: [imp('extension/core/g.ts'), imp('node:os', { external: true })] },
        'extension/cli/h.ts': { imports: [imp('koffi', { external: true, kind: 'require-call' })] },
      },
    },
  ]);
  const expected = [
    /^extension\/core\/a\.ts: imports extension\/host\/b\.ts: extension\/core\/ must not depend on host\//,
    /^extension\/core\/a\.ts: imports vscode: 'vscode' may only be imported under extension\/host\//,
    /^extension\/core\/a\.ts: imports extension\/cli\/c\.ts: extension\/core\/ must not depend on cli\//,
    /^extension\/shared\/c\.ts: imports node:fs: extension\/shared\/ stays platform-free/,
    /^extension\/shared\/c\.ts: imports path: extension\/shared\/ stays platform-free/,
    /^extension\/shared\/c\.ts: imports extension\/core\/d\.ts: extension\/shared\/ stays platform-free/,
    /^extension\/standin\/viewer\/e\.ts: imports extension\/driver\/win32\/user32\.ts: the stand-in is a target program/,
    /^extension\/standin\/viewer\/e\.ts: imports extension\/core\/f\.ts: the stand-in is a target program/,
    /^webviews\/x\/main\.ts: imports extension\/core\/g\.ts: webviews import only/,
    /^webviews\/x\/main\.ts: imports node:os: webviews import only/,
    /^extension\/cli\/h\.ts: imports koffi: 'koffi' may only be imported under extension\/driver\/ and extension\/standin\//,
  ];
  assert.equal(violations.length, expected.length, violations.join('\n'));
  expected.forEach((re, i) => assert.match(violations[i]!, re));
});

test('allowed imports pass: packages, own layer, shared, koffi in the driver and stand-in, vscode in the host', () => {
  const { violations, files } = layerViolations([
    {
      inputs: {
        'extension/shared/a.ts': { imports: [imp('node_modules/zod/index.js'), imp('extension/shared/b.ts')] },
        'extension/core/c.ts': { imports: [imp('extension/shared/a.ts'), imp('node:fs', { external: true }), imp('extension/core/d.ts')] },
        'extension/host/e.ts': { imports: [imp('vscode', { external: true }), imp('extension/core/c.ts')] },
        'extension/driver/f.ts': { imports: [imp('koffi', { external: true })] },
        'extension/standin/g.ts': { imports: [imp('koffi', { external: true }), imp('extension/shared/a.ts'), imp('extension/standin/h.ts'), imp('node:net', { external: true })] },
        'webviews/i.ts': { imports: [imp('extension/shared/a.ts'), imp('node_modules/chart.js/dist/chart.js')] },
        'node_modules/zod/index.js': { imports: [imp('node:fs', { external: true })] },
      },
    },
  ]);
  assert.deepEqual(violations, []);
  assert.equal(files, 6, 'package files are not checked, only ours');
});
