/** The options and results of the verdicts experiment (read by pairs.ts, score.ts, run.ts and index.ts). */
import type { CchRepresentation } from '../../criteria/index.js';
import type { MIEstimatorName } from '../../mi/index.js';
import type { Budget } from '../../run/budget.js';
import type { CalibrationRecord } from '../../report/track-record.js';
import type { Effect } from '../../run/types.js';

/** What the CCH analysis measures MI on: the models' outputs (logits), their embeddings, or learned latents. */
export type VerdictsRepresentation = CchRepresentation;

/** One cell of the grid: a representation with an MI estimator. */
export interface VerdictsCombo {
  representation: VerdictsRepresentation;
  estimator: MIEstimatorName;
}

export interface VerdictsOptions {
  outDir: string;
  /** Digits drawn from the 10,000 for the digits variants. */
  n: number;
  /** Digits views distilled into each other in both directions (every ordered pair). */
  views: string[];
  /** Students of the degraded-teacher variant (each distilled from every blurred and noised pixels teacher). */
  degradedStudents: string[];
  /** σ in pixels of the blurred pixels teachers. */
  blur: number[];
  /** sd of the Gaussian noise added to the pixels (values in [0, 1]) of the noised teachers. */
  noise: number[];
  /** Synthetic Gaussian settings (spread over the cch-gaussian families), each distilled in both directions. */
  gaussianSettings: number;
  /** Rows of each synthetic Gaussian dataset. */
  gaussianN: number;
  /** Dimension of each Gaussian modality. */
  gaussianP: number;
  /** Shares η of the digits labels flipped to another class, one digits-noisy-labels source each. */
  labelNoise: number[];
  /** Digits counts of the few-rows sources (digits-few), one source each. */
  fewRows: number[];
  /** Noise-to-sd ratios of the weak table students next to clean teachers (digits-weak), one source each. */
  weakNoise: number[];
  /** sd of the Gaussian noise on the pixels (values in [0, 1]) of weak pixels students next to every clean view as teacher (digits-weak-pixels), one source each. */
  weakPixels: number[];
  /**
   * Digits counts of the image-student sources (digits-textured): the textured view (an MNIST-M-like colour image, a
   * CNN student) next to every --view as teacher, one source each; where plain KD from pixels measurably helped (npm start).
   */
  imageRows: number[];
  /** Table views that are, in turn, the students of the noisy-labels, few-rows and weak sources (teachers: the other --views). */
  regimeStudents: string[];
  /**
   * Replicates of the evaluation half: for each skip s, every evaluation source again on fresh digits (the rows
   * of each class's seeded order after the first s, src/data/digits `skip`: disjoint from every digits row of
   * the plan's other sources) and, for the Gaussian settings, fresh draws (seed + k for the k-th replicate).
   * All evaluation. Empty: none.
   */
  replicates: number[];
  /** Repeated splits per run (≥ 2 for a gain interval). */
  repeats: number;
  /** The run budget every pair is trained under (the run's 'quick' budget with `repeats`). */
  budget: Budget;
  /** Representation × estimator combinations scored on the same trained models. */
  combos: VerdictsCombo[];
  seed: number;
}

/** The kinds of pair source (pairs.ts). */
export type VerdictsFamily = 'image' | 'views' | 'degraded' | 'noisy-labels' | 'few' | 'weak' | 'gaussian';

/** Which half of the sources a pair belongs to: the default is chosen on development, scores are reported on evaluation. */
export type VerdictsHalf = 'development' | 'evaluation';

/** One runMainJob call's worth of pairs: a dataset variant, its student and its teachers. */
export interface VerdictsRun {
  family: VerdictsFamily;
  /** 'digits-textured:<n>', 'digits-views', 'digits-degraded', 'digits-noisy-labels:<η>', 'digits-few:<n>', 'digits-weak:<r>' or 'gaussian:<setting id>'. */
  variant: string;
  /** The source the pair belongs to (the unit of the halves and of the cluster bootstrap): the run folder, or the Gaussian setting (both directions). */
  source: string;
  half: VerdictsHalf;
  student: string;
  teachers: string[];
  /** Run folder, relative to the experiment's. */
  dir: string;
  /** The replicate of an evaluation source (1-based, `replicates`); absent for the plan's first draw. */
  replicate?: number;
}

