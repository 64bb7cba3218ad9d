/**
 * The scheduler every multi-process executor shares (the local pool in pool.ts, the Redis queue in
 * queue.ts): it keeps the stage store in this process, starts every cell whose dependencies have
 * records, in plan order, as a stage whose computation the executor carries out elsewhere, and
 * writes stages/<id>.json when the record comes back — through the same `stage()` and fingerprint
 * as the sequential loop in cells.ts, so a plan finished by one executor resumes on any other.
 */
import { throwIfAborted } from '../util/progress.js';
import { cellFingerprint, checkPlan, type Cell, type CellExecutor, type ExecuteOptions, type Json } from './plan.js';

export type { CellExecutor } from './plan.js';
import { stage } from './stages.js';

/**
 * Runs `plan` on `executor`: cells start as soon as their dependencies have records. Records come
 * back in plan order; `onCell` is called in plan order as the finished prefix of the plan grows.
 * The signal stops the scheduling and closes the executor; a failed cell fails the plan. Either
 * way finished cells stay on disk for --resume.
 */
export async function executeScheduled<W>(plan: readonly Cell[], o: ExecuteOptions<W>, executor: CellExecutor): Promise<Map<string, Json>> {
  checkPlan(plan, Object.keys(o.runners));
  throwIfAborted(o.signal);
  const task = o.task ?? 'cells';
  const total = plan.length;
  const records = new Map<string, Json>();
  const reused = new Set<string>();
  const started = new Set<string>();
  const running = new Map<string, Promise<void>>();
  let failure: unknown = null;
  let done = 0;
  let reported = 0;
  o.onProgress?.({ task, done, total });
  const onAbort = () => void executor.close();
  o.signal?.addEventListener('abort', onAbort, { once: true });

  const startReady = () => {
    for (const cell of plan) {
      if (failure !== null || o.signal?.aborted) return;
      if (started.has(cell.id) || !cell.dependsOn.every((d) => records.has(d))) continue;
      started.add(cell.id);
      o.onProgress?.({ task, done, total, detail: cell.label });
      const deps = Object.fromEntries(cell.dependsOn.map((d) => [d, records.get(d) as Json]));
      let computed = false;
      const compute = () => {
        computed = true;
        return executor.run(cell, deps, o.store.runDir);
      };
      const settled = stage(o.store, cell.id, compute, cellFingerprint(o.store, cell)).then(
        (record) => {
          records.set(cell.id, record);
          if (!computed) reused.add(cell.id);
          done++;
          o.onProgress?.({ task, done, total, detail: cell.label });
        },
        (err: unknown) => {
          failure ??= err;
        },
      );
      running.set(
        cell.id,
        settled.finally(() => running.delete(cell.id)),
      );
    }
  };

  try {
    startReady();
    while (running.size > 0 && failure === null && !o.signal?.aborted) {
      await Promise.race(running.values());
      for (; reported < plan.length && records.has(plan[reported].id); reported++) {
        const cell = plan[reported];
        await o.onCell?.(cell, records.get(cell.id) as Json, reused.has(cell.id));
      }
      startReady();
    }
    throwIfAborted(o.signal);
    if (failure !== null) throw failure;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    await executor.close();
    await Promise.all(running.values());
  }
  return new Map(plan.map((c) => [c.id, records.get(c.id) as Json]));
}
