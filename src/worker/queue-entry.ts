/**
 * A queue worker (`cmkd worker --queue <url>`): takes cells from the Redis queue (src/run/queue.ts)
 * one at a time, rebuilds the submitting run's workspace from the job's recipe through the workers'
 * static table (families.ts; kept while the next cells come from the same plan), runs the cell and
 * answers with its record. Any number of workers on any number of machines may serve one queue;
 * each runs one cell at a time on one core.
 *
 * The signal (Ctrl-C) stops the running cell and puts it back on the queue for another worker,
 * then closes. A worker that dies instead stops renewing its lock, and after `lockMs` BullMQ's
 * stalled-job check gives the cell to another worker.
 *
 * Whoever can write to Redis can write a job, so a worker trusts none by default: it refuses a job
 * whose run folder or working folder is outside its root, and, given the queue key, one without
 * the submitter's signature (src/run/queue.ts jobSignature) — before anything else of the job is used.
 */
import { existsSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import type { Job } from 'bullmq';
import { isDigitsSpec } from '../data/index.js';
import { initEngine, tf, type BackendChoice } from '../engine/index.js';
import { CmkdError } from '../util/errors.js';
import type { ProgressEvent } from '../util/progress.js';
import type { Json, RecipeRunner } from '../run/plan.js';
import {
  MAX_JOB_BYTES,
  QUEUE_NAME,
  RECONNECT_MS,
  decodeJson,
  encodeJson,
  failureReason,
  queueConnection,
  redactUrl,
  refusal,
  shutDown,
  signedWith,
  type QueueAnswer,
  type QueueJob,
} from '../run/queue.js';
import { fingerprintOf } from '../run/stages.js';
import { buildRecipe } from './families.js';

/** BullMQ's default lock: a worker silent this long has its cell handed to another worker. */
export const LOCK_MS = 30_000;
/** At most one progress update per job in this interval goes to Redis (the last of a task always does). */
const PROGRESS_MS = 250;

export interface QueueWorkerOptions {
  /** The Redis URL the submitter used (`--queue`). */
  url: string;
  /** The TF.js backend to run cells on; cells submitted from another backend are refused. */
  backend?: BackendChoice;
  /** How long a silent worker keeps a cell before another worker takes it (ms, default LOCK_MS). */
  lockMs?: number;
  /** How long to wait for an unreachable Redis at the start (ms, default RECONNECT_MS). */
  reconnectMs?: number;
  /** The folder jobs' run and working folders must be inside (default: the working folder at the start). */
  root?: string;
  /** The shared queue key: jobs without its signature (src/run/queue.ts jobSignature) are refused. None: every job is taken. */
  key?: string;
  /** Stops the worker (Ctrl-C): the running cell goes back on the queue. */
  signal?: AbortSignal;
  /** What the worker does, a line each for the CLI. */
  onEvent?: (event: QueueWorkerEvent) => void;
}

export type QueueWorkerEvent =
  | { type: 'ready'; url: string; backend: string }
  | { type: 'started'; cell: string; label: string }
  | { type: 'done'; cell: string; ms: number }
  | { type: 'failed'; cell: string; reason: string }
  | { type: 'returned'; cell: string }
  | { type: 'connection'; message: string };

/**
 * The cell's run folder and working folder must exist here (workers share them with the
 * submitter) and be inside the worker's root once symbolic links are resolved: a job names the
 * folders the worker writes models into and loads data from, and the queue is only as trusted as
 * whoever can write to Redis.
 */
async function checkFolders(data: QueueJob, root: string): Promise<void> {
  for (const [what, dir] of [
    ['run folder', data.outDir],
    ['working folder', data.cwd],
  ] as const) {
    const real = typeof dir === 'string' && path.isAbsolute(dir) ? await realpath(dir).catch(() => null) : null;
    const st = real === null ? null : await stat(real).catch(() => null);
    if (real === null || !st?.isDirectory())
      throw new CmkdError(
        `the submitter's ${what} ${String(dir)} is not a folder on this worker (${hostname()}); workers must see the run folder and the data at the same paths (one machine or a shared file system)`,
        'unsupported',
      );
    if (!isInside(real, root))
      throw new CmkdError(
        `the submitter's ${what} ${dir} is outside this worker's root ${root} (--root): refused; submit from and into folders under it, or start the worker with a --root above them`,
        'unsupported',
      );
  }
}

function isInside(real: string, root: string): boolean {
  const rel = path.relative(root, real);
  return !(rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel));
}

/**
 * The paths a job's recipe has the worker load from, as the recipe names them: the dataset spec
 * of a run or a sweep (src/run/prepare.ts, src/run/sweep.ts), its label file and digits cache.
 */
