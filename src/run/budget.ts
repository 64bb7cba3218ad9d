/**
 * How much compute a `cmkd run` spends; every figure in a report states the budget it was
 * measured under. A budget fixes:
 * - rows: a stratified subsample of at most `maxRows` rows (null: all);
 * - repeats: how many train/val/test splits every model is trained on (random 70/10/20, or
 *   stratified k-fold on small data: src/data/rows.ts);
 * - steps: training length in optimizer steps (mini-batches), not epochs, so a small dataset
 *   trains as long as a large one: at most `maxSteps`, never stopped early before `minSteps`;
 * - patience: early stopping after `patienceSteps` steps without a better validation score;
 * - batch: `batchSize` rows per step; lr: Adam's learning rate `lr`;
 * - the model widths, the bootstrap resamples of the CCH intervals and the default methods.
 * trainingSchedule converts the step counts to whole epochs for a split's training rows.
 * `epochs` and `patience` count epochs and are null in the presets: they are the user's
 * explicit --epochs / --patience, which override the step-derived values.
 */
import { METHOD_IDS, QUICK_METHOD_IDS } from '../kd/index.js';
import { readsTables, type ModelKind, type SpecOverrides } from '../models/index.js';
import type { TrainSettings } from '../train/distill.js';
import type { EarlyStoppingMetric } from '../train/index.js';
import { CmkdError, check, oneOf } from '../util/errors.js';
import { KFOLD_BELOW } from '../data/index.js';

export type BudgetName = 'quick' | 'standard' | 'full';
export const BUDGETS: readonly BudgetName[] = ['quick', 'standard', 'full'];

