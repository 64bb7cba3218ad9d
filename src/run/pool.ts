/**
 * A pool of local worker processes for a plan: `execute` (cells.ts) with `workers` > 1. TF.js
 * wasm trains on one core per process, so N processes use N cores. Each worker is a forked Node
 * process (src/worker/pool-entry.ts) that rebuilds the plan's workspace from a JSON recipe once,
 * then runs the cells it is sent one at a time and returns their records. The entry sits at the top
 * of the stack with the static table of every plan family (src/worker/families.ts); this module
 * only names its file to fork it, so nothing here imports upward and nothing needs registering.
 *
 * The parent keeps the stage store and schedules cells (schedule.ts): a run finished on 2 workers
 * resumes on 1 and the other way round. Ctrl-C (the signal) stops the scheduling and the workers
 * (killed if they do not exit within a moment). A worker that dies mid-cell is replaced and the
 * cell run again; a second death fails the run naming the cell. Either way the finished cells stay
 * on disk for --resume.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tf } from '../engine/index.js';
import { CmkdError } from '../util/errors.js';
import { interrupted, type ProgressEvent, type ProgressFn } from '../util/progress.js';
import {
  fromRemote,
  type Cell,
  type CellExecutor,
  type CellPool,
  type ExecuteOptions,
  type Json,
  type RemoteError,
  type WorkspaceRecipe,
} from './plan.js';
import { executeScheduled } from './schedule.js';

/** How long a stopped worker may take to exit before it is killed. */
const STOP_GRACE_MS = 3000;
/** Runs of a cell whose worker died mid-cell before the run fails (a second death is likely the cell's own, e.g. memory). */
const ATTEMPTS = 2;

/** A worker process ended while running a cell. */
class WorkerDied extends CmkdError {
  constructor(message: string) {
    super(message, 'interrupted');
  }
}

/** Messages from the parent to a worker. */
export type ToWorker =
  { type: 'init'; recipe: WorkspaceRecipe } | { type: 'run'; cell: Cell; deps: Record<string, Json>; outDir: string } | { type: 'stop' };

/** Messages from a worker to the parent. */
export type FromWorker =
  | { type: 'progress'; event: ProgressEvent }
  | { type: 'done'; id: string; record: Json }
  | { type: 'failed'; id: string; error: RemoteError };

/**
 * The worker entry and the Node flags to start it: dist/worker/pool-entry.js in the built package;
 * under vitest (this module is a .ts source) src/worker/pool-entry.ts with hooks that let Node load TypeScript.
 */
function workerEntry(): { file: string; execArgv: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const hooks = new URL('./ts-hooks.mjs', here).href;
    const register = `data:text/javascript,import{register}from"node:module";register(${JSON.stringify(hooks)})`;
    return { file: fileURLToPath(new URL('../worker/pool-entry.ts', here)), execArgv: ['--import', register] };
  }
  return { file: fileURLToPath(new URL('../worker/pool-entry.js', here)), execArgv: process.execArgv };
}

/** One plan on the pool: how its workers rebuild its workspace, and where its progress goes. */
interface PlanOnPool {
  recipe: WorkspaceRecipe;
  /** The recipe as JSON: a worker that last built this one keeps its workspace. */
  key: string;
  onProgress: ProgressFn | undefined;
}

interface Slot {
  child: ChildProcess;
  busy?: { cell: Cell; plan: PlanOnPool; resolve: (record: Json) => void; reject: (err: Error) => void };
  /** The key of the recipe whose workspace the worker holds (sent 'init' with). */
  built?: string;
  /** The end of the worker's stderr, for the error when it dies. */
  stderr: string;
  exited: Promise<void>;
  gone: boolean;
}

/**
 * Worker processes that run the cells of one plan after another: a caller with several plans (a
 * run's models then its distillation; the verdicts experiment's runs) starts them once
 * (`planPool`) instead of once per plan. A worker rebuilds the workspace when a cell comes
 * from another recipe than the last it built. Workers start when a cell needs computing.
 */
