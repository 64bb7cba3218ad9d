/**
 * What the experiments' plans share. Each experiment is a plan of cells (src/run/cells.ts) run
 * by `execute` with a stage store in its run folder: every finished cell is kept in
 * <outDir>/stages/<cell>.json, and a run with `resume` reads finished cells back instead of
 * recomputing them (refusing cells stored under other settings).
 */
import { execute, type Cell, type CellRunner, type ExecuteOptions, type Json, type WorkspaceBuilder } from '../run/cells.js';
import { fingerprintOf, type StageStore } from '../run/stages.js';
import { VERSION } from '../version.js';
import type { ProgressFn } from '../util/progress.js';
import type { ExperimentContext } from './types.js';

/** The stage store of an experiment's run folder; `settings` are what its cells' results depend on. */
export function experimentStore(experiment: string, outDir: string, settings: unknown, resume = false): StageStore {
  return { runDir: outDir, fingerprint: fingerprintOf({ experiment, settings, version: VERSION }), resume, reused: [] };
}

/** Progress task of an experiment's cells (the experiment's own task reports its result rows). */
export function cellsTask(experiment: string): string {
  return `${experiment} cells`;
}

/**
 * A cell record as computed: a record read back from its stage file holds null where the
 * computed one held NaN (JSON has no NaN), so nulls are read as NaN.
 */
export function withNaN<T>(record: Json): T {
  const revive = (v: Json | undefined): unknown =>
    v === null
      ? Number.NaN
      : Array.isArray(v)
        ? v.map(revive)
        : typeof v === 'object' && v !== undefined
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revive(x)]))
          : v;
  return revive(record) as T;
}

/**
 * What runs an experiment's cells (`ctx.workers`, `ctx.queue`) with what a worker process needs to
 * rebuild its workspace: the recipe is the experiment's name and its settings (the resolved
 * options without the run folder), which its builder in the workers' table (src/worker/families.ts)
 * turns into the workspace through the function the experiment's run uses.
 */
export function experimentExecutor(
  experiment: string,
  settings: unknown,
  ctx: ExperimentContext,
): Pick<ExecuteOptions<unknown>, 'workers' | 'queue' | 'recipe'> {
  return {
    workers: ctx.workers,
    queue: ctx.queue,
    recipe: { family: experiment, options: settings as Json },
  };
}

/**
 * Runs an experiment's plan in its run folder (stage store, progress task) and keeps every cell's
 * record, revived (withNaN), in the returned map; `onRecord` sees the map after each cell, in
 * plan order, e.g. to write a result row once its last cell is in. The cells run where
 * `ctx.workers` / `ctx.queue` say (experimentExecutor): `settings` is also the workspace's recipe.
 */
export async function executeExperiment<W>(
  experiment: string,
  plan: readonly Cell[],
  o: { workspace: W; runners: Record<string, CellRunner<W>>; outDir: string; settings: unknown },
  ctx: ExperimentContext,
  onRecord?: (cell: Cell, records: Map<string, Json>) => Promise<void> | void,
): Promise<Map<string, Json>> {
  const records = new Map<string, Json>();
  await execute(plan, {
    workspace: o.workspace,
    store: experimentStore(experiment, o.outDir, o.settings, ctx.resume),
    runners: o.runners,
    task: cellsTask(experiment),
    onProgress: ctx.onProgress,
    signal: ctx.signal,
    ...experimentExecutor(experiment, o.settings, ctx),
    onCell: async (cell, record) => {
      records.set(cell.id, withNaN(record));
      await onRecord?.(cell, records);
    },
  });
  return records;
}

/**
 * The workers' builder of an experiment's plan (in the table of src/worker/families.ts): `workspace` makes the
 * workspace from the recipe's settings — the function the experiment's run builds it with — and
 * each cell runs on it through the experiment's runners.
 */
export function recipeBuilder<S, W>(
  runners: Record<string, CellRunner<W>>,
  workspace: (settings: S, env: { onProgress?: ProgressFn; signal?: AbortSignal }) => Promise<W>,
): WorkspaceBuilder {
  return async (options, env) => {
    const w = await workspace(options as unknown as S, env);
    return (cell, ctx) => runners[cell.kind](cell, { ...ctx, workspace: w });
  };
}
