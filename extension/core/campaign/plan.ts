import type { FastbenchConfig } from '../../shared/config';
import { mulberry32 } from '../../shared/statistics';
import type { CachePolicy, Mode } from '../../shared/names';
import type { WorkflowDefinition, WorkflowStep } from '../../shared/workflow';

export type WorkflowRef = { name: string; replay?: string; batch?: string; markers?: [string, string] };

export type PlanEntry = {
  index: number;
  /** Repeat block (1-based): each block holds every mode × workflow × policy once. */
  block: number;
  mode: Mode;
  policy: CachePolicy;
  workflow: WorkflowRef;
  repeat: number;
  /** Measured like any other run but never compared. */
  warmup: boolean;
};

export function workflowRefs(config: FastbenchConfig): WorkflowRef[] {
  return config.campaign.workflows.map((w) => {
    if (typeof w === 'string') return { name: w };
    if ('batch' in w) return { name: w.name ?? w.batch, batch: w.batch, ...(w.markers ? { markers: w.markers } : {}) };
    return { name: w.name ?? w.replay.replace(/^.*[\\/]/, '').replace(/\.fbrec\.json$/, ''), replay: w.replay };
  });
}

type Unit = { mode: Mode; workflow: WorkflowRef };

/**
 * The campaign's runs in order. Interleaved: each block runs every workflow for both modes, the mode order
 * flipping from block to block (A B, B A, …) so slow drift (thermal, a busy NAS) hits both modes alike; within
 * a unit the Cold run comes first, so the Warm run right after it finds the cache its own workflow warmed.
 * Blocked runs every block of one mode, then the other (the order drift hurts most; for comparison only).
 * Shuffled permutes the units of each block with the seed.
 */
export function buildPlan(config: FastbenchConfig, options: { repeats?: number; firstBlock?: number } = {}): PlanEntry[] {
  const c = config.campaign;
  const repeats = options.repeats ?? c.repeats;
  const firstBlock = options.firstBlock ?? 1;
  const workflows = workflowRefs(config);
  // The same seed gives the same shuffled plan on every machine.
  const random = mulberry32(c.seed);
  const entries: Omit<PlanEntry, 'index'>[] = [];
  const blockUnits = (block: number): Unit[] => {
    const modes = c.order === 'interleaved' && block % 2 === 0 ? [...c.modes].reverse() : c.modes;
    const units = workflows.flatMap((workflow) => modes.map((mode) => ({ mode, workflow })));
    if (c.order === 'shuffled') {
      for (let i = units.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [units[i], units[j]] = [units[j]!, units[i]!];
      }
    }
    return units;
  };
  const push = (unit: Unit, block: number, repeat: number, warmup: boolean) => {
    for (const policy of c.cachePolicies) entries.push({ block, mode: unit.mode, policy, workflow: unit.workflow, repeat, warmup });
  };
  if (c.order === 'blocked') {
    for (const mode of c.modes) {
      for (let b = firstBlock; b < firstBlock + repeats; b++) {
        const units = workflows.map((workflow) => ({ mode, workflow }));
        units.slice(0, c.warmupRuns).forEach((u) => push(u, b, b, true));
        units.forEach((u) => push(u, b, b, false));
      }
    }
  } else {
    for (let b = firstBlock; b < firstBlock + repeats; b++) {
      const units = blockUnits(b);
      units.slice(0, c.warmupRuns).forEach((u) => push(u, b, b, true));
      units.forEach((u) => push(u, b, b, false));
    }
  }
  return entries.map((e, index) => ({ index, ...e }));
}

/** Steps that wait for a render, counted through repeats: the bulk of a workflow's time. */
export function countRenderSteps(steps: WorkflowStep[]): { renders: number; waitMs: number } {
  let renders = 0;
  let waitMs = 0;
  for (const s of steps) {
    if ('repeat' in s) {
      const inner = countRenderSteps(s.steps);
      renders += inner.renders * s.repeat;
      waitMs += inner.waitMs * s.repeat;
    } else if ('waitMs' in s) waitMs += s.waitMs;
    else if ('render' in s && s.render) renders++;
  }
  return { renders, waitMs };
}

/**
 * A rough duration for --dry-run: a launch-to-first-picture and close per run (or what earlier runs of
 * this config measured, when the caller knows it), a quarter second per render wait.
 */
export function estimateSeconds(plan: PlanEntry[], workflows: Record<string, WorkflowDefinition>, perRunOverheadS = 10): number {
  let s = 0;
  for (const e of plan) {
    const def = workflows[e.workflow.name];
    const { renders, waitMs } = def ? countRenderSteps(def.steps) : { renders: 0, waitMs: 60_000 };
    const one = perRunOverheadS + renders * 0.25 + waitMs / 1000;
    s += one;
    // A Warm run that cannot reuse the run before it needs an unmeasured pass first.
    if (e.policy === 'Warm') {
      const prev = plan[e.index - 1];
      if (!prev || prev.mode !== e.mode || prev.workflow.name !== e.workflow.name) s += one;
    }
  }
  return s;
}
