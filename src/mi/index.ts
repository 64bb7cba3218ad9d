/** Mutual-information estimators: Gaussian closed form, KSG / Ross, MINE, latent MI. */
export * from './types.js';
export { estimateMI, validateMIInput } from './estimate.js';
export { ESTIMATORS, MI_ESTIMATORS, DEFAULT_RESAMPLES, estimatorDefinition, estimatorFor } from './registry.js';
export { pairKind, type MIEstimatorDefinition, type MIPairKind, type EstimatorContext, type EstimatorResult } from './estimator.js';
export { discreteMI } from './plugin.js';
export { gaussianMI, gaussianClassMI, shrunkCorrelation, standardizeColumns, type Shrinkage, type GaussianResult } from './gaussian.js';
export { ksgMI, rossMI, ksgRaw, rossRaw, scaleAndJitter, type KsgOptions } from './ksg.js';
export { mineMI, MINE_DEFAULTS, networkFeatures, type MineOptions, type MineResult } from './mine.js';
export { latentMI, LATENT_DEFAULTS, type LatentOptions, type LatentResult } from './latent.js';
export {
  buildKDTree,
  kthDistance,
  countCloser,
  allKthDistances,
  allCountsCloser,
  countCloser1D,
  allCountsCloser1D,
  argsortFloat64,
  sortedValues,
  type KDTree,
} from './kdtree.js';
export { digamma, digammaTable } from './special.js';
export { normalQuantile, studentQuantile, studentCdf, quantile } from './stats.js';
