/**
 * How much compute a `cmkd run` spends. A budget fixes rows, repeats, epochs and the model
 * widths; every figure in a report states the budget it was measured under.
 */
import { METHOD_IDS } from '../kd/index.js';
import type { ModelKind, SpecOverrides } from '../models/index.js';
import { oneOf } from '../util/errors.js';

export type BudgetName = 'quick' | 'standard' | 'full';
export const BUDGETS: readonly BudgetName[] = ['quick', 'standard', 'full'];

export interface Budget {
  name: BudgetName;
  /** Stratified subsample of at most this many rows (null: all). */
  maxRows: number | null;
  /** Repeated 70/10/20 splits. */
  repeats: number;
  epochs: number;
  /** Early-stopping patience in epochs. */
  patience: number;
  batchSize: number;
  lr: number;
  /** Architecture widths for images (CNN) and tables (MLP); teacher and student share them. */
  image: SpecOverrides;
  table: SpecOverrides;
  /** Resamples for the CCH intervals. */
  bootstrap: number;
  /** Methods distilled from the recommended teacher when the user names none. */
  methods: string[];
}

/** Every method id of the registry (each distillation method, each logit method also with '+ls'). */
const ALL_METHODS = [...METHOD_IDS];

export const BUDGET_PRESETS: Record<BudgetName, Budget> = {
  quick: {
    name: 'quick',
    maxRows: 2000,
    repeats: 2,
    epochs: 6,
    patience: 3,
    batchSize: 32,
    lr: 2e-3,
    // The library's default CNN; conv 8/16 left some textured students near chance (src/run/sweep.ts QUICK_SWEEP).
    image: { channels: [16, 32], hidden: [64] },
    table: { hidden: [64, 64] },
    bootstrap: 10,
    methods: ['kd', 'kd+ls', 'dkd', 'feature', 'discom'],
  },
  standard: {
    name: 'standard',
    maxRows: 5000,
    repeats: 3,
    epochs: 15,
    patience: 4,
    batchSize: 64,
    lr: 1e-3,
    image: { channels: [16, 32], hidden: [128] },
    table: { hidden: [128, 128] },
    bootstrap: 20,
    methods: ALL_METHODS,
  },
  full: {
    name: 'full',
    maxRows: null,
    repeats: 5,
    epochs: 30,
    patience: 6,
    batchSize: 128,
    lr: 1e-3,
    image: { channels: [32, 64], hidden: [128] },
    table: { hidden: [256, 256] },
    bootstrap: 50,
    methods: ALL_METHODS,
  },
};

export function resolveBudget(name: string): Budget {
  return BUDGET_PRESETS[oneOf('budget', name, BUDGETS)];
}

export function architectureFor(budget: Budget, kind: ModelKind): SpecOverrides {
  return kind === 'mlp' ? budget.table : budget.image;
}
