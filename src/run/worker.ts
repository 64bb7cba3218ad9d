/**
 * Entry of a pool worker process (pool.ts): imports the modules it is sent (they register the
 * recipe's family when it comes from a layer above run), builds the plan's workspace from the
 * recipe it is sent, then runs the cells it is sent one at a time and returns each record (or the
 * error). A pool that runs several plans sends another recipe before a cell of another plan.
 * Progress goes to the parent; Ctrl-C is the parent's to handle: it sends 'stop'.
 */
import type { ProgressEvent } from '../util/progress.js';
import { toRemote, type RecipeRunner, type WorkspaceRecipe } from './plan.js';
import type { FromWorker, ToWorker } from './pool.js';
import { buildRecipe } from './recipes.js';

const controller = new AbortController();
let runner: Promise<RecipeRunner> | null = null;
let busy = false;

function send(message: FromWorker, then?: () => void): void {
  if (!process.connected) return then?.();
  process.send?.(message, undefined, undefined, () => then?.());
}

const onProgress = (event: ProgressEvent) => send({ type: 'progress', event });

/** The recipe's runner, once the modules registering its family (from a layer above run) are loaded. */
async function build(recipe: WorkspaceRecipe, modules: string[]): Promise<RecipeRunner> {
  for (const m of modules) await import(m);
  return buildRecipe(recipe, { onProgress, signal: controller.signal });
}

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
    runner = build(message.recipe, message.modules);
    // A failed build is reported with the first cell.
    runner.catch(() => undefined);
  } else if (message.type === 'run') {
    void run(message);
  } else {
    controller.abort();
    if (!busy) process.exit(0);
  }
});