export interface Budget {
  name: BudgetName;
  /** Stratified subsample of at most this many rows (null: all). */
  maxRows: number | null;
  /** Repeated splits (random 70/10/20, or stratified k-fold on small data) of a run with a fixed count (--repeats N). */
  repeats: number;
  /**
   * Sequential splits (--repeats auto, the default of cmkd run): the split counts at which the
   * gains are looked at; splits are added only for what is still open, up to the last (the cap).
   */
  looks: number[];
  /** Training length in optimizer steps (rounded to whole epochs for the training rows). */
  maxSteps: number;
  /** Early stopping may not end training before this many steps. */
  minSteps: number;
  /** Early stopping after this many steps without a better validation score (rounded up to whole epochs). */
  patienceSteps: number;
  /** A fixed number of epochs (--epochs), overriding maxSteps; null: from maxSteps. */
  epochs: number | null;
  /** Early-stopping patience in epochs (--patience; 0: none, the best epoch still restored), overriding patienceSteps; null: from patienceSteps. */
  patience: number | null;
  /** What selects the best epoch and stops early (`cmkd sweep --monitor`); absent in the presets: val_metric. */
  monitor?: EarlyStoppingMetric;
  batchSize: number;
  lr: number;
  /** Architecture widths for images (CNN) and tables (MLP); teacher and student share them. */
  image: SpecOverrides;
  table: SpecOverrides;
  /** The architecture of every model of the run (--model); absent in the presets: CNN for images, MLP for tables. */
  model?: ModelKind;
  /**
   * Every model fitted to convergence instead of the step budget (absent in the presets): set by
   * a small table run (tableFit), which also makes every model linear.
   */
  fit?: TableFit;
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
    // 3: with 2 the 95% t-interval of a paired gain is ±12.7·sd/√2 (t₁), and on digits no gain of npm start was clear
    // (+7.0 pts from pixels: [−38.9, +52.8]); t₂ = 4.30 is the first that can separate a few points from 0.
    repeats: 3,
    // The first look is the fixed count's 3; then about 1.6× more splits per look (src/metrics/gains.ts DEFAULT_LOOKS), capped at 8 so a
    // run whose every gain stays open costs at most 8/3 of a fixed 3-split run.
    looks: [3, 5, 8],
    // Digits at quick: 2000 rows · 0.7 = 1400 train rows, ceil(1400 / 32) = 44 steps per epoch.
    maxSteps: 264, // 6 epochs · 44 steps: digits trains 6 epochs, as before steps
    minSteps: 132, // half of maxSteps; 3 digits epochs, below the earliest possible stop (patience + 1 = 4): digits unchanged
    patienceSteps: 132, // 3 epochs · 44 steps: patience 3 on digits
    epochs: null,
    patience: null,
    batchSize: 32,
    lr: 2e-3,
    // The library's default CNN. A smaller one (conv 8/16) trained faster but left one textured sweep student in three near
    // chance (weighted F1 0.16), which turned KD gains into rescue effects.
    image: { channels: [16, 32], hidden: [64] },
    table: { hidden: [64, 64] },
    bootstrap: 10,
    methods: [...QUICK_METHOD_IDS],
  },
  standard: {
    name: 'standard',
    maxRows: 5000,
    repeats: 3,
    looks: [3, 5, 8, 12],
    // Digits at standard: 5000 rows · 0.7 = 3500 train rows, ceil(3500 / 64) = 55 steps per epoch.
    maxSteps: 825, // 15 epochs · 55 steps
    minSteps: 413, // half of maxSteps, ceil(413 / 55) = 8 digits epochs
    patienceSteps: 220, // 4 epochs · 55 steps
    epochs: null,
    patience: null,
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
    looks: [5, 8, 12, 20],
    // Digits at full: 10000 rows · 0.7 = 7000 train rows, ceil(7000 / 128) = 55 steps per epoch.
    maxSteps: 1650, // 30 epochs · 55 steps
    minSteps: 825, // half of maxSteps, 15 digits epochs
    patienceSteps: 330, // 6 epochs · 55 steps
    epochs: null,
    patience: null,
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

/** What a user may change of a preset (the `cmkd run` flags). */
export interface BudgetOverrides {
  /** --repeats */
  repeats?: number;
  /** --max-steps: also sets minSteps to half of it, the presets' rule. */
  maxSteps?: number;
  /** --epochs: a fixed epoch count instead of maxSteps. */
  epochs?: number;
  /** --samples: cap on the rows (overrides maxRows). */
  samples?: number;
  /** --patience: early-stopping patience in epochs instead of patienceSteps. */
  patience?: number;
}

/** What a user may change of a preset's architecture (`cmkd run --model --hidden --channels --blocks --dropout`), for every model of the run. */
export interface ArchitectureOverrides {
  model?: ModelKind;
  /** --hidden, --blocks, --dropout: both the image and the table widths; --channels: the image widths (an MLP has none). */
  architecture?: SpecOverrides;
}

const OVERRIDE_FLAGS: Record<keyof BudgetOverrides, string> = {
  repeats: '--repeats',
  maxSteps: '--max-steps',
  epochs: '--epochs',
  samples: '--samples',
  patience: '--patience',
};

/** The effective budget of a run: a preset (or a given budget) with the user's overrides, each a positive integer, and its architecture's. */
export function resolveRunBudget(budget: BudgetName | Budget, overrides: BudgetOverrides = {}, arch: ArchitectureOverrides = {}): Budget {
  const base = typeof budget === 'object' ? budget : resolveBudget(budget);
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) continue;
    const flag = OVERRIDE_FLAGS[k as keyof BudgetOverrides];
    if (!flag) throw new CmkdError(`unknown budget override '${k}'`, 'invalid-option');
    check(Number.isInteger(v) && v >= 1, `${flag} must be a positive integer, got ${v}`, 'invalid-option');
  }
  const o = overrides;
  // Keys only where a flag is given, so a run without these flags keeps the preset's budget (and its stage fingerprint) exactly.
  const { channels, ...widths } = arch.architecture ?? {};
  const model = arch.model ?? base.model;
  return {
    ...base,
    image: { ...base.image, ...widths, ...(channels !== undefined ? { channels } : {}) },
    table: { ...base.table, ...widths },
    ...(model !== undefined ? { model } : {}),
    repeats: o.repeats ?? base.repeats,
    maxRows: o.samples ?? base.maxRows,
    maxSteps: o.maxSteps ?? base.maxSteps,
    minSteps: o.maxSteps !== undefined ? Math.floor(o.maxSteps / 2) : base.minSteps,
    epochs: o.epochs ?? base.epochs,
    patience: o.patience ?? base.patience,
  };
}

/**
 * Logistic regression fitted to convergence: full-batch Adam for `steps` steps at rate `lr`, the L2
 * penalty of scikit-learn's LogisticRegression, min ½‖W‖² + C·Σᵢ CEᵢ ⇔ min mean CE + ‖W‖²/(2·C·n)
 * (an L2 term λ/2·‖W‖² with λ = 1/(C·n) on n training rows), and the last step's weights kept.
 */
export interface TableFit {
  steps: number;
  lr: number;
  /** scikit-learn's C (inverse regularisation strength). */
  c: number;
}

