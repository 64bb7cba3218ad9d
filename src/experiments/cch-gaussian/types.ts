/** The options and results of cch-gaussian (read by run.ts, figures.ts and index.ts). */
import type { ExperimentContext } from '../types.js';
import type { CchStructure } from './model.js';

export type TeacherData = 'independent' | 'same';

export interface CchGaussianOptions {
  /** Training rows for the student (and the teacher). */
  n: number;
  /** Dimension of each modality. */
  p: number;
  /** KD weights λ (the baseline λ = 0 is always trained). */
  lambdas: number[];
  /** Seeds per setting. */
  seeds: number;
  /** Settings in the sweep (spread over the three families of settings.ts). */
  settings: number;
  /** Base seed; seed s of every setting uses the same random stream (common random numbers). */
  seed: number;
  /** Test rows for the measured MSE. */
  nTest: number;
  /** Held-out rows used by the sample MI estimators. */
  miSamples: number;
  teacherData: TeacherData;
  /** Full-batch Adam steps and learning rate for the gradient-trained students. */
  adamSteps: number;
  learningRate: number;
  /** Loadings seed of the latent-factor model (the same covariance family for every setting). */
  loadingSeed: number;
  /** Write results (incrementally) and figures here; nothing is written when absent. */
  outDir?: string;
  /** Skip the figures (results only). */
  noFigures?: boolean;
  quick?: boolean;
}

/** One (setting, seed, λ) measurement. */
export interface CchRow {
  setting: string;
  family: string;
  knob: number;
  seed: number;
  lambda: number;
  /** Exact CCH margin with the population teacher (setting-level). */
  miMargin: number;
  /** Test MSE of the no-KD student (Adam) and the KD change, Adam and closed form. */
  mse0Adam: number;
  deltaMseAdam: number;
  deltaMseClosedForm: number;
  /** Exact test-risk change of the fitted weights (no test-set noise). */
  deltaRiskAdam: number;
  deltaRiskClosedForm: number;
  /** E[R(λ)] − E[R(0)] over training sets, given this seed's fitted teacher. */
  deltaRiskTheory: number;
  /** Population change t²D (≥ 0). */
  deltaRiskPopulation: number;
  /** Exact-risk gap between the Adam and closed-form students at this λ. */
  adamMinusClosedFormRisk: number;
}

/** Per-seed MI estimates (nats) against the exact values for the fitted teacher. */
export interface CchMiRow {
  setting: string;
  seed: number;
  miTeacherStudentExact: number;
  miStudentLabelExact: number;
  miTeacherStudentGaussian: number;
  miStudentLabelGaussian: number;
  miTeacherStudentKsg: number;
  miStudentLabelKsg: number;
  marginExact: number;
  marginGaussian: number;
  marginKsg: number;
}

/** Per-(setting, λ) aggregate over seeds. */
export interface CchSettingSummary {
  setting: string;
  family: string;
  knob: number;
  structure: CchStructure;
  labelNoise: number;
  lambda: number;
  miTeacherStudent: number;
  miStudentLabel: number;
  miMargin: number;
  /** Mean over seeds of the sample margins. */
  miMarginGaussian: number;
  miMarginKsg: number;
  /** Theory at the population teacher. */
  misfit: number;
  slopeAtZero: number;
  optimalLambda: number;
  deltaRiskTheory: number;
  deltaRiskPopulation: number;
  meanDeltaMseAdam: number;
  sdDeltaMseAdam: number;
  meanDeltaMseClosedForm: number;
  meanDeltaRiskAdam: number;
  cchPredictsHelp: boolean;
  theoryPredictsHelp: boolean;
  measuredHelps: boolean;
  agreesWithCch: boolean;
  agreesWithTheory: boolean;
}

export interface CchAgreement {
  lambda: number;
  settings: number;
  /** Fraction of settings where sign(mean ΔMSE, Adam) matches the CCH prediction (exact margin). */
  agreeCch: number;
  /** Same, with the sign of the Gaussian / KSG sample margin as the prediction. */
  agreeCchGaussian: number;
  agreeCchKsg: number;
  /** Fraction of (setting, seed) pairs whose own ΔMSE sign matches the CCH prediction. */
  agreeCchPerSeed: number;
  /** Fraction of settings where the measured sign matches the exact finite-sample expectation. */
  agreeTheory: number;
  /** Settings where the measured KD change is negative (KD helped). */
  helped: number;
  cchPredictedHelp: number;
}

export interface CchGaussianResult {
  experiment: 'cch-gaussian';
  options: CchGaussianOptions;
  /** False when interrupted: the finished settings are all there. */
  complete: boolean;
  settingsDone: number;
  settingsTotal: number;
  rows: CchRow[];
  mi: CchMiRow[];
  summary: CchSettingSummary[];
  agreement: CchAgreement[];
  adamCheck: { maxAbsRiskGap: number; meanAbsRiskGap: number; maxAbsDeltaMseGap: number };
  miCheck: { estimator: string; quantity: string; meanAbsError: number; maxAbsError: number }[];
  wallSeconds: number;
  files: string[];
}

/** Progress, cancellation and resume of a run (the experiment context). */
export type RunContext = ExperimentContext;

/** Dense theory curves along each family, for the figures (population teacher). */
export interface CchTheoryPoint {
  family: string;
  knob: number;
  lambda: number;
  miMargin: number;
  deltaRiskTheory: number;
  deltaRiskPopulation: number;
}
