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
 * `workers: 1` (the default), on a pool of local worker processes (pool.ts) with more, and through
 * a Redis queue served by `cmkd worker` processes (queue.ts) with `queue`; the last two need a
 * recipe from which each worker rebuilds the plan's workspace.
 */
import { CmkdError } from '../util/errors.js';
import { throwIfAborted } from '../util/progress.js';
import { cellFingerprint, checkPlan, type Cell, type ExecuteOptions, type Json } from './plan.js';
import { executeOnPool } from './pool.js';
import { executeOnQueue } from './queue.js';
import { stage } from './stages.js';

export * from './plan.js';

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
  if (o.queue && o.recipe) return executeOnQueue(plan, { ...o, queue: o.queue, recipe: o.recipe });
  if ((workers > 1 || o.pool) && o.recipe) return executeOnPool(plan, { ...o, workers, recipe: o.recipe });
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
