import type { FastbenchConfig } from '../../shared/config';
import { comparableWindowsPath, NO_DRIVES, type DriveMap } from './windowsPaths';

export type PathRule = FastbenchConfig['pathRules'][number];
export type StorageClass = PathRule['class'];

/**
 * Classifies a path by the config's pathRules: the longest matching prefix wins, so a FAST cache folder
 * inside a local disk rule is still FAST_cache. A prefix matches whole names only ("\\nas\seis" is not a prefix of
 * "\\nas\seismic"). On Windows both sides are first brought to one spelling (canonicalWindowsPath: NT device paths,
 * \\?\ and \??\ forms, UNC, and mapped drive letters through `drives`) and compared case-insensitively, so a rule
 * written as Z:\vol\ matches the \Device\Mup\;LanmanRedirector\;Z:…\nas\share\vol\… a handle names.
 * No rule matched: "other".
 */
export function pathClassifier(rules: readonly PathRule[], windows = process.platform === 'win32', drives: DriveMap = NO_DRIVES): (path: string) => StorageClass {
  const norm = windows ? (p: string) => comparableWindowsPath(p, drives) : (p: string) => p;
  const sep = windows ? '\\' : '/';
  const sorted = rules.map((r) => ({ cls: r.class, prefix: norm(r.prefix) })).sort((a, b) => b.prefix.length - a.prefix.length);
  const under = (p: string, prefix: string) => p.startsWith(prefix) && (p.length === prefix.length || prefix.endsWith(sep) || p[prefix.length] === sep);
  return (path) => {
    const p = norm(path);
    return sorted.find((r) => under(p, r.prefix))?.cls ?? 'other';
  };
}
