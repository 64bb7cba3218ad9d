/** The options and results of mfh-synthetic (read by run.ts, figures.ts and index.ts). */
import type { MfhMode } from './data.js';

export interface MfhOptions {
  outDir: string;
  /** Seeds per setting (the paper: 10). */
  seeds: number;
  nTrain: number;
  nTest: number;
  epochs: number;
  learningRate: number;
  /** Shared decisive dimensions swept in γ mode, and teacher-only ones in α mode. */
  gammaSweep: number[];
  alphaSweep: number[];
  /** k of the KSG / Ross estimators of the CCH margin. */
  k: number;
}

export interface MfhRow {
  mode: MfhMode;
  vary: number;
  gamma: number;
  alpha: number;
  seed: number;
  teacherAcc: number;
  studentAcc: number;
  kdAcc: number;
  /** KD student − no-KD student accuracy. */
  kdGain: number;
  /** I(H1;H2): teacher logit margin vs no-KD student logit margin, KSG on the test set (nats). */
  miTeacherStudent: number;
  /** I(H2;Y): student logit margin vs label, Ross estimator on the test set (nats). */
  miStudentLabel: number;
  cchMargin: number;
}

export interface MfhSummaryRow {
  mode: MfhMode;
  vary: number;
  gamma: number;
  alpha: number;
  teacherAcc: number;
  studentAcc: number;
  kdAcc: number;
  kdGainMean: number;
  kdGainSd: number;
  cchMarginMean: number;
  cchMarginSd: number;
  seeds: number;
}

export interface MfhResult {
  options: Omit<MfhOptions, 'outDir'>;
  rows: MfhRow[];
  summary: MfhSummaryRow[];
  /** Rank correlation across settings of KD gain with γ, with teacher accuracy, with the CCH margin. */
  correlations: { gainVsGamma: number; gainVsTeacherAcc: number; gainVsCchMargin: number };
  files: string[];
}
