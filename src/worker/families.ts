/**
 * Every plan family a worker process can run, in one static table: a worker — a pool worker
 * (pool-entry.ts) or a `cmkd worker` serving a Redis queue — gets a plan's recipe (its family and
 * JSON options) and rebuilds the workspace the submitting process built, through the function that
 * process built it with, so its cells give the same records. This module sits at the top of the
 * stack, beside the CLI, so it sees every family without anything registering itself.
 */
import type { MultimodalDataset } from '../data/index.js';
import { DIGITS_RUNNERS } from '../experiments/cch-digits/cells.js';
import { cchDigitsWorkspace } from '../experiments/cch-digits/run.js';
import { CCH_GAUSSIAN_RUNNERS, cchGaussianWorkspace } from '../experiments/cch-gaussian/run.js';
import { cchNoiseWorkspace } from '../experiments/cch-noise/run.js';
import { fusionWorkspace } from '../experiments/fusion/run.js';
import { MFH_RUNNERS, type MfhWorkspace } from '../experiments/mfh-synthetic/run.js';
import { recipeBuilder } from '../experiments/plan.js';
import { variantDataset } from '../experiments/verdicts/pairs.js';
import type { VerdictsOptions } from '../experiments/verdicts/types.js';
import type { DatasetRecipe, Json, RecipeRunner, WorkspaceBuilder, WorkspaceRecipe } from '../run/cells.js';
import { runWorkspace, type RunOptions } from '../run/job.js';
import { sweepWorkspace } from '../run/sweep.js';
import type { ProgressFn } from '../util/progress.js';

type Env = { onProgress?: ProgressFn; signal?: AbortSignal };

/** Datasets a run may be given built in memory, rebuilt by workers from their recipe (RunOptions `datasetRecipe`). */
const DATASETS: Record<string, (options: Json, env: Env) => Promise<MultimodalDataset>> = {
  // The verdicts experiment's variants of the digits and its simulated Gaussian pairs.
  verdicts: (options, env) => {
    const { variant, settings } = options as unknown as { variant: string; settings: Omit<VerdictsOptions, 'outDir'> };
    return variantDataset(variant, settings, env);
  },
};

/** The last dataset built, by its recipe's JSON: a worker gets the same dataset for each plan of a run (datasets are never changed in place). */
let last: { key: string; dataset: Promise<MultimodalDataset> } | null = null;

function buildDataset(recipe: DatasetRecipe, env: Env): Promise<MultimodalDataset> {
  const builder = DATASETS[recipe.source];
  if (!builder) return Promise.reject(new Error(`no builder for dataset source '${recipe.source}'`));
  const key = JSON.stringify(recipe);
  if (last?.key !== key) {
    const dataset = builder(recipe.options, env);
    last = { key, dataset };
    // A failed build is not kept.
    dataset.catch(() => {
      if (last?.dataset === dataset) last = null;
    });
  }
  return last.dataset;
}

const FAMILIES: Record<string, WorkspaceBuilder> = {
  run: async (options, env) => {
    const o = options as unknown as RunOptions;
    return runWorkspace(o.datasetRecipe ? { ...o, dataset: await buildDataset(o.datasetRecipe, env) } : o, env);
  },
  sweep: sweepWorkspace,
  'cch-gaussian': recipeBuilder(CCH_GAUSSIAN_RUNNERS, cchGaussianWorkspace),
  'mfh-synthetic': recipeBuilder(MFH_RUNNERS, async (settings: MfhWorkspace) => settings),
  'cch-digits': recipeBuilder(DIGITS_RUNNERS, cchDigitsWorkspace),
  'cch-noise': recipeBuilder(DIGITS_RUNNERS, cchNoiseWorkspace),
  fusion: recipeBuilder(DIGITS_RUNNERS, fusionWorkspace),
};

/** The cell runner of `recipe`'s plan, its workspace built in this process. */
export function buildRecipe(recipe: WorkspaceRecipe, env: Env): Promise<RecipeRunner> {
  const builder = FAMILIES[recipe.family];
  if (!builder) return Promise.reject(new Error(`no workspace builder for recipe family '${recipe.family}'`));
  return builder(recipe.options, env);
}
