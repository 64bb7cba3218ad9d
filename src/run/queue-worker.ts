/**
 * A queue worker (`cmkd worker --queue <url>`): takes cells from the Redis queue (queue.ts) one at
 * a time, rebuilds the submitting run's workspace from the job's recipe (kept while the next cells
 * come from the same plan), runs the cell and answers with its record. Any number of workers on
 * any number of machines may serve one queue; each runs one cell at a time on one core.
 *
 * The signal (Ctrl-C) stops the running cell and puts it back on the queue for another worker,
 * then closes. A worker that dies instead stops renewing its lock, and after `lockMs` BullMQ's
 * stalled-job check gives the cell to another worker.
 */
import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { Job } from 'bullmq';
import { initEngine, tf, type BackendChoice } from '../engine/index.js';
import { CmkdError } from '../util/errors.js';
import type { ProgressEvent } from '../util/progress.js';
import type { Json, RecipeRunner, WorkspaceBuilderOf } from './plan.js';
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
  type QueueAnswer,
  type QueueJob,
} from './queue.js';
import { fingerprintOf } from './stages.js';

/** BullMQ's default lock: a worker silent this long has its cell handed to another worker. */
export const LOCK_MS = 30_000;
/** At most one progress update per job in this interval goes to Redis (the last of a task always does). */
const PROGRESS_MS = 250;

export interface QueueWorkerOptions {
  /** Rebuilds a plan's workspace from its recipe (the workers' table, src/worker/families.ts). */
  build: WorkspaceBuilderOf;
  /** The Redis URL the submitter used (`--queue`). */
  url: string;
  /** The TF.js backend to run cells on; cells submitted from another backend are refused. */
  backend?: BackendChoice;
  /** How long a silent worker keeps a cell before another worker takes it (ms, default LOCK_MS). */
  lockMs?: number;
  /** How long to wait for an unreachable Redis at the start (ms, default RECONNECT_MS). */
  reconnectMs?: number;
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

/** The cell's run folder and working folder must exist here: workers share them with the submitter. */
async function checkReachable(data: QueueJob): Promise<void> {
  for (const [what, dir] of [
    ['run folder', data.outDir],
    ['working folder', data.cwd],
  ] as const) {
    const st = await stat(dir).catch(() => null);
    if (!st?.isDirectory())
      throw new CmkdError(
        `the submitter's ${what} ${dir} is not a folder on this worker (${hostname()}); workers must see the run folder and the data at the same paths (one machine or a shared file system)`,
        'unsupported',
      );
  }
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
  const engine = await initEngine(o.backend ? { backend: o.backend } : {});
  const backend = engine.nativePackage ? 'native' : engine.backend;
  const controller = new AbortController();
  const signal = controller.signal;
  let plan: { key: string; runner: Promise<RecipeRunner> } | null = null;
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
    o.onEvent?.({ type: 'started', cell: data.cell.id, label: data.cell.label });
    const started = performance.now();
    try {
      if (data.backend !== backend)
        throw new CmkdError(
          `cell '${data.cell.id}' was submitted from the ${data.backend} backend and this worker runs ${backend} (other numbers): start the worker with --backend ${data.backend}`,
          'unsupported',
        );
      await checkReachable(data);
      process.chdir(data.cwd);
      const key = fingerprintOf(data.recipe);
      if (plan?.key !== key) {
        const runner = o.build(data.recipe, { onProgress, signal });
        plan = { key, runner };
        runner.catch(() => {
          if (plan?.runner === runner) plan = null;
        });
      }
      const deps = decodeJson(data.deps) as Record<string, Json>;
      const record = await (await plan.runner)(data.cell, { outDir: data.outDir, deps, onProgress, signal });
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
      o.onEvent?.({ type: 'failed', cell: data.cell.id, reason });
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
  // A refused password stops the worker at once (retrying cannot cure it); other connection errors are retried, a line each.
  const refused = refusal([worker], o.url, (err) => o.onEvent?.({ type: 'connection', message: err.message }));
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
  o.onEvent?.({ type: 'ready', url: redactUrl(o.url), backend: tf.getBackend() });
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      controller.abort();
      resolve();
    };
    if (o.signal?.aborted) stop();
    else o.signal?.addEventListener('abort', stop, { once: true });
  });
  const running = worker.run().catch(() => undefined);
  try {
    await Promise.race([stopped, refused]);
  } catch (err) {
    controller.abort();
    await shutDown([worker], stop, 0);
    throw err;
  }
  // The running cell stops at its next step and goes back on the queue (see the processor).
  await shutDown([worker], stop, 10_000);
  await running;
}
