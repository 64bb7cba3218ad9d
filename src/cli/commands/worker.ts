import path from 'node:path';
import type { Command } from 'commander';
import { queueConnection } from '../../run/index.js';
// Serves every plan family of the workers' table: `cmkd run`, `cmkd sweep` and `cmkd experiment --queue`.
import { LOCK_MS, serveQueue, type QueueWorkerEvent } from '../../worker/queue-entry.js';
import { interruptSignal } from '../common.js';
import { addBackendFlag, addQuietFlag, backendOption, numberOption, QUEUE_KEY_HELP, queueKeyOption, range, RANGES } from '../options.js';

interface WorkerFlags {
  queue: string;
  queueKey?: string;
  root: string;
  backend?: string;
  lockSeconds: string;
  quiet?: boolean;
}

function describe(e: QueueWorkerEvent): string {
  switch (e.type) {
    case 'ready':
      return `worker ready: queue ${e.url}, backend ${e.backend}; Ctrl-C stops it`;
    case 'started':
      return `started ${e.cell} (${e.label})`;
    case 'done':
      return `done ${e.cell} in ${(e.ms / 1000).toFixed(1)} s`;
    case 'failed':
      return `failed ${e.cell}: ${e.reason}`;
    case 'returned':
      return `put ${e.cell} back on the queue`;
    case 'connection':
      return `queue connection: ${e.message}`;
  }
}

export function register(program: Command): void {
  addQuietFlag(
    addBackendFlag(
      program
        .command('worker')
        .description('run the cells of `cmkd run|cch|sweep|experiment --queue` from a Redis queue, one at a time, until Ctrl-C')
        .requiredOption('--queue <url>', 'the Redis URL the runs are submitted to, e.g. redis://host:6379/0 (rediss:// for TLS)')
        .option(
          '--root <dir>',
          "the folder this worker is confined to: jobs whose run folder or submitter's working folder is outside it are refused",
          '.',
        )
        .option('--queue-key <key>', QUEUE_KEY_HELP)
        .option(
          '--lock-seconds <s>',
          `how long this worker's cell stays locked without a sign of life before another worker takes it over ${range(RANGES.lockSeconds)}`,
          String(LOCK_MS / 1000),
        ),
      "; must be the submitter's",
    ),
    'no progress on stderr: print only failures and connection problems',
  ).action(async (f: WorkerFlags) => {
    queueConnection(f.queue);
    const key = queueKeyOption(f.queueKey);
    const backend = backendOption(f);
    const lockMs = (numberOption('--lock-seconds', f.lockSeconds, RANGES.lockSeconds) ?? LOCK_MS / 1000) * 1000;
    // SIGTERM and SIGHUP too: a worker is a service, stopped by its supervisor as by Ctrl-C.
    const { signal, release } = interruptSignal();
    try {
      await serveQueue({
        url: f.queue,
        root: path.resolve(f.root),
        key,
        backend,
        lockMs,
        signal,
        onEvent: (e) => {
          // What the worker does goes to stderr, a line each (it prints no results).
          // Stamped to the millisecond (UTC): a worker is a long-running service, its lines are its log.
          if (!f.quiet || e.type === 'failed' || e.type === 'connection')
            process.stderr.write(`cmkd worker: ${new Date().toISOString()} ${describe(e)}\n`);
        },
      });
    } finally {
      release();
    }
  });
}
