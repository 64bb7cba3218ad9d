/**
 * The experiments' recipe families (src/run/recipes.ts), registered when this module is imported:
 * a worker process rebuilds an experiment's workspace from its settings through the function the
 * experiment's run builds it with, so its cells give the records they give in one process.
 *
 * Who imports it: the experiments' registry (so every process that knows the experiments can
 * serve their cells), `cmkd worker` (queue workers), and each pool worker, which is sent this
 * module's URL with the recipe (experimentExecutor in plan.ts) because the pool's worker entry
 * lives in run, below the experiments, and must not import them.
 *
 * verdicts' plans are `cmkd run` jobs (the run family) on datasets it builds in memory: what it
 * registers is the source a worker rebuilds those datasets from (src/run/dataset-sources.ts).
 */
import { registerDatasetSource } from '../run/dataset-sources.js';
import { registerRecipeFamily } from '../run/recipes.js';
import { DIGITS_RUNNERS } from './cch-digits/cells.js';
import { cchDigitsWorkspace } from './cch-digits/run.js';
import { CCH_GAUSSIAN_RUNNERS, cchGaussianWorkspace } from './cch-gaussian/run.js';
import { cchNoiseWorkspace } from './cch-noise/run.js';
import { fusionWorkspace } from './fusion/run.js';
import { MFH_RUNNERS, type MfhWorkspace } from './mfh-synthetic/run.js';
import { recipeBuilder } from './plan.js';
import { variantDataset } from './verdicts/pairs.js';
import { VERDICTS_SOURCE } from './verdicts/run.js';
import type { VerdictsOptions } from './verdicts/types.js';

registerRecipeFamily('cch-gaussian', recipeBuilder(CCH_GAUSSIAN_RUNNERS, cchGaussianWorkspace));
registerRecipeFamily(
  'mfh-synthetic',
  recipeBuilder(MFH_RUNNERS, async (settings: MfhWorkspace) => settings),
);
registerRecipeFamily('cch-digits', recipeBuilder(DIGITS_RUNNERS, cchDigitsWorkspace));
registerRecipeFamily('cch-noise', recipeBuilder(DIGITS_RUNNERS, cchNoiseWorkspace));
registerRecipeFamily('fusion', recipeBuilder(DIGITS_RUNNERS, fusionWorkspace));
registerDatasetSource(VERDICTS_SOURCE, (options, env) => {
  const { variant, settings } = options as unknown as { variant: string; settings: Omit<VerdictsOptions, 'outDir'> };
  return variantDataset(variant, settings, env);
});