/** One teacher → student pair under one representation × estimator. */
export interface VerdictsPairRow {
  variant: string;
  source: string;
  half: VerdictsHalf;
  student: string;
  teacher: string;
  representation: VerdictsRepresentation;
  estimator: MIEstimatorName;
  /** CCH margin I(Ht;Hs) − I(Hs;Y) (nats) and its interval (NaN when the run gave none). */
  margin: number;
  marginLo: number;
  marginHi: number;
  verdict: 'helps' | 'hurts' | 'uncertain';
  /** Paired headline gain of KD over the no-KD student, mean ± sd over repeats, and its t-interval. */
  gainMean: number;
  gainSd: number;
  gainLo: number;
  gainHi: number;
  effect: Effect;
  repeats: number;
  /** Test headline metric (mean over repeats) of the teacher and of the no-KD student (the comparator 'teacher more accurate'). */
  teacherScore: number;
  studentScore: number;
  /** I(Ht;Y) and I(Hs;Y) on this representation (nats; the comparator 'I(Ht;Y) > I(Hs;Y)'). */
  miTeacherLabel: number;
  miStudentLabel: number;
}

/** The calibration of one representation × estimator over all pairs. */
export interface VerdictsScore {
  representation: VerdictsRepresentation;
  estimator: MIEstimatorName;
  pairs: number;
  /** Pairs whose margin interval excludes 0. */
  decided: number;
  decidedShare: number;
  /** Pairs whose gain interval excludes 0. */
  clear: number;
  clearShare: number;
  /** Decided and clear pairs whose verdict has the sign of the gain (a), out of decided and clear pairs (b). */
  agreed: number;
  checkable: number;
  agreement: number;
  /** Pairs whose margin interval contains 0 (or is missing). */
  undecided: number;
  /** Decided pairs without a clear gain or loss (undecided + noClearEffect + checkable = pairs, as in a run's agreement line). */
  noClearEffect: number;
  /** Spearman(margin, gain mean) over every pair with both finite. */
  spearman: number;
}

/** One runMainJob call: how long it took and how many of its stages it read back. */
export interface VerdictsCall {
  run: string;
  representation: VerdictsRepresentation;
  estimator: MIEstimatorName;
  seconds: number;
  reusedStages: number;
  /** Stages of trained models (students, teachers, KD students) in the run. */
  modelStages: number;
  /** Whether the call read back every model stage (expected for every call after a run's first). */
  reusedAllModels: boolean;
}

export interface VerdictsResult {
  experiment: 'verdicts';
  options: VerdictsOptions;
  runs: VerdictsRun[];
  pairs: number;
  rows: VerdictsPairRow[];
  /** Sources of each half (fixed by the plan before any scoring). */
  halves: Record<VerdictsHalf, string[]>;
  /** Per representation × estimator on development pairs: decided share and agreement (score.ts)… */
  table: VerdictsScore[];
  /** …and the criterion's balanced accuracy, coverage and ranking scores (calibration.ts). */
  development: DevelopmentScore[];
  /** The combination chosen on development (highest balanced accuracy); null when none could be scored. */
  choice: DevelopmentScore | null;
  /** The chosen combination's verdict against the comparators on evaluation pairs only; null without a choice. */
  evaluation: CalibrationRecord | null;
  /**
   * With replicates: the same evaluation with the bootstrap drawing variants (a source with its
   * replicates, which share its variant's settings) instead of sources; null without replicates.
   */
  evaluationByVariant: CalibrationRecord | null;
  /** How the gains ended at the run's fixed split count, each pair once (all halves). */
  gainOutcomes: Record<string, number>;
  calls: VerdictsCall[];
  wallSeconds: number;
  files: string[];
}

/** The criterion's point scores on the development pairs of one representation × estimator: what the default is chosen on. */
export interface DevelopmentScore {
  representation: VerdictsRepresentation;
  estimator: MIEstimatorName;
  pairs: number;
  balancedAccuracy: number | null;
  coverage: number | null;
  spearman: number | null;
  topOne: number | null;
}
