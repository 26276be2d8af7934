import type { FastbenchConfig } from '../../shared/config';

export type PathRule = FastbenchConfig['pathRules'][number];
export type StorageClass = PathRule['class'];

/**
 * Classifies a path by the config's pathRules: the longest matching prefix wins, so a FAST cache folder
 * inside a local disk rule is still FAST_cache. Windows paths compare case-insensitively with either
 * slash; NT device paths (\Device\Mup\nas\share\…) and \\?\UNC\ compare as the UNC path they name.
 * No rule matched: "other".
 */
export function pathClassifier(rules: readonly PathRule[], windows = process.platform === 'win32'): (path: string) => StorageClass {
  const norm = (p: string) => {
    if (!windows) return p;
    let s = p.replace(/\//g, '\\').toLowerCase();
    s = s
      .replace(/^\\device\\mup\\/, '\\\\')
      .replace(/^\\\\\?\\unc\\/, '\\\\')
      .replace(/^\\\\\?\\/, '');
    return s;
  };
  const sorted = rules.map((r) => ({ cls: r.class, prefix: norm(r.prefix) })).sort((a, b) => b.prefix.length - a.prefix.length);
  return (path) => {
    const p = norm(path);
    return sorted.find((r) => p.startsWith(r.prefix))?.cls ?? 'other';
  };
}
