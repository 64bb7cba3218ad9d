import type { Command } from 'commander';
import { BACKEND_CHOICES, type BackendChoice } from '../../engine/index.js';
// The experiments' recipe families (run registers its own): this worker serves `cmkd experiment --queue` too.
import { buildRecipe } from '../../worker/families.js';
import { LOCK_MS, queueConnection, serveQueue, type QueueWorkerEvent } from '../../run/index.js';
import { oneOf } from '../../util/errors.js';
import { numberOption } from '../common.js';

interface WorkerFlags {
  queue: string;
  backend: string;
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
  program
    .command('worker')
    .description('run the cells of `cmkd run|cch|sweep|experiment --queue` from a Redis queue, one at a time, until Ctrl-C')
    .requiredOption('--queue <url>', 'the Redis URL the runs are submitted to, e.g. redis://host:6379/0 (rediss:// for TLS)')
    .option('--backend <name>', `TF.js backend (${BACKEND_CHOICES.join('|')}); must be the submitter's`, 'auto')
    .option(
      '--lock-seconds <s>',
      "how long this worker's cell stays locked without a sign of life before another worker takes it over",
      String(LOCK_MS / 1000),
    )
    .option('--quiet', 'print only failures and connection problems')
    .action(async (f: WorkerFlags) => {
      queueConnection(f.queue);
      const backend = oneOf<BackendChoice>('backend', f.backend, BACKEND_CHOICES);
      const lockMs = (numberOption('--lock-seconds', f.lockSeconds, { min: 1 }) ?? LOCK_MS / 1000) * 1000;
      const controller = new AbortController();
      const stop = () => {
        if (controller.signal.aborted) process.exit(130);
        controller.abort();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      try {
        await serveQueue({
          build: buildRecipe,
          url: f.queue,
          backend,
          lockMs,
          signal: controller.signal,
          onEvent: (e) => {
            // What the worker does goes to stderr, a line each (it prints no results).
            // Stamped to the millisecond (UTC): a worker is a long-running service, its lines are its log.
            if (!f.quiet || e.type === 'failed' || e.type === 'connection')
              process.stderr.write(`cmkd worker: ${new Date().toISOString()} ${describe(e)}\n`);
          },
        });
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}
