/** The options and results of cch-noise (read by run.ts, figures.ts and index.ts). */
import type { FitSettings, GainMarginSummary, MarginEstimate, MarginEstimator, MarginSettings } from '../cch-digits/common.js';

export interface CchNoiseOptions extends FitSettings, MarginSettings {
  outDir: string;
  n: number;
  seeds: number;
  /** Noise sd as multiples ε of the teacher's logit scale. */
  noise: number[];
  teacher: string;
  student: string;
  temperature: number;
  /** KD weight λ in (1 − λ)·CE + λ·T²·KL. */
  lambda: number;
  channels: number[];
  hidden: number[];
}

export interface CchNoiseRow {
  seed: number;
  /** ε: noise sd in units of the teacher's logit scale. */
  noise: number;
  /** The noise sd in logit units. */
  noiseSd: number;
  teacherAcc: number;
  /** Accuracy of the arg-max of the noisy held-out logits. */
  noisyTeacherAcc: number;
  studentAcc: number;
  kdAcc: number;
  kdGain: number;
  margins: Partial<Record<MarginEstimator, MarginEstimate>>;
}

export interface CchNoiseLevel extends GainMarginSummary {
  noise: number;
  noisyTeacherAcc: number;
  studentAcc: number;
  kdAcc: number;
  miTeacherStudent: Partial<Record<MarginEstimator, number>>;
  miStudentLabel: Partial<Record<MarginEstimator, number>>;
}

export interface CchNoiseCrossings {
  /** ε where the mean KD gain changes sign (linear interpolation between levels). */
  gain: number[];
  /** ε where each estimator's mean margin crosses zero. */
  margin: Partial<Record<MarginEstimator, number[]>>;
  /** The smallest level from which the mean gain (the mean margin) stays negative; NaN if it does not end negative. */
  gainNegativeFrom: number;
  marginNegativeFrom: Partial<Record<MarginEstimator, number>>;
}

export interface CchNoiseResult {
  options: CchNoiseOptions;
  rows: CchNoiseRow[];
  levels: CchNoiseLevel[];
  crossings: CchNoiseCrossings;
  wallSeconds: number;
  files: string[];
}
