/**
 * The cell engine. A run, a sweep and an experiment are each a *plan*: a list of cells. A cell
 * is a pure, JSON-serialisable description of one unit of work — a kind (which runner executes
 * it), its inputs (names, seeds, settings; never in-memory state), and the cells it depends on.
 * Executing a cell writes its artefacts under the run folder and returns a JSON record.
 *
 * `execute` runs a plan in dependency order, each cell through the fingerprinted, resumable
 * `stage()` (src/run/stages.ts): a resumed plan returns the records of finished cells instead of
 * recomputing them, and refuses a stored record whose inputs differ. Because a cell is data and
 * its record is data, any executor — this in-process loop, a pool of processes, a queue across
 * machines — that runs cells by kind gives the same records. `execute` runs in this process with
 * `workers: 1` (the default) and on a pool of local worker processes (pool.ts) with more, given a
 * recipe from which each worker rebuilds the plan's workspace.
 */
import { CmkdError } from '../util/errors.js';
import { throwIfAborted, type ProgressFn } from '../util/progress.js';
import { executeOnPool } from './pool.js';
import { fingerprintOf, stage, type StageStore } from './stages.js';

/** A JSON value: what cell inputs and records are made of. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json | undefined };

export interface Cell<I extends Json = Json> {
  /** Unique in the plan; names the cell's stage file. */
  id: string;
  /** Which runner executes it. */
  kind: string;
  /** Everything the runner needs besides the shared workspace, as JSON. */
  inputs: I;
  /** Cells whose records this one reads (their ids). */
  dependsOn: string[];
  /** What progress shows while it runs. */
  label: string;
}

export interface CellContext<W> {
  /** What every cell of the plan shares and no cell changes (e.g. the loaded dataset). */
  workspace: W;
  /** The run folder; a cell writes its artefacts below it. */
  outDir: string;
  /** The records of the cells it depends on, by id. */
  deps: Record<string, Json>;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

export type CellRunner<W> = (cell: Cell, ctx: CellContext<W>) => Promise<Json>;

export interface ExecuteOptions<W> {
  workspace: W;
  store: StageStore;
  /** Runners by cell kind. */
  runners: Record<string, CellRunner<W>>;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
  /** Progress task name of the plan (default 'cells'). */
  task?: string;
  /** Called after each cell with its record (also for cells read back), in plan order. */
  onCell?: (cell: Cell, record: Json, reused: boolean) => Promise<void> | void;
  /** Processes running cells: 1 (default) runs them here, one after another; more needs `recipe`. */
  workers?: number;
  /** How a worker process rebuilds `workspace` and `runners` (see pool.ts); without it the plan runs here. */
  recipe?: WorkspaceRecipe;
}

/**
 * A serialisable description of a plan's workspace: `family` names a builder known to the worker
 * entry (src/run/worker.ts), `options` is its JSON input. The builder must give the workspace the
 * plan would get in this process (same data, splits, settings), so the records are the same.
 */
export interface WorkspaceRecipe {
  family: string;
  options: Json;
}

/** The fingerprint of a cell's stage: the store's settings and the cell's kind and inputs (not the executor). */
export function cellFingerprint(store: StageStore, cell: Cell): string {
  return fingerprintOf({ store: store.fingerprint, kind: cell.kind, inputs: cell.inputs });
}

/** Checks ids are unique, dependencies exist and come earlier, and every kind has a runner. */
export function checkPlan(plan: readonly Cell[], kinds?: readonly string[]): void {
  const seen = new Set<string>();
  for (const c of plan) {
    if (seen.has(c.id)) throw new CmkdError(`plan: cell '${c.id}' appears twice`);
    for (const d of c.dependsOn) {
      if (!seen.has(d)) throw new CmkdError(`plan: cell '${c.id}' depends on '${d}', which is not an earlier cell of the plan`);
    }
    if (kinds && !kinds.includes(c.kind)) throw new CmkdError(`plan: no runner for cell kind '${c.kind}' (cell '${c.id}')`);
    seen.add(c.id);
  }
}

/**
 * Runs `plan` (dependencies first), each cell as a stage named by its id whose fingerprint covers
 * the store's settings and the cell's inputs. Returns every record by id, in plan order. With
 * `workers` > 1 and a `recipe`, cells run on a pool of worker processes as their dependencies
 * finish; the records, stage files and fingerprints are those of the sequential run.
 */
export async function execute<W>(plan: readonly Cell[], o: ExecuteOptions<W>): Promise<Map<string, Json>> {
  const workers = o.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1)
    throw new CmkdError(`workers must be a positive integer (got ${workers})`, 'invalid-option');
  if (workers > 1 && o.recipe) return executeOnPool(plan, { ...o, workers, recipe: o.recipe });
  checkPlan(plan, Object.keys(o.runners));
  const records = new Map<string, Json>();
  const task = o.task ?? 'cells';
  let done = 0;
  o.onProgress?.({ task, done, total: plan.length });
  for (const cell of plan) {
    throwIfAborted(o.signal);
    o.onProgress?.({ task, done, total: plan.length, detail: cell.label });
    const reusedBefore = o.store.reused.length;
    const deps = Object.fromEntries(cell.dependsOn.map((d) => [d, records.get(d) as Json]));
    const record = await stage(
      o.store,
      cell.id,
      () =>
        o.runners[cell.kind](cell, { workspace: o.workspace, outDir: o.store.runDir, deps, onProgress: o.onProgress, signal: o.signal }),
      cellFingerprint(o.store, cell),
    );
    records.set(cell.id, record);
    done++;
    await o.onCell?.(cell, record, o.store.reused.length > reusedBefore);
    o.onProgress?.({ task, done, total: plan.length, detail: cell.label });
  }
  return records;
}
