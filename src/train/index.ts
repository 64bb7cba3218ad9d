/** Training: the loop shared by plain training and distillation, optimisers, schedules, inference helpers. */
export { trainModel, BEST_DIR, LOG_FILE, RESUME_FILE } from './trainer.js';
export { runLoop, epochRng } from './loop.js';
export type { EpochEnd, Learner, LoopResult, LoopSettings, LoopState, Selection, WeightGroup } from './loop.js';
export type { EarlyStopping, EarlyStoppingMetric, EpochRecord, TeacherOutputs, TrainData, TrainOptions, TrainResult } from './trainer.js';
export { predictOutputs, type ModelOutputs } from './predict.js';
export { Optimizer, OPTIMIZERS, resolveOptimizer, type OptimizerName, type OptimizerSettings, type ResolvedOptimizer } from './optim.js';
export { learningRateAt, scheduleSettings, SCHEDULES, type ScheduleName, type ScheduleSettings } from './schedule.js';
export { augmentSettings, gatherAugmented, transformImage, type AugmentSettings } from './batches.js';
export { metricSum } from './trainer.js';
export { taskLoss, taskLossSum } from '../kd/losses.js';
export { evaluateModel, softmaxRows, type Evaluation } from './evaluate.js';
export {
  defaultModelKind,
  modelMetaFor,
  prepareModality,
  specFor,
  trainOnModality,
  type ModalityTrainOptions,
  type ModalityTrainResult,
  type PreparedModality,
} from './pipeline.js';
