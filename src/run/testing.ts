/** Test fixtures of the run layer. */
import { BUDGET_PRESETS, type Budget } from './budget.js';

/** A budget that trains in seconds: 2 repeats of 2 epochs, a 16-unit MLP, 4 resamples; `methods` as given. */
export function tinyBudget(methods: string[]): Budget {
  return { ...BUDGET_PRESETS.quick, maxRows: null, repeats: 2, epochs: 2, patience: 2, bootstrap: 4, table: { hidden: [16] }, methods };
}
