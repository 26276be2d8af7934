import path from 'node:path';

// Tests are bundled into dist/test/unit; fixtures stay in the source tree.
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');
export const WORKSPACE = path.join(FIXTURES, 'workspace');