function recipePaths(recipe: QueueJob['recipe']): { what: string; value: unknown }[] {
  const o = (typeof recipe?.options === 'object' && recipe.options !== null ? recipe.options : {}) as Record<string, unknown>;
  const load = (typeof o.load === 'object' && o.load !== null ? o.load : {}) as Record<string, unknown>;
  const digits = (typeof load.digits === 'object' && load.digits !== null ? load.digits : {}) as Record<string, unknown>;
  const spec = recipe?.family === 'run' ? o.dataset : recipe?.family === 'sweep' ? o.spec : undefined;
  return [
    { what: 'dataset', value: spec },
    { what: 'label file (--label-file)', value: load.labelFile },
    { what: 'digits cache', value: typeof digits.cache === 'string' ? digits.cache : undefined },
  ];
}

/**
 * The data a job loads must be inside the worker's root too: its dataset spec, label file and cache
 * resolved against the job's working folder, symbolic links resolved ('digits' is built in). A
 * manifest's files are kept inside its folder unless the job allows files outside it, which a
 * worker confined to a root refuses.
 */
async function checkDataPaths(data: QueueJob, root: string): Promise<void> {
  const cwd = await realpath(data.cwd);
  for (const { what, value } of recipePaths(data.recipe)) {
    if (typeof value !== 'string' || value === '') continue;
    const abs = path.resolve(cwd, value);
    if (what === 'dataset' && isDigitsSpec(value) && !existsSync(abs)) continue;
    const real = await realpath(abs).catch(() => abs);
    if (!isInside(real, root))
      throw new CmkdError(
        `the submitter's ${what} ${value} is outside this worker's root ${root} (--root): refused; keep the data under it, or start the worker with a --root above it`,
        'unsupported',
      );
  }
  const load = (data.recipe?.options as { load?: { allowOutside?: unknown } } | undefined)?.load;
  if (load?.allowOutside === true)
    throw new CmkdError(
      `the submitter's dataset is loaded with --allow-outside, which lets a manifest name files outside this worker's root ${root} (--root): refused; move the files into the dataset folder`,
      'unsupported',
    );
}

/** The runner of a recipe's plan, built once per recipe (a failed build is not kept): a worker's cells of one plan share it. */
function recipeRunners(env: { onProgress: (ev: ProgressEvent) => void; signal: AbortSignal }) {
  let plan: { key: string; runner: Promise<RecipeRunner> } | null = null;
  return (recipe: QueueJob['recipe']): Promise<RecipeRunner> => {
    const key = fingerprintOf(recipe);
    if (plan?.key !== key) {
      const runner = buildRecipe(recipe, env);
      plan = { key, runner };
      runner.catch(() => {
        if (plan?.runner === runner) plan = null;
      });
    }
    return plan.runner;
  };
}

/** Waits until the worker reaches the queue; after `o.reconnectMs`, or at a refused password or database, it gives up, shut down. */
async function whenReady(
  worker: { waitUntilReady(): Promise<unknown> } & Parameters<typeof shutDown>[0][number],
  o: QueueWorkerOptions,
  stop: () => void,
  refused: Promise<never>,
): Promise<void> {
  const reconnectMs = o.reconnectMs ?? RECONNECT_MS;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      worker.waitUntilReady(),
      refused,
      new Promise((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new CmkdError(
                `cannot reach the queue at ${redactUrl(o.url)} within ${Math.round(reconnectMs / 1000)} s; is redis-server running there?`,
                'interrupted',
              ),
            ),
          reconnectMs,
        );
      }),
    ]);
  } catch (err) {
    await shutDown([worker], stop, 0);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves when `signal` aborts (at once if it has), aborting `controller`. */
function aborted(signal: AbortSignal | undefined, controller: AbortController): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      controller.abort();
      resolve();
    };
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop, { once: true });
  });
}

/**
 * What a worker checks before it uses anything of a job: the submitter's signature (with a queue
 * key), the backend its numbers come from, and that its folders are reachable and under the root.
 */
async function checkJob(job: Job<QueueJob>, key: string | undefined, backend: string, root: string): Promise<void> {
  const data = job.data;
  if (key !== undefined && !signedWith(data, key))
    throw new CmkdError(
      `${jobName(job)} is not signed with this worker's queue key (--queue-key or CMKD_QUEUE_KEY): refused; the submitter must use the same key`,
      'invalid-option',
    );
  if (data.backend !== backend)
    throw new CmkdError(
      `cell '${data.cell.id}' was submitted from the ${data.backend} backend and this worker runs ${backend} (other numbers): start the worker with --backend ${data.backend}`,
      'unsupported',
    );
  await checkFolders(data, root);
  await checkDataPaths(data, root);
}

/** The worker's root as a real path (by default the folder it was started in). */
async function workerRoot(dir: string | undefined): Promise<string> {
  const root = await realpath(dir ?? process.cwd()).catch(() => null);
  if (root === null || !(await stat(root)).isDirectory())
    throw new CmkdError(`--root ${dir}: not a folder on this worker`, 'invalid-option');
  return root;
}

/**
 * The worker's error events as lines. A job its submitter removed while this worker ran it (the run
 * stopped or was cancelled) makes BullMQ report 'Missing key for job N. moveToFinished' (or
 * moveToFailed), once per attempt to settle it: said once per job, in words. Other errors pass as they are.
 */
