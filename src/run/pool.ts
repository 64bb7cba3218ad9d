/**
 * A pool of local worker processes for a plan: `execute` (cells.ts) with `workers` > 1. TF.js
 * wasm trains on one core per process, so N processes use N cores. Each worker is a forked Node
 * process (worker.ts) that rebuilds the plan's workspace from a JSON recipe once, then runs the
 * cells it is sent one at a time and returns their records.
 *
 * The parent keeps the stage store: it schedules a cell once its dependencies have records, runs
 * it through the same `stage()` with the same fingerprint as the sequential executor (so a run
 * finished on 2 workers resumes on 1 and the other way round), and writes stages/<id>.json when
 * the worker returns the record. Ctrl-C (the signal) stops the scheduling and the workers
 * (killed if they do not exit within a moment); a worker that dies mid-cell fails the run naming
 * the cell. Either way the finished cells stay on disk for --resume.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tf } from '../engine/index.js';
import { CmkdError, type CmkdErrorCode } from '../util/errors.js';
import { throwIfAborted, type ProgressEvent, type ProgressFn } from '../util/progress.js';
import { cellFingerprint, checkPlan, type Cell, type CellContext, type ExecuteOptions, type Json, type WorkspaceRecipe } from './plan.js';
import { stage } from './stages.js';

/** How long a stopped worker may take to exit before it is killed. */
const STOP_GRACE_MS = 3000;

/** Messages from the parent to a worker. */
export type ToWorker =
  { type: 'init'; recipe: WorkspaceRecipe } | { type: 'run'; cell: Cell; deps: Record<string, Json>; outDir: string } | { type: 'stop' };

/** Messages from a worker to the parent. */
export type FromWorker =
  | { type: 'progress'; event: ProgressEvent }
  | { type: 'done'; id: string; record: Json }
  | { type: 'failed'; id: string; error: RemoteError };

/** An error crossing the process boundary. */
export interface RemoteError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

/** Runs one cell of a plan whose workspace a builder made from its recipe (worker side). */
export type RecipeRunner = (cell: Cell, ctx: Omit<CellContext<unknown>, 'workspace'>) => Promise<Json>;

/** Turns a recipe's options into its plan's cell runner, in a worker (see worker.ts). */
export type WorkspaceBuilder = (options: Json, env: { onProgress?: ProgressFn; signal?: AbortSignal }) => Promise<RecipeRunner>;

export function toRemote(err: unknown): RemoteError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, stack: err.stack, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: String(err) };
}

function fromRemote(e: RemoteError): Error {
  if (e.name === 'CmkdError') return new CmkdError(e.message, (e.code ?? 'invalid-input') as CmkdErrorCode);
  const err = new Error(e.message);
  err.name = e.name;
  if (e.stack) err.stack = e.stack;
  return err;
}

function interrupted(): Error {
  const err = new Error('interrupted');
  err.name = 'AbortError';
  return err;
}

/**
 * The worker entry and the Node flags to start it: dist/run/worker.js in the built package; under
 * vitest (this module is a .ts source) src/run/worker.ts with hooks that let Node load TypeScript.
 */
function workerEntry(): { file: string; execArgv: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const hooks = new URL('./ts-hooks.mjs', here).href;
    const register = `data:text/javascript,import{register}from"node:module";register(${JSON.stringify(hooks)})`;
    return { file: fileURLToPath(new URL('./worker.ts', here)), execArgv: ['--import', register] };
  }
  return { file: fileURLToPath(new URL('./worker.js', here)), execArgv: process.execArgv };
}

interface Slot {
  child: ChildProcess;
  busy?: { cell: Cell; resolve: (record: Json) => void; reject: (err: Error) => void };
  /** The end of the worker's stderr, for the error when it dies. */
  stderr: string;
  exited: Promise<void>;
  gone: boolean;
}

class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly idle: Slot[] = [];
  private readonly waiting: { resolve: (slot: Slot) => void; reject: (err: Error) => void }[] = [];
  private closing = false;

  constructor(
    private readonly size: number,
    private readonly recipe: WorkspaceRecipe,
    private readonly onProgress: ProgressFn | undefined,
  ) {}

  async run(cell: Cell, deps: Record<string, Json>, outDir: string): Promise<Json> {
    const slot = await this.acquire();
    if (slot.gone) throw new CmkdError(`worker process ended before it could run cell '${cell.id}'`, 'interrupted');
    return new Promise<Json>((resolve, reject) => {
      slot.busy = { cell, resolve, reject };
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

  private acquire(): Promise<Slot> {
    if (this.closing) return Promise.reject(interrupted());
    const free = this.idle.pop();
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
        new CmkdError(
          `worker process ${why} while running cell '${busy.cell.id}'${last ? ` (${last})` : ''}; finished cells are kept: --resume continues the run`,
          'interrupted',
        ),
      );
    };
    child.once('exit', (code, signal) => end(signal ? `was killed by ${signal}` : `exited with code ${code}`));
    child.once('error', (err) => end(`failed (${err.message})`));
    this.slots.push(slot);
    this.send(slot, { type: 'init', recipe: this.recipe });
    return slot;
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    if (m.type === 'progress') {
      if (!this.closing) this.onProgress?.(m.event);
      return;
    }
    const busy = slot.busy;
    if (!busy || busy.cell.id !== m.id) return;
    this.release(slot);
    if (m.type === 'done') busy.resolve(m.record);
    else busy.reject(fromRemote(m.error));
  }
}

/**
 * `execute` on `workers` processes: every cell whose dependencies have records is started, in plan
 * order, as a stage whose computation waits for a free worker. Records come back in plan order;
 * `onCell` is called in plan order as the finished prefix of the plan grows.
 */
export async function executeOnPool<W>(
  plan: readonly Cell[],
  o: ExecuteOptions<W> & { workers: number; recipe: WorkspaceRecipe },
): Promise<Map<string, Json>> {
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
  // Workers start when a cell needs computing: a resumed, finished plan forks none.
  const pool = new WorkerPool(o.workers, o.recipe, o.onProgress);
  const onAbort = () => void pool.close();
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
        return pool.run(cell, deps, o.store.runDir);
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
    await pool.close();
    await Promise.all(running.values());
  }
  return new Map(plan.map((c) => [c.id, records.get(c.id) as Json]));
}
