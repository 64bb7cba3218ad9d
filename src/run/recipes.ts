/**
 * The plan families a worker process can rebuild from a recipe (plan.ts `WorkspaceRecipe`), for
 * the local pool's workers (worker.ts) and the queue's (queue-worker.ts). A family maps the
 * recipe's JSON options to the runner of its plan's cells over the same workspace the submitting
 * process built.
 */
import type { ProgressFn } from '../util/progress.js';
import { runWorkspace } from './job.js';
import type { Json, RecipeRunner, WorkspaceBuilder, WorkspaceRecipe } from './plan.js';
import { sweepWorkspace } from './sweep.js';

const BUILDERS: Record<string, WorkspaceBuilder> = { run: runWorkspace, sweep: sweepWorkspace };

/** The cell runner of `recipe`'s plan, its workspace built in this process. */
export function buildRecipe(recipe: WorkspaceRecipe, env: { onProgress?: ProgressFn; signal?: AbortSignal }): Promise<RecipeRunner> {
  const builder = BUILDERS[recipe.family];
  if (!builder) return Promise.reject(new Error(`no workspace builder for recipe family '${recipe.family}'`));
  return builder(recipe.options as Json, env);
}
