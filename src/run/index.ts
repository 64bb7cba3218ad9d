/** The main job: advise (CCH), distill, compare prediction with outcome, export the best student. */
export { runMainJob, plainVerdict, FUSION } from './job.js';
export type { RunOptions, RunResult, ModelRecord, MethodRow, TeacherOutcome } from './job.js';
export { BUDGETS, BUDGET_PRESETS, RUN_METHODS, resolveBudget, type Budget, type BudgetName } from './budget.js';
