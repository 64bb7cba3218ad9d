/** The options and results of the fusion experiment (read by run.ts, figures.ts and index.ts). */
import type { FitSettings, GainMarginSummary, MarginEstimate, MarginEstimator, MarginSettings } from '../cch-digits/common.js';

export type TeacherKind = 'single' | 'early-fusion' | 'late-fusion';

export interface FusionOptions extends FitSettings, MarginSettings {
  outDir: string;
  n: number;
  seeds: number;
  /** Views fused by the fusion teachers; each also gets its own single-view teacher. */
  modalities: string[];
  student: string;
  temperature: number;
  lambda: number;
  /** CNN (image views): conv filters and dense widths. MLP (tables and early fusion): hidden widths. */
  channels: number[];
  cnnHidden: number[];
  mlpHidden: number[];
}

export interface FusionRow {
  seed: number;
  teacher: string;
  kind: TeacherKind;
  teacherAcc: number;
  studentAcc: number;
  kdAcc: number;
  kdGain: number;
  margins: Partial<Record<MarginEstimator, MarginEstimate>>;
}

export interface FusionTeacherSummary extends GainMarginSummary {
  teacher: string;
  kind: TeacherKind;
  teacherAccMean: number;
  teacherAccSd: number;
  studentAcc: number;
  kdAccMean: number;
}

export interface FusionComparison {
  /** Student alone (its view only at test time). */
  studentAlone: number;
  /** Best single-view teacher by mean KD gain, and its KD student's accuracy. */
  bestSingleTeacher: string;
  bestSingleKd: number;
  earlyFusionKd: number;
  lateFusionKd: number;
  /** The early-fusion model used directly (every view needed at test time). */
  directFusion: number;
  /** Per estimator: Spearman over teachers of mean gain vs mean margin, sign agreement, and whether the top-margin teacher is the top-gain one. */
  criteria: { estimator: MarginEstimator; spearman: number; signAgreement: number; topMarginTeacher: string; topGainTeacher: string }[];
}

export interface FusionResult {
  options: FusionOptions;
  rows: FusionRow[];
  teachers: FusionTeacherSummary[];
  comparison: FusionComparison;
  wallSeconds: number;
  files: string[];
}
