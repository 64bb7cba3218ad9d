/** The main job's records and result: plain JSON, shared by the job and its report. */
import type { CchResult } from '../criteria/index.js';
import type { DatasetSummary } from '../data/index.js';
import type { MeanSd } from '../metrics/index.js';
import type { EpochRecord } from '../train/index.js';
import type { Budget, TrainingSchedule } from './budget.js';

/** What one trained model scored (stage result; plain JSON). */
export interface ModelRecord {
  /** 'student', 'teacher', or a distilled student. */
  role: 'student' | 'teacher' | 'distilled';
  modality: string;
  repeat: number;
  /** Distilled: the method label (e.g. 'DKD+LS') and the teacher modality. */
  method?: string;
  methodId?: string;
  teacher?: string;
  test: Record<string, number>;
  val: Record<string, number>;
  history: Pick<EpochRecord, 'epoch' | 'trainLoss' | 'valLoss' | 'valMetric'>[];
  confusion?: number[][];
  modelDir: string;
  seconds: number;
  /** Distilled: schedules this budget does not finish (scheduleNotes), in words. */
  notes?: string[];
}

export interface MethodRow {
  /** 'TEACHER (pixels)', 'STUDENT', 'KDv2 ← pixels', … */
  label: string;
  role: ModelRecord['role'];
  modality: string;
  teacher?: string;
  methodId?: string;
  test: Record<string, MeanSd>;
  val: Record<string, MeanSd>;
  /** Headline gain over the no-KD student, per repeat, summarised (distilled rows). */
  gain?: MeanSd;
}

export interface TeacherOutcome {
  teacher: string;
  margin: number;
  marginCi: [number, number] | null;
  verdict: 'helps' | 'hurts' | 'uncertain';
  rank: number;
  /** Headline gain of KD from this teacher over the no-KD student. */
  gain: MeanSd;
  /** Measured sign of the gain agrees with the verdict (null when the verdict is uncertain). */
  agrees: boolean | null;
}

export interface RunResult {
  version: string;
  dataset: { name: string; n: number; summary: DatasetSummary; subsampledFrom: number | null };
  student: string;
  teachers: string[];
  budget: Budget;
  /** The budget in epochs for the training rows of the first split. */
  schedule: TrainingSchedule;
  /** 'random': repeated stratified 70/10/20 splits; 'kfold': repeated stratified 5-fold (small data). */
  splits: 'random' | 'kfold';
  methods: string[];
  headline: { metric: string; higherIsBetter: boolean };
  cch: CchResult;
  recommended: string;
  records: ModelRecord[];
  table: MethodRow[];
  outcomes: TeacherOutcome[];
  best: { label: string; modelDir: string; sourceDir: string; valHeadline: MeanSd; testHeadline: MeanSd; beatsStudent: boolean };
  /** report.html, relative to the run folder. */
  report: string;
  verdict: string;
  /** Rows too few to trust a result (checkRows), as plain sentences with the numbers. */
  warnings: string[];
  /** Schedules the budget does not finish (e.g. DKD's 20-epoch warm-up in 6 epochs), once each. */
  notes: string[];
  reusedStages: string[];
  seconds: number;
}
