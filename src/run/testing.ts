/** Test fixtures of the run layer. */
import { BUDGET_PRESETS, type Budget } from './budget.js';
import type { RunOptions, RunResult } from './job.js';

/** A budget that trains in seconds: 2 repeats of 2 epochs, a 16-unit MLP, 4 resamples; `methods` as given. */
export function tinyBudget(methods: string[]): Budget {
  return { ...BUDGET_PRESETS.quick, maxRows: null, repeats: 2, epochs: 2, patience: 2, bootstrap: 4, table: { hidden: [16] }, methods };
}

/** The executor tests' run: three digit views, a tiny budget, two methods; forked workers load the spec again. */
export const EXECUTOR_RUN: Omit<RunOptions, 'outDir'> = {
  dataset: 'digits?n=300&modalities=profiles,blocks,fourier&cache=false',
  student: 'profiles',
  teachers: ['blocks', 'fourier'],
  budget: tinyBudget(['kd', 'dkd+ls']),
};

/** What must not depend on the executor: tables, verdicts, the chosen student, the records (wall time aside). */
export function runTables(r: RunResult) {
  return {
    table: r.table,
    outcomes: r.outcomes,
    cch: r.cch,
    best: r.best,
    records: r.records.map(({ seconds: _s, ...rec }) => rec),
  };
}
