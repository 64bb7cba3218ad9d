/**
 * cmkd's library entry point. The main functions are exported by name; every module's full
 * public surface is also available as a namespace (e.g. `mi.ksgMI`, `kd.dkdLoss`).
 */
export { initEngine, engineInfo, setSeed, tf, type EngineInfo, type EngineOptions, type BackendChoice } from './engine/index.js';
export { CmkdError } from './util/errors.js';
export { VERSION } from './version.js';

export { loadDataset, validateDataset, describeDataset, stratifiedSplit, repeatedSplits, getModality } from './data/index.js';
export type { MultimodalDataset, Modality, Task, Split } from './data/index.js';
export { loadDigits, blurModality } from './data/digits/index.js';
export { estimateMI, type MIEstimate, type MIOptions, type MIInput } from './mi/index.js';
export { cchFromRepresentations, combineRepeats, type CchResult, type TeacherScore } from './criteria/index.js';
export { buildModel, makeSpec, saveModel, loadModel, type ModelSpec } from './models/index.js';
export { createObjective, describeMethod, type DistillObjective } from './kd/index.js';
export { trainDiscom, discomOnDataset } from './train/discom/index.js';
export { trainModel, trainOnModality, evaluateModel, predictOutputs } from './train/index.js';
export { distill, distillDiscom } from './train/distill.js';
export { classificationReport, regressionReport, meanSd } from './metrics/index.js';
export { runMainJob, analyseTeachers, sweep, type RunOptions, type RunResult, type TeacherAnalysis } from './run/index.js';
export { writeReport, renderHtmlReport, writeStudentPage, renderChart } from './report/index.js';
export { EXPERIMENTS, getExperiment } from './experiments/registry.js';

export * as data from './data/index.js';
export * as mi from './mi/index.js';
export * as criteria from './criteria/index.js';
export * as models from './models/index.js';
export * as kd from './kd/index.js';
export * as discom from './train/discom/index.js';
export * as train from './train/index.js';
export * as metrics from './metrics/index.js';
export * as report from './report/index.js';
export * as run from './run/index.js';
