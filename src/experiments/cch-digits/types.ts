/** The options and results of cch-digits (read by run.ts, figures.ts and index.ts). */
import type { FitSettings, GainMarginSummary, MarginEstimate, MarginEstimator, MarginSettings } from './common.js';

export interface CchDigitsOptions extends FitSettings, MarginSettings {
  outDir: string;
  /** Digits drawn (stratified) from the 10,000; split 70/10/20 per seed. */
  n: number;
  seeds: number;
  /** Gaussian blur σ (pixels) of the teacher's images, sharp to unusable. */
  sigmas: number[];
  /** KD temperatures T. */
  temperatures: number[];
  /** KD weights λ: L = (1 − λ)·CE + λ·T²·KL. */
  lambdas: number[];
  /** CNN conv filters per block and dense widths (the last is the embedding), teacher and student alike. */
  channels: number[];
  hidden: number[];
}

export interface CchDigitsRow {
  seed: number;
  sigma: number;
  temperature: number;
  lambda: number;
  teacherAcc: number;
  studentAcc: number;
  kdAcc: number;
  /** KD student − no-KD student test accuracy (same initial weights and batch order). */
  kdGain: number;
  margins: Partial<Record<MarginEstimator, MarginEstimate>>;
}

/** One (σ, T, λ) cell over seeds. */
export interface CchDigitsCell extends GainMarginSummary {
  sigma: number;
  temperature: number;
  lambda: number;
  teacherAcc: number;
  studentAcc: number;
  kdAcc: number;
}

/** One teacher quality σ: the KD gain averaged over (T, λ) per seed, then mean ± sd over seeds. */
export interface CchDigitsSigma extends GainMarginSummary {
  sigma: number;
  teacherAccMean: number;
  teacherAccSd: number;
  studentAcc: number;
  /** Smallest and largest mean gain over the (T, λ) cells. */
  kdGainMin: number;
  kdGainMax: number;
  miTeacherStudent: Partial<Record<MarginEstimator, number>>;
  miStudentLabel: Partial<Record<MarginEstimator, number>>;
}

export interface CchDigitsAgreement {
  estimator: MarginEstimator;
  /** Fraction of (σ, T, λ) cells where the sign of the mean KD gain matches the sign of the mean margin. */
  cellSignAgreement: number;
  /** Same over σ with the gain averaged over (T, λ). */
  sigmaSignAgreement: number;
  /** Spearman correlation across σ of mean gain and mean margin. */
  spearmanGainMargin: number;
}

export interface CchDigitsResult {
  options: Omit<CchDigitsOptions, 'outDir'> & { outDir: string };
  rows: CchDigitsRow[];
  cells: CchDigitsCell[];
  bySigma: CchDigitsSigma[];
  agreement: CchDigitsAgreement[];
  wallSeconds: number;
  files: string[];
}
