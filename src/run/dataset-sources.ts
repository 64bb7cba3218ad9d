/**
 * Datasets a worker process can rebuild from a recipe (plan.ts `DatasetRecipe`): a run on a
 * dataset built in memory — the verdicts experiment's variants of the digits, its simulated
 * Gaussian data — names one in RunOptions `datasetRecipe`, and each pool or queue worker builds
 * the same dataset through the source's builder instead of loading a spec.
 *
 * Layers above run register their sources with `registerDatasetSource` when their registering
 * module is imported, as they register recipe families (recipes.ts): `cmkd worker` imports it, and
 * a pool worker imports the modules named in RunOptions `recipeModules`.
 */
import type { MultimodalDataset } from '../data/index.js';
import type { ProgressFn } from '../util/progress.js';
import type { DatasetBuilder, DatasetRecipe } from './plan.js';

const SOURCES = new Map<string, DatasetBuilder>();

/** Makes datasets of `source` buildable in this process; a source has one builder (registering it again with another throws). */
export function registerDatasetSource(source: string, builder: DatasetBuilder): void {
  const known = SOURCES.get(source);
  if (known && known !== builder) throw new Error(`dataset source '${source}' is registered twice`);
  SOURCES.set(source, builder);
}

/** The last dataset built, by its recipe's JSON: a worker gets the same dataset for each analysis of a run. */
let last: { key: string; dataset: Promise<MultimodalDataset> } | null = null;

/** The dataset `recipe` describes, built in this process (the last one is kept: datasets are never changed in place). */
export function buildDataset(recipe: DatasetRecipe, env: { onProgress?: ProgressFn; signal?: AbortSignal }): Promise<MultimodalDataset> {
  const builder = SOURCES.get(recipe.source);
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
