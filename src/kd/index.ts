/** The knowledge-distillation loss family: one file per method, a factory for the trainer. */
export type { DistillBatch, DistillObjective } from './types.js';
export {
  createObjective,
  describeMethod,
  resolveSettings,
  scheduleNotes,
  KD_METHODS,
  KD_PRESETS,
  LOGIT_METHODS,
  OBJECTIVE_OPTIONS,
  TASK_KINDS,
  type KdMethod,
  type KdPreset,
  type ObjectiveSettings,
  type ResolvedSettings,
  type SettingValue,
} from './objective.js';
export { gradientReversal } from './grl.js';
export { kdLoss, kdTerms, type KdLossOptions } from './kd.js';
export { dkdLoss, dkdTerms, dkdWarmupFactor, type DkdLossOptions } from './dkd.js';
export { ctkdLoss, ctkdTerms, ctkdLambda, ctkdTemperature, type CtkdLossOptions, type CtkdCurriculum } from './ctkd.js';
export {
  mlkdLoss,
  mlkdTerms,
  mlkdTemperatures,
  batchLevelLoss,
  classLevelLoss,
  MLKD_EXTRA_TEMPERATURES,
  type MlkdLossOptions,
  type MlkdStrongView,
} from './mlkd.js';
export { standardizeLogits, LSKD_DEFAULTS, LSKD_EPSILON } from './lskd.js';
export { featureLoss, featureTerms, project, type FeatureLossOptions, type FeatureInputs, type Projection } from './feature.js';
export { softTargetLoss } from './common.js';
export {
  crossEntropy,
  crossEntropySum,
  meanSquaredError,
  squaredErrorSum,
  taskLoss,
  taskLossSum,
  sparseCrossEntropy,
  type TaskKind,
} from './losses.js';
