/**
 * Inputs and results of the teacher-selection criteria (CCH margin, MFH shared information).
 * Representations are flat sample-major arrays, row i = data[i*d .. (i+1)*d), the same rows
 * (same samples, same order) for the student, every teacher and the labels.
 */
import type { MIEstimatorName, MIOptions, MIUnits } from '../mi/index.js';
import type { ProgressFn } from '../util/progress.js';

/**
 * Which representation of a trained model the CCH analysis measures: `output`, the model's
 * outputs (logits; the predicted value for regression): the theorem's w₁ᵀx₁ and w*ᵀx₂ with C
 * outputs; `predicted`, the predicted class (classification; discrete, so every MI term is the
 * plug-in estimate); `embedding`, the penultimate layer; `latent`, low-dimensional codes of the
 * embedding learned by the latent MI estimator's autoencoders (so it goes with estimator
 * 'latent' only).
 */
export type CchRepresentation = 'output' | 'predicted' | 'embedding' | 'latent';
export const CCH_REPRESENTATIONS: readonly CchRepresentation[] = ['output', 'predicted', 'embedding', 'latent'];

/** n samples of a d-dimensional representation, or (`labels`) of a discrete one. */
export type Representation = ContinuousRepresentation | DiscreteRepresentation;

export interface ContinuousRepresentation {
  data: Float32Array | Float64Array;
  n: number;
  d: number;
}

/** n class indices (e.g. a model's predicted classes). */
export interface DiscreteRepresentation {
  labels: Int32Array;
  n: number;
}

export interface NamedRepresentation {
  name: string;
  h: Representation;
}

/** CCH verdict: the margin's interval above 0 (helps), below 0 (hurts), or straddling 0 (uncertain). */
export type Verdict = 'helps' | 'hurts' | 'uncertain';
export const VERDICTS: readonly Verdict[] = ['helps', 'hurts', 'uncertain'];

/** A point estimate with its confidence interval (null when no resampling was asked for). */
export interface Estimate {
  value: number;
  ci: [number, number] | null;
  /** Standard error behind the interval (before clipping at 0) and its degrees of freedom (absent: a normal interval). */
  se?: number;
  df?: number;
  /** Combined over repeats: how many finite repeats it used (criteria/repeats.ts). */
  repeats?: number;
  /** Combined over repeats: what the interval leaves out or fills in (dropped repeats, a missing se). */
  note?: string;
}

/** MI-estimator settings passed through to src/mi (networks for mine/latent, shrinkage for gaussian). */
export type MiPassThrough = Pick<
  MIOptions,
  'shrinkage' | 'bound' | 'hidden' | 'epochs' | 'batchSize' | 'learningRate' | 'patience' | 'heldOut' | 'latentDim' | 'millerMadow'
>;

export interface CchEstimationOptions {
  /** MI estimator (default 'ksg'). */
  estimator?: MIEstimatorName;
  /** Neighbours for ksg / latent (estimateMI's defaults otherwise). */
  k?: number;
  seed?: number;
  /**
   * Resamples for the intervals: paired half-splits for gaussian / ksg (default 10), paired
   * reruns for mine / latent (default 3). 0: point estimates only.
   */
  bootstrap?: number;
  /** Confidence level (default 0.95). */
  ci?: number;
  units?: MIUnits;
  /**
   * Reduce every representation wider than this to its top principal components before
   * estimation (default 8 for gaussian / ksg, 32 for mine / latent, which learn their own
   * codes); false keeps the representations as given.
   */
  dims?: number | false;
  /** Also estimate the MFH view: I(Ht;Y), I(Ht,Hs;Y), co-information and shared fraction (default true). */
  mfh?: boolean;
  mi?: MiPassThrough;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

export interface CchFromRepresentationsInput extends CchEstimationOptions {
  student: NamedRepresentation;
  teachers: NamedRepresentation[];
  /** Class indices (classification) or a continuous target (regression), one per row. */
  labels: Int32Array | Float32Array | Float64Array;
}

/** The Modality Focusing Hypothesis view of one teacher–student pair. */
export interface MfhView {
  /** I(Ht;Y). */
  miTeacherLabel: Estimate;
  /** I(Ht,Hs;Y), from the concatenated representation, floored at max(I(Ht;Y), I(Hs;Y)) (chain rule). */
  miJointLabel: Estimate;
  /** Co-information I(Ht;Hs;Y) = I(Ht;Y) + I(Hs;Y) − I(Ht,Hs;Y): label information both carry (negative: synergy dominates). */
  shared: Estimate;
  /** γ-like shared fraction: shared / I(Ht;Y) (NaN when I(Ht;Y) is 0). */
  sharedFraction: Estimate;
  /** Upper bound on the shared label information: min(I(Ht;Y), I(Hs;Y)) (minimum-MI redundancy). */
  redundancyBound: Estimate;
}

export interface TeacherScore {
  teacher: string;
  /** I(Ht;Hs). */
  miTeacherStudent: Estimate;
  /** I(Hs;Y) (the same for every teacher; repeated for tables). */
  miStudentLabel: Estimate;
  /** CCH margin I(Ht;Hs) − I(Hs;Y); > 0 predicts that KD from this teacher helps. */
  margin: Estimate;
  verdict: Verdict;
  /** 1 = largest margin. */
  rank: number;
  mfh?: MfhView;
  /** The margin of each repeat (combined results only). */
  marginByRepeat?: number[];
}

/** How one modality's representation was formed. */
export interface RepresentationInfo {
  name: string;
  /** Width as given (raw features or embedding). */
  d: number;
  /** Width the estimators saw. */
  dEstimated: number;
  /** Fraction of variance kept by the PCA reduction (1 when not reduced). */
  explained: number;
}

export interface CchResult {
  student: string;
  /** I(Hs;Y). */
  miStudentLabel: Estimate;
  /** One entry per teacher, best first. */
  teachers: TeacherScore[];
  /** Teacher names, best margin first. */
  ranking: string[];
  estimator: MIEstimatorName;
  units: MIUnits;
  /** Rows the MI was estimated on. */
  n: number;
  /** 'half-split' (gaussian / ksg), 'repeated-split' (mine / latent) or 'none'. */
  interval: 'half-split' | 'repeated-split' | 'none';
  resamples: number;
  ciLevel: number;
  representations: RepresentationInfo[];
  /** Every setting that produced the numbers. */
  settings: Record<string, number | string | boolean>;
  /** Repeats combined (criteria/repeats.ts); absent: one set of representations. */
  repeats?: number;
}
