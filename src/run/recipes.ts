/**
 * The plan families a worker process can rebuild from a recipe (plan.ts `WorkspaceRecipe`), for
 * the local pool's workers (worker.ts) and the queue's (queue-worker.ts). A family maps the
 * recipe's JSON options to the runner of its plan's cells over the same workspace the submitting
 * process built.
 *
 * `run` and `sweep` are this layer's. Layers above run (the experiments) register theirs with
 * `registerRecipeFamily` when their registering module is imported: the CLI's `cmkd worker` imports
 * it, and a pool worker imports the modules the plan names in `ExecuteOptions.recipeModules`.
 */
import type { ProgressFn } from '../util/progress.js';
import { runWorkspace } from './job.js';
import type { Json, RecipeRunner, WorkspaceBuilder, WorkspaceRecipe } from './plan.js';
import { sweepWorkspace } from './sweep.js';

const BUILDERS = new Map<string, WorkspaceBuilder>([
  ['run', runWorkspace],
  ['sweep', sweepWorkspace],
]);

/** Makes `family`'s recipes buildable in this process; a family has one builder (registering it again with another throws). */
export function registerRecipeFamily(family: string, builder: WorkspaceBuilder): void {
  const known = BUILDERS.get(family);
  if (known && known !== builder) throw new Error(`recipe family '${family}' is registered twice`);
  BUILDERS.set(family, builder);
}

/** The cell runner of `recipe`'s plan, its workspace built in this process. */
export function buildRecipe(recipe: WorkspaceRecipe, env: { onProgress?: ProgressFn; signal?: AbortSignal }): Promise<RecipeRunner> {
  const builder = BUILDERS.get(recipe.family);
  if (!builder) return Promise.reject(new Error(`no workspace builder for recipe family '${recipe.family}'`));
  return builder(recipe.options as Json, env);
}