/**
 * The fit of a classification run on small tables (below KFOLD_BELOW rows, every modality a table,
 * no --model, widths or schedule flags): chosen against the quick budget's MLP and the
 * nearest-centroid baseline on development beds (bench/small-tables.mjs, seed 0, 40 and 120
 * rows: C = 0.1 ahead of scikit-learn's default C = 1 on both), then measured on held-out beds
 * (seed 1; 60, 80 and 200 rows), docs/your-own-data.md. The MLP's best epoch, chosen on
 * validation parts of 4–12 rows, left it below nearest centroid on most beds.
 */
export const TABLE_FIT: TableFit = { steps: 300, lr: 0.05, c: 0.1 };

/** Every training part of a run that fits (below KFOLD_BELOW rows) in one batch. */
const FIT_BATCH = KFOLD_BELOW;

/** The budget of a small table run: every model linear without dropout (softmax regression), fitted as `fit` says. */
export function tableFit(budget: Budget, fit: TableFit = TABLE_FIT): Budget {
  return { ...budget, model: 'linear', table: { ...budget.table, dropout: 0 }, fit };
}

/** A budget's training length for a given number of training rows, in whole epochs. */
export interface TrainingSchedule {
  epochs: number;
  /** Early-stopping patience in epochs. */
  patience: number;
  /** Early stopping may not end training before this epoch. */
  minEpochs: number;
  /** ceil(training rows / batch size), as the training loop cuts an epoch. */
  stepsPerEpoch: number;
  /** epochs · stepsPerEpoch: optimizer steps when nothing stops early. */
  steps: number;
}

/**
 * Steps to epochs for `nTrainRows` training rows: epochs = max(1, round(maxSteps / stepsPerEpoch))
 * (or the budget's fixed epochs), patience = max(1, ceil(patienceSteps / stepsPerEpoch)) (or its
 * fixed patience), minEpochs = min(epochs, ceil(minSteps / stepsPerEpoch)). 40 training rows at
 * batch 32 (2 steps per epoch) train about 132 epochs at quick, where digits trains 6.
 */
export function trainingSchedule(budget: Budget, nTrainRows: number): TrainingSchedule {
  check(Number.isInteger(nTrainRows) && nTrainRows >= 1, `training rows must be a positive integer, got ${nTrainRows}`, 'invalid-input');
  if (budget.fit) return { epochs: budget.fit.steps, patience: 0, minEpochs: 0, stepsPerEpoch: 1, steps: budget.fit.steps };
  const stepsPerEpoch = Math.ceil(nTrainRows / budget.batchSize);
  const epochs = budget.epochs ?? Math.max(1, Math.round(budget.maxSteps / stepsPerEpoch));
  const patience = budget.patience ?? Math.max(1, Math.ceil(budget.patienceSteps / stepsPerEpoch));
  const minEpochs = Math.min(epochs, Math.ceil(budget.minSteps / stepsPerEpoch));
  return { epochs, patience, minEpochs, stepsPerEpoch, steps: epochs * stepsPerEpoch };
}

/**
 * The training settings of every model of a budget on `nTrainRows` training rows: its
 * schedule's epochs (trainingSchedule) at its batch size and rate, the best epoch on `monitor`
 * (default val_metric: with LSKD the logit scale is free, so validation CE does not compare
 * students fairly), early stopping after `patience` epochs without a better one (none at
 * patience 0) and not before minEpochs (none at 0).
 */
export function budgetTraining(budget: Budget, nTrainRows: number): TrainSettings {
  const s = trainingSchedule(budget, nTrainRows);
  const f = budget.fit;
  check(!f || nTrainRows <= FIT_BATCH, `a fitted budget takes at most ${FIT_BATCH} training rows in its one batch, got ${nTrainRows}`);
  if (f)
    return { epochs: s.epochs, lr: f.lr, batchSize: FIT_BATCH, weightDecay: 1 / (f.c * nTrainRows), earlyStopping: false, keep: 'last' };
  const metric = budget.monitor ?? 'val_metric';
  return {
    epochs: s.epochs,
    lr: budget.lr,
    batchSize: budget.batchSize,
    earlyStopping: s.patience === 0 ? false : { patience: s.patience, metric, ...(s.minEpochs > 0 ? { minEpochs: s.minEpochs } : {}) },
  };
}

/** The widths of a model of `kind` under the budget: the table widths for an MLP or a linear model (which keeps only their dropout), the image widths otherwise. */
export function architectureFor(budget: Budget, kind: ModelKind): SpecOverrides {
  return readsTables(kind) ? budget.table : budget.image;
}
