/** The knowledge-distillation loss family: one file per method, and the registry that lists, labels and builds them. */
export type { DistillBatch, DistillObjective, ObjectiveOptimizer } from './types.js';
export {
  createObjective,
  describeMethod,
  methodDefinition,
  methodIdLabel,
  distilsEmbedding,
  methodOptions,
  parseMethodId,
  resolveSettings,
  scheduleNotes,
  teacherMethodId,
  DISTILL_METHODS,
  KD_METHODS,
  LOGIT_METHODS,
  LSKD_SUFFIX,
  METHOD_IDS,
  METHODS,
  NO_KD,
  PLAIN_KD,
  QUICK_METHOD_IDS,
  REGRESSION_METHOD_IDS,
} from './registry.js';
export {
  METHOD_FLAGS,
  TASK_KINDS,
  type MethodDefinition,
  type MethodFlag,
  type ObjectiveSettings,
  type ResolvedSettings,
  type RunContext,
  type SettingValue,
} from './method.js';
export { gradientReversal } from './grl.js';
export { kdLoss, kdTerms, KD_PRESETS, type KdLossOptions, type KdPreset } from './kd.js';
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
export {
  FEATURE_MODES,
  type FeatureMode,
  featureLoss,
  featureTerms,
  project,
  type FeatureLossOptions,
  type FeatureInputs,
  type Projection,
} from './feature.js';
export { softTargetLoss } from './common.js';
export { crossEntropy, crossEntropySum, meanSquaredError, squaredErrorSum, taskLoss, taskLossSum, type TaskKind } from './losses.js';
