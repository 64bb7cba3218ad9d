/**
 * Sequential splits (src/run/decide.ts): a plan that grows look by look, shared by the main job
 * and the sweep. A look runs only the cells it adds; every record stays available by id.
 */
import type { ProgressFn } from '../util/progress.js';
import type { Cell, Json } from './cells.js';

/** The splits from `from` up to R − 1. */
export const range = (R: number, from = 0): number[] => Array.from({ length: R - from }, (_, i) => from + i);

/** Runs a plan's cells where the plan's options say, reporting progress. */
export type PlanExecutor = (cells: readonly Cell[], onProgress: ProgressFn | undefined) => Promise<Map<string, Json>>;

/**
 * A plan that grows while it runs: `run` executes the given cells not run yet, `done` holds every
 * record by id, and the progress of `task` counts over every look (done of all planned so far).
 */
export function growingPlan(execute: PlanExecutor, onProgress: ProgressFn | undefined, task: string) {
  const done = new Map<string, Json>();
  let planned = 0;
  const run = async (cells: readonly Cell[]): Promise<void> => {
    const fresh = cells.filter((c) => !done.has(c.id));
    if (!fresh.length) return;
    const offset = planned;
    planned += fresh.length;
    const progress: ProgressFn | undefined =
      onProgress && ((ev) => onProgress(ev.task === task ? { ...ev, done: ev.done + offset, total: planned } : ev));
    for (const [id, rec] of await execute(fresh, progress)) done.set(id, rec);
  };
  return { done, run };
}
