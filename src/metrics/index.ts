/** Metrics: pure functions on typed arrays, plus one-call reports. Edge-case policy in classification.ts. */
export {
  type AucResult,
  type ClassScores,
  type Labels,
  type MulticlassAucResult,
  accuracy,
  argmaxRows,
  aucBinary,
  aucOvr,
  confusionMatrix,
  f1Macro,
  f1Weighted,
  perClassScores,
} from './classification.js';
export { mae, mse, r2 } from './regression.js';
export { type FormatMeanSdOptions, type MeanSd, formatMeanSd, meanSd, spearman } from './stats.js';
export {
  type ClassReportRow,
  type ClassificationReport,
  type RegressionReport,
  classificationReport,
  logLoss,
  regressionReport,
} from './report.js';
export {
  DEFAULT_ALPHA,
  DEFAULT_LOOKS,
  PRACTICAL_MARGINS,
  criticalValues,
  decideCandidates,
  decideGain,
  deployDecision,
  nextSplits,
  practicalMargin,
  overlapping,
  varianceFactor,
  type CandidateDecision,
  type DeployDecision,
  type GainCandidate,
  type GainDecision,
  type GainDesign,
  type GainOutcome,
  type GainUnits,
  type MarginRule,
  type NextSplits,
} from './gains.js';
