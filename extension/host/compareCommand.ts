import path from 'node:path';
import * as vscode from 'vscode';
import { listRuns, type RunEntry } from '../core/runs/runFolders';

type Run = Extract<RunEntry, { kind: 'run' }>;

/** A run folder from a command argument: a folder path, or a Runs view node. */
export function runFolderOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg instanceof vscode.Uri) return arg.fsPath;
  const node = arg as { kind?: string; entry?: { folder?: unknown } } | undefined;
  return node?.kind === 'entry' && typeof node.entry?.folder === 'string' ? node.entry.folder : undefined;
}

const describe = (r: Run) => `${r.manifest.mode} · ${r.manifest.cache_policy} · ${r.manifest.workflow} #${r.manifest.repeat}`;

/**
 * The two runs to compare: those given, else picked. The second pick lists first the runs that make a fair pair with
 * the first (same workflow and cache policy, the other mode).
 */
export async function pickRunsToCompare(runsFolder: string | undefined, first?: string, second?: string): Promise<[string, string] | undefined> {
  if (first && second) return [first, second];
  if (!runsFolder) throw new Error('no runs folder: open a folder with a fastbench.json first');
  const runs = (await listRuns(runsFolder)).filter((r): r is Run => r.kind === 'run');
  if (runs.length < 2) throw new Error(`comparing needs two runs; ${runsFolder} has ${runs.length}`);
  const item = (r: Run) => ({ label: describe(r), description: path.basename(r.folder), detail: new Date(r.manifest.started_at).toLocaleString(), run: r });
  let a = runs.find((r) => r.folder === first);
  if (!a) {
    const picked = await vscode.window.showQuickPick(runs.map(item), { title: 'FastBench: Compare Runs (1/2)', placeHolder: 'The first run (left)', matchOnDescription: true });
    if (!picked) return undefined;
    a = picked.run;
  }
  const fair = (r: Run) => r.manifest.workflow === a.manifest.workflow && r.manifest.cache_policy === a.manifest.cache_policy && r.manifest.mode !== a.manifest.mode;
  const others = runs.filter((r) => r.folder !== a.folder).sort((x, y) => Number(fair(y)) - Number(fair(x)));
  const pickedB = await vscode.window.showQuickPick(
    others.map((r) => ({ ...item(r), description: `${fair(r) ? 'same workflow and cache policy, other mode · ' : ''}${path.basename(r.folder)}` })),
    { title: `FastBench: Compare ${describe(a)} with…`, placeHolder: 'The second run (right)', matchOnDescription: true },
  );
  return pickedB ? [a.folder, pickedB.run.folder] : undefined;
}