export function workerErrors(emit: (message: string) => void): (err: Error) => void {
  const withdrawn = new Set<string>();
  return (err) => {
    const m = /^Missing (?:key|lock) for job (\S+)\. (moveTo\w+)/.exec(err.message);
    if (!m) return emit(err.message);
    if (withdrawn.has(m[1])) return;
    withdrawn.add(m[1]);
    emit(`job ${m[1]} was removed from the queue by its submitter while this worker ran it (the run stopped); its result was dropped`);
  };
}

/** A job's own name for messages: its cell's id when it has one, else the job's id. */
function jobName(job: Job<QueueJob>): string {
  const id = (job.data as Partial<QueueJob> | undefined)?.cell?.id;
  return typeof id === 'string' ? id : `job ${job.id}`;
}

/** Serves the queue at `o.url` until the signal; resolves once the worker has closed. */
export async function serveQueue(o: QueueWorkerOptions): Promise<void> {
  let stopping = false;
  const stop = () => {
    stopping = true;
  };
  const connection = queueConnection(o.url, '--queue', () => stopping);
  // bullmq takes ~0.2 s to import: loaded by the worker, not by every command.
  const { UnrecoverableError, WaitingError, Worker } = await import('bullmq');
  // Resolved now: the worker moves into each job's working folder.
  const root = await workerRoot(o.root);
  const engine = await initEngine(o.backend ? { backend: o.backend } : {});
  const backend = engine.nativePackage ? 'native' : engine.backend;
  const controller = new AbortController();
  const signal = controller.signal;
  const runnerOf = recipeRunners({ onProgress: (ev) => onProgress(ev), signal });
  let current: Job<QueueJob> | null = null;
  let lastProgress = 0;

  const onProgress = (ev: ProgressEvent) => {
    const now = Date.now();
    if (!current || (now - lastProgress < PROGRESS_MS && ev.done < ev.total)) return;
    lastProgress = now;
    current.updateProgress(ev as unknown as Record<string, unknown>).catch(() => undefined);
  };

  const processor = async (job: Job<QueueJob>, token?: string): Promise<QueueAnswer> => {
    const data = job.data;
    current = job;
    const started = performance.now();
    try {
      await checkJob(job, o.key, backend, root);
      o.onEvent?.({ type: 'started', cell: data.cell.id, label: data.cell.label });
      process.chdir(data.cwd);
      const deps = decodeJson(data.deps) as Record<string, Json>;
      const record = await (await runnerOf(data.recipe))(data.cell, { outDir: data.outDir, deps, onProgress, signal });
      const text = encodeJson(record);
      if (text.length > MAX_JOB_BYTES)
        throw new CmkdError(
          `cell '${data.cell.id}' returned a ${text.length}-byte record, over the ${MAX_JOB_BYTES}-byte limit of the queue`,
        );
      const ms = performance.now() - started;
      o.onEvent?.({ type: 'done', cell: data.cell.id, ms });
      return { record: text, ms };
    } catch (err) {
      if (signal.aborted) {
        // Stopped by Ctrl-C, not failed: back on the queue for another worker.
        await job.moveToWait(token);
        o.onEvent?.({ type: 'returned', cell: data.cell.id });
        throw new WaitingError();
      }
      const reason = failureReason(err);
      o.onEvent?.({ type: 'failed', cell: jobName(job), reason });
      // Cells are deterministic: the same inputs fail the same way, so no retry.
      throw new UnrecoverableError(reason);
    } finally {
      current = null;
    }
  };

  const lockMs = o.lockMs ?? LOCK_MS;
  const worker = new Worker<QueueJob, QueueAnswer>(QUEUE_NAME, processor, {
    connection,
    concurrency: 1,
    autorun: false,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    // A cell whose worker died twice is retried once more before the run fails.
    maxStalledCount: 2,
  });
  // A refused password or database stops the worker at once (retrying cannot cure it); other connection errors are retried, a line each.
  const refused = refusal(
    [worker],
    o.url,
    workerErrors((message) => o.onEvent?.({ type: 'connection', message })),
  );
  await whenReady(worker, o, stop, refused);
  o.onEvent?.({ type: 'ready', url: redactUrl(o.url), backend: tf.getBackend() });
  await serveUntil(worker, aborted(o.signal, controller), refused, () => controller.abort(), stop);
}

/**
 * Runs the worker until it is stopped (Ctrl-C: the running cell stops at its next step and goes back
 * on the queue, see the processor) or refused (a password or database; the worker closes at once).
 */
async function serveUntil(
  worker: { run(): Promise<unknown> } & Parameters<typeof shutDown>[0][number],
  stopped: Promise<void>,
  refused: Promise<never>,
  abort: () => void,
  stop: () => void,
): Promise<void> {
  const running = worker.run().catch(() => undefined);
  try {
    await Promise.race([stopped, refused]);
  } catch (err) {
    abort();
    await shutDown([worker], stop, 0);
    throw err;
  }
  await shutDown([worker], stop, 10_000);
  await running;
}
