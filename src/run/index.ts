/** Orchestrators, each a plan of cells: the main job (advise, distill, compare, export) and the method sweep. */
export { runMainJob, analyseTeachers, analysisSettings, planModels, FUSION } from './job.js';
export { plainVerdict, agreementOf, agreementLine, nextStepSentence } from './verdict.js';
export { runNotes, type RunNotes } from './report.js';
export { LEAST_SQUARES, NEAREST_CENTROID, runBaselines } from './baseline.js';
export type { BaselineRow } from './types.js';
export type { RunOptions, RunResult, ModelRecord, MethodRow, TeacherOutcome, TeacherAnalysis, AnalysisSettings } from './job.js';
export {
  BUDGETS,
  BUDGET_PRESETS,
  resolveBudget,
  resolveRunBudget,
  trainingSchedule,
  type Budget,
  type BudgetName,
  type BudgetOverrides,
  type TrainingSchedule,
} from './budget.js';
export { sweep, sweepEntries, sweepTable, formatSweepTable, sweepFigureSpec, DEFAULT_SWEEP_METHODS } from './sweep.js';
export type { SweepOptions, SweepResult, SweepEntry, SweepCell, SweepRow, SweepTable } from './sweep.js';
export { queueConnection, redactUrl, QUEUE_NAME, MAX_JOB_BYTES } from './queue.js';
export type { QueueTarget } from './plan.js';
