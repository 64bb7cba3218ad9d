/** Teacher-selection criteria: the CCH margin I(Ht;Hs) − I(Hs;Y) with the MFH shared-information view. */
export * from './types.js';
export { cchFromRepresentations, verdictOf, rankByValue, miMethod, DEFAULT_DIMS } from './cch.js';
export { combineEstimates, combineRepeats, heldOutOverlap, type CombineOptions } from './repeats.js';
export { pcaReduce, symmetricEigen, type PcaOptions, type PcaResult } from './pca.js';
export {
  pairedEstimates,
  PAIRED_RESAMPLES,
  type PairedOptions,
  type PairedResult,
  type Quantity,
  type Term,
  type TermValues,
} from './resample.js';
