/** The main job's records and result: plain JSON, shared by the job and its report. */
import type { CchRepresentation, CchResult } from '../criteria/index.js';
import type { MIEstimatorName, MIUnits } from '../mi/index.js';
import type { DatasetSummary } from '../data/index.js';
import type { GainOutcome, MeanSd } from '../metrics/index.js';
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
  /** The 1-based epoch whose weights the model holds (its best validation epoch). */
  bestEpoch: number;
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
  /** Headline gain over the no-KD student, paired by repeat, summarised (distilled rows). */
  gain?: MeanSd;
  /** Its 95% interval (valid for overlapping splits and sequential looks; null with fewer than 2 splits) and what it says. */
  gainCi?: [number, number] | null;
  effect?: Effect;
}

/** A baseline beside one of the run's models (src/run/baseline.ts). */
export interface BaselineRow {
  /** 'nearest centroid' for classification, 'least squares' for regression. */
  baseline: 'nearest centroid' | 'least squares';
  /** The run's model of this modality: the no-KD student or a teacher. */
  role: 'student' | 'teacher';
  modality: string;
  /** The headline metric (weighted F1; MSE for regression). */
  metric: string;
  /** The baseline's test metric, mean ± sd over the splits of… */
  test: MeanSd;
  /** …the run's own model of the modality, over the same splits. */
  model: MeanSd;
  /** Regression: predicting the training rows' mean target for every test row, over the same splits (the same for every modality). */
  trainingMean?: MeanSd;
}

/** What a paired gain's interval says (src/metrics/gains.ts); null without any split. */
export type Effect = GainOutcome | null;

export interface TeacherOutcome {
  teacher: string;
  margin: number;
  marginCi: [number, number] | null;
  verdict: 'helps' | 'hurts' | 'uncertain';
  rank: number;
  /** Headline gain of KD from this teacher over the no-KD student, paired by repeat. */
  gain: MeanSd;
  gainCi: [number, number] | null;
  effect: Effect;
  /** The verdict agrees with the measured effect; null unless the verdict is decided and the effect clear. */
  agrees: boolean | null;
}

/** The CCH analysis settings: every cell input of an analysis cell besides its repeat and modalities. */
export interface AnalysisSettings {
  representation: CchRepresentation;
  estimator: MIEstimatorName;
  bootstrap: number;
  ci: number;
  units: MIUnits;
  mfh: boolean;
  k?: number;
  dims?: number | false;
}

/** `cmkd cch`: the run's CCH analysis alone, with the models it measured. */
export interface TeacherAnalysis extends CchResult {
  dataset: string;
  task: 'classification' | 'regression';
  representation: CchRepresentation;
  budget: string;
  /** Rows of repeat 1's split: models trained on `train`, selected on `val`; MI on the held-out (val + test) rows. */
  rows: { train: number; val: number; heldOut: number };
  models: { role: ModelRecord['role']; modality: string; repeat: number; epochs: number; val: Record<string, number>; modelDir: string }[];
  /** Rows too few for the MI estimates or the model choice (checkRows), and constant modalities, in words. */
  warnings: string[];
  /** About how the analysis ran (e.g. on one process despite --workers), when there is something to say. */
  notes?: string[];
  reusedStages: string[];
  seconds: number;
}

export interface RunResult {
  version: string;
  dataset: { name: string; n: number; summary: DatasetSummary; subsampledFrom: number | null };
  student: string;
  teachers: string[];
  budget: Budget;
  /** The budget in epochs for the training rows of the first split. */
  schedule: TrainingSchedule;
  /** 'random': repeated stratified 70/10/20 splits; 'kfold': repeated stratified k-fold (src/data/rows.ts)… */
  splits: 'random' | 'kfold';
  /** …with k = `folds` (5 below 300 rows, else 10). */
  folds: number;
  methods: string[];
  headline: { metric: string; higherIsBetter: boolean };
  /** The CCH analysis settings and its result, combined over repeats. */
  analysis: AnalysisSettings;
  cch: CchResult;
  recommended: string;
  records: ModelRecord[];
  /** The deploy decision (src/run/decide.ts DEPLOY_RULE) and how the sequential splits ended. */
  decision: RunDecision;
  table: MethodRow[];
  outcomes: TeacherOutcome[];
  /** The baseline of the student's and each teacher's table modality, beside the run's own model (baseline.ts): nearest centroid, or for regression least squares and the training mean. */
  baselines?: BaselineRow[];
  /** Verdicts against measured effects (run/job.ts agreementOf). */
  agreement: { agree: number; decidedAndClear: number; undecided: number; noClearEffect: number };
  /** The deployed student; beatsStudent: a distilled student with a clear gain (else the no-KD student). */
  best: { label: string; modelDir: string; sourceDir: string; valHeadline: MeanSd; testHeadline: MeanSd; beatsStudent: boolean };
  /** report.html, relative to the run folder. */
  report: string;
  verdict: string;
  /** Rows too few to trust a result (checkRows), and modalities with constant input, as plain sentences with the numbers. */
  warnings: string[];
  /** How the run ran when worth saying (e.g. on one process despite --workers), then schedules the budget does not finish (e.g. DKD's 20-epoch warm-up in 6 epochs), once each. */
  notes: string[];
  reusedStages: string[];
  seconds: number;
}

/** How a plan of gains decided (the run's and the sweep's): the rule, its sentence, the design of the gains and how many splits it took. */
export interface Decision {
  /** DEPLOY_RULE, in words. */
  rule: string;
  /** The rule applied, with its numbers. */
  sentence: string;
  /** The deployed distilled student's row label; null: the student alone. */
  chosen: string | null;
  /** Family-wise error of the claim that the deployed student's gain is above 0 (one-sided). */
  familywiseError: number;
  /** Planned split counts at which the gains were looked at; the last is the cap. */
  looks: number[];
  /** Practical margin δ of the headline gain. */
  delta: number;
  /** Splits of the most-trained student. */
  splitsUsed: number;
  /** Distilled students still undecided (at the cap: more splits would be needed). */
  undecided: number;
  /** With some gains undecided at the cap: the next step (src/run/decide.ts nextStep); null otherwise. */
  next: NextStep | null;
}

/**
 * The next look's cap, about how many models and seconds reaching it costs, how many of the gains
 * undecided at the cap it could decide if their spread between splits stays as it is, and the
 * widest of their half-widths at the cap and (projected) at the next cap.
 */
export interface NextStep {
  maxRepeats: number;
  models: number;
  seconds: number;
  decidable: number;
  halfWidth: { now: number; next: number };
  /** Whether the splits up to maxRepeats share test rows (random splits, or k-fold past one round): their interval has a floor. */
  overlapping: boolean;
}

/** How a run decided, with the teachers its method family ran from and its next step. */
export interface RunDecision extends Decision {
  /** Teachers the method family ran from (the largest plain-KD gain at some look). */
  familyFrom: string[];
}
