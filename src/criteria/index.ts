/** Teacher-selection criteria: the CCH margin I(Ht;Hs) − I(Hs;Y) with the MFH shared-information view. */
export * from './types.js';
export { cchFromRepresentations, verdictOf, rankByValue, DEFAULT_DIMS } from './cch.js';
export {
  cch,
  rawRepresentation,
  ENCODER_DEFAULTS,
  REPRESENTATIONS,
  type CchDatasetOptions,
  type CchDatasetResult,
  type EncoderBudget,
  type EncoderInfo,
  type RepresentationKind,
} from './dataset.js';
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