export class WorkerPool implements CellPool {
  private readonly slots: Slot[] = [];
  private readonly idle: Slot[] = [];
  private readonly waiting: { resolve: (slot: Slot) => void; reject: (err: Error) => void }[] = [];
  private closing = false;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new CmkdError(`workers must be a positive integer (got ${size})`, 'invalid-option');
  }

  /**
   * The executor of one plan on this pool. Closing it while its cells run (a failed cell, Ctrl-C)
   * closes the pool, abandoning them; closing it after its last cell leaves the pool to the next plan.
   */
  executor(recipe: WorkspaceRecipe, onProgress: ProgressFn | undefined): CellExecutor {
    const plan: PlanOnPool = { recipe, key: JSON.stringify(recipe), onProgress };
    let running = 0;
    return {
      run: async (cell, deps, outDir) => {
        running++;
        try {
          return await this.run(plan, cell, deps, outDir);
        } finally {
          running--;
        }
      },
      close: async () => {
        if (running > 0) await this.close();
      },
    };
  }

  /** Runs `cell` on a worker; a worker that dies mid-cell (killed, out of memory) gets it run again on a new one, up to ATTEMPTS runs. */
  private async run(plan: PlanOnPool, cell: Cell, deps: Record<string, Json>, outDir: string): Promise<Json> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.runOnce(plan, cell, deps, outDir);
      } catch (err) {
        if (!(err instanceof WorkerDied) || this.closing || attempt >= ATTEMPTS) throw err;
      }
    }
  }

  private async runOnce(plan: PlanOnPool, cell: Cell, deps: Record<string, Json>, outDir: string): Promise<Json> {
    const slot = await this.acquire(plan.key);
    if (slot.gone) throw new CmkdError(`worker process ended before it could run cell '${cell.id}'`, 'interrupted');
    return new Promise<Json>((resolve, reject) => {
      slot.busy = { cell, plan, resolve, reject };
      if (slot.built !== plan.key) {
        this.send(slot, { type: 'init', recipe: plan.recipe });
        slot.built = plan.key;
      }
      this.send(slot, { type: 'run', cell, deps, outDir });
    });
  }

  /** Stops every worker (a running cell is abandoned) and waits until they have exited. */
  async close(): Promise<void> {
    this.closing = true;
    for (const w of this.waiting.splice(0)) w.reject(interrupted());
    const live = this.slots.filter((s) => !s.gone);
    for (const s of live) this.send(s, { type: 'stop' });
    await Promise.all(
      live.map(async (s) => {
        const timer = setTimeout(() => s.child.kill('SIGKILL'), STOP_GRACE_MS);
        await s.exited;
        clearTimeout(timer);
      }),
    );
  }

  /** An idle worker, preferably one holding the workspace of `key`; a new one while the pool is below its size. */
  private acquire(key: string): Promise<Slot> {
    if (this.closing) return Promise.reject(interrupted());
    const same = this.idle.findIndex((s) => s.built === key);
    const free = same >= 0 ? this.idle.splice(same, 1)[0] : this.idle.pop();
    if (free) return Promise.resolve(free);
    if (this.slots.filter((s) => !s.gone).length < this.size) return Promise.resolve(this.spawn());
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private release(slot: Slot): void {
    slot.busy = undefined;
    if (this.closing || slot.gone) return;
    const next = this.waiting.shift();
    if (next) next.resolve(slot);
    else this.idle.push(slot);
  }

  private send(slot: Slot, message: ToWorker): void {
    if (slot.gone || !slot.child.connected) return;
    // A worker that has just died cannot take the message; its exit reports the cell.
    slot.child.send(message, () => undefined);
  }

  private spawn(): Slot {
    const { file, execArgv } = workerEntry();
    // 'advanced' serialisation: records cross as structured clones (NaN stays NaN, as in-process).
    // The parent's TF.js backend (e.g. cmkd cch --backend cpu): another backend would give other numbers.
    const backend = tf.getBackend() === 'tensorflow' ? 'native' : tf.getBackend();
    const env = backend ? { ...process.env, CMKD_BACKEND: backend } : process.env;
    const child = fork(file, [], { execArgv, env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
    let exited!: () => void;
    const slot: Slot = { child, stderr: '', gone: false, exited: new Promise<void>((r) => (exited = r)) };
    child.stderr?.on('data', (chunk: Buffer) => {
      slot.stderr = (slot.stderr + chunk.toString()).slice(-4000);
    });
    child.on('message', (m: FromWorker) => this.onMessage(slot, m));
    const end = (why: string) => {
      if (slot.gone) return;
      slot.gone = true;
      exited();
      const i = this.idle.indexOf(slot);
      if (i >= 0) this.idle.splice(i, 1);
      const busy = slot.busy;
      slot.busy = undefined;
      if (!busy) return;
      if (this.closing) return busy.reject(interrupted());
      const last = slot.stderr
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('Node.js v'))
        .pop();
      busy.reject(
        new WorkerDied(
          `worker process ${why} while running cell '${busy.cell.id}'${last ? ` (${last})` : ''}; finished cells are kept: --resume continues the run`,
        ),
      );
      // A cell waiting for a worker gets a new one in place of the dead.
      const next = this.closing ? undefined : this.waiting.shift();
      if (next) next.resolve(this.spawn());
    };
    child.once('exit', (code, signal) => end(signal ? `was killed by ${signal}` : `exited with code ${code}`));
    child.once('error', (err) => end(`failed (${err.message})`));
    this.slots.push(slot);
    return slot;
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    if (m.type === 'progress') {
      if (!this.closing) slot.busy?.plan.onProgress?.(m.event);
      return;
    }
    const busy = slot.busy;
    if (!busy || busy.cell.id !== m.id) return;
    this.release(slot);
    if (m.type === 'done') busy.resolve(m.record);
    else busy.reject(fromRemote(m.error));
  }
}

/** `execute` on `workers` local processes, or on the caller's `pool` (see schedule.ts for the order cells run in). */
export async function executeOnPool<W>(
  plan: readonly Cell[],
  o: ExecuteOptions<W> & { workers: number; recipe: WorkspaceRecipe },
): Promise<Map<string, Json>> {
  const run = (pool: CellPool) => executeScheduled(plan, o, pool.executor(o.recipe, o.onProgress));
  if (o.pool) return run(o.pool);
  const pool = new WorkerPool(o.workers);
  try {
    return await run(pool);
  } finally {
    await pool.close();
  }
}

/**
 * Runs `f` with the pool a caller with several plans (a run's models, then its distillation; the
 * verdicts experiment's runs) keeps for all of them: its own when it was given one, else a new one
 * when more than one worker is asked and no queue takes the cells (workers start only when a cell
 * needs one), stopped when `f` ends, else none.
 */
export async function withPool<T>(
  o: { workers?: number; pool?: CellPool; queue?: unknown },
  f: (pool?: CellPool) => Promise<T>,
): Promise<T> {
  if (o.pool || o.queue || !(Number.isInteger(o.workers) && o.workers! > 1)) return f(o.pool);
  const pool = new WorkerPool(o.workers!);
  try {
    return await f(pool);
  } finally {
    await pool.close();
  }
}
