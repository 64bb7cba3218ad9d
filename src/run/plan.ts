/**
 * What a plan is made of: cells (JSON descriptions of units of work), what a runner gets, and the
 * checks, fingerprints and error crossings every executor shares (the in-process loop in cells.ts,
 * the worker pool in pool.ts, the Redis queue in queue.ts). See cells.ts for the engine.
 */
import { CmkdError, type CmkdErrorCode } from '../util/errors.js';
import type { ProgressFn } from '../util/progress.js';
import { fingerprintOf, stageName, type StageStore } from './stages.js';

/** A JSON value: what cell inputs and records are made of. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json | undefined };

/**
 * The one crossing between typed values and a plan's JSON (cell inputs, records, recipe options):
 * `asJson` for a value whose type is made of JSON (interfaces lack Json's index signature), `fromJson`
 * for JSON read back as the type it was written as.
 */
export const asJson = <T>(value: T): Json => value as unknown as Json;
export const fromJson = <T>(value: Json | undefined): T => value as unknown as T;

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
  /** Worker processes the caller keeps for several plans (pool.ts `WorkerPool`); with `recipe`, the cells run on them whatever `workers` says. */
  pool?: CellPool;
  /** Cells go to `cmkd worker` processes through this Redis queue (queue.ts); needs `recipe`. */
  queue?: QueueTarget;
  /** How a worker process rebuilds `workspace` and `runners` (see pool.ts); without it the plan runs here. */
  recipe?: WorkspaceRecipe;
}

/** Runs cells somewhere else: a pool of processes, a queue of machines. */
export interface CellExecutor {
  /** The record of `cell`, computed by some worker from the records of its dependencies. */
  run(cell: Cell, deps: Record<string, Json>, outDir: string): Promise<Json>;
  /** Stops waiting (a running cell is abandoned) and releases the executor's resources. */
  close(): Promise<void>;
}

/** Worker processes that outlive one plan (pool.ts `WorkerPool`): each plan gets an executor on them. */
export interface CellPool {
  readonly size: number;
  executor(recipe: WorkspaceRecipe, onProgress: ProgressFn | undefined): CellExecutor;
  close(): Promise<void>;
}

/** Where a plan's cells are queued: a Redis URL (redis:// or rediss://, password and db as ioredis reads them). */
export interface QueueTarget {
  url: string;
  /** How long to wait for Redis when it is unreachable, at the start or mid-run (ms; default 60 s). */
  reconnectMs?: number;
  /** The shared key jobs are signed with (queue.ts jobSignature), for workers that refuse unsigned jobs. */
  key?: string;
  /** Told once (a hint to start `cmkd worker`) when no worker has taken a cell for `idleHintMs` (queue.ts IDLE_HINT_MS). */
  onIdle?: (message: string) => void;
  /** How long cells may wait untaken before onIdle (ms; default IDLE_HINT_MS). */
  idleHintMs?: number;
}

/**
 * A serialisable description of a plan's workspace: `family` names a builder of the workers'
 * table (src/worker/families.ts), `options` is its JSON input. The builder must give the workspace the
 * plan would get in this process (same data, splits, settings), so the records are the same.
 */
export interface WorkspaceRecipe {
  family: string;
  options: Json;
}

/**
 * How a worker process rebuilds a dataset the submitting process built in memory (an
 * experiment's variant of the digits, a simulated dataset): `source` names a dataset builder of
 * the workers' table (src/worker/families.ts), `options` is its JSON input. The builder must give the
 * dataset the submitter has (same rows, same values).
 */
export interface DatasetRecipe {
  source: string;
  options: Json;
}

/** An error crossing the process boundary. */
export interface RemoteError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

/** Runs one cell of a plan whose workspace a builder made from its recipe (worker side: src/worker/pool-entry.ts, queue-entry.ts). */
export type RecipeRunner = (cell: Cell, ctx: Omit<CellContext<unknown>, 'workspace'>) => Promise<Json>;

/** Turns a recipe's options into its plan's cell runner, in a worker (one of the table in src/worker/families.ts). */
export type WorkspaceBuilder = (options: Json, env: { onProgress?: ProgressFn; signal?: AbortSignal }) => Promise<RecipeRunner>;

export function toRemote(err: unknown): RemoteError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, stack: err.stack, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: String(err) };
}

export function fromRemote(e: RemoteError): Error {
  if (e.name === 'CmkdError') return new CmkdError(e.message, (e.code ?? 'invalid-input') as CmkdErrorCode);
  const err: Error & { code?: string } = new Error(e.message);
  err.name = e.name;
  if (e.stack) err.stack = e.stack;
  if (e.code !== undefined) err.code = e.code; // an errno code (ENOSPC) reaches the CLI's writeError
  return err;
}

/** The fingerprint of a cell's stage: the store's settings and the cell's kind and inputs (not the executor). */
export function cellFingerprint(store: StageStore, cell: Cell): string {
  return fingerprintOf({ store: store.fingerprint, kind: cell.kind, inputs: cell.inputs });
}

/** Checks ids are unique, dependencies exist and come earlier, and every kind has a runner. */
export function checkPlan(plan: readonly Cell[], kinds?: readonly string[]): void {
  const seen = new Set<string>();
  const files = new Map<string, string>();
  for (const c of plan) {
    if (seen.has(c.id)) throw new CmkdError(`plan: cell '${c.id}' appears twice`);
    for (const d of c.dependsOn) {
      if (!seen.has(d)) throw new CmkdError(`plan: cell '${c.id}' depends on '${d}', which is not an earlier cell of the plan`);
    }
    if (kinds && !kinds.includes(c.kind)) throw new CmkdError(`plan: no runner for cell kind '${c.kind}' (cell '${c.id}')`);
    const other = files.get(stageName(c.id));
    if (other !== undefined)
      throw new CmkdError(
        `cells '${other}' and '${c.id}' would share the stage file ${stageName(c.id)}.json; rename one (e.g. the modality)`,
      );
    files.set(stageName(c.id), c.id);
    seen.add(c.id);
  }
}
