/**
 * Entry of a pool worker process (src/run/pool.ts): builds the plan's workspace from the recipe it
 * is sent (through the static table of families.ts), then runs the cells it is sent one at a time and returns each record (or the
 * error). A pool that runs several plans sends another recipe before a cell of another plan.
 * Progress goes to the parent; Ctrl-C is the parent's to handle: it sends 'stop'.
 */
import type { ProgressEvent } from '../util/progress.js';
import { toRemote, type RecipeRunner } from '../run/plan.js';
import type { FromWorker, ToWorker } from '../run/pool.js';
import { buildRecipe } from './families.js';

const controller = new AbortController();
let runner: Promise<RecipeRunner> | null = null;
let busy = false;

function send(message: FromWorker, then?: () => void): void {
  if (!process.connected) return then?.();
  process.send?.(message, undefined, undefined, () => then?.());
}

const onProgress = (event: ProgressEvent) => send({ type: 'progress', event });

async function run(message: ToWorker & { type: 'run' }): Promise<void> {
  busy = true;
  let reply: FromWorker;
  try {
    if (!runner) throw new Error('the worker received a cell before its recipe');
    const record = await (
      await runner
    )(message.cell, { outDir: message.outDir, deps: message.deps, onProgress, signal: controller.signal });
    reply = { type: 'done', id: message.cell.id, record };
  } catch (err) {
    reply = { type: 'failed', id: message.cell.id, error: toRemote(err) };
  }
  busy = false;
  send(reply, () => {
    if (controller.signal.aborted) process.exit(0);
  });
}

process.on('SIGINT', () => undefined);
process.on('disconnect', () => process.exit(0));
process.on('message', (message: ToWorker) => {
  if (message.type === 'init') {
    runner = buildRecipe(message.recipe, { onProgress, signal: controller.signal });
    // A failed build is reported with the first cell.
    runner.catch(() => undefined);
  } else if (message.type === 'run') {
    void run(message);
  } else {
    controller.abort();
    if (!busy) process.exit(0);
  }
});
