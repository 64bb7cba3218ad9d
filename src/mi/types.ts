/**
 * Inputs and results of the mutual-information estimators. Continuous variables are flat
 * sample-major arrays (row i is data[i*d .. (i+1)*d)); discrete variables are class indices.
 */
import type { ProgressFn } from '../util/progress.js';

/** n samples of a d-dimensional continuous variable. */
export interface ContinuousInput {
  data: Float32Array | Float64Array;
  n: number;
  d: number;
}

/** n samples of a discrete variable (class indices, any integers). */
export interface DiscreteInput {
  labels: Int32Array;
  n: number;
}

export type MIInput = ContinuousInput | DiscreteInput;

/** The selectable estimators; MI_ESTIMATORS (src/mi/registry.ts) lists their definitions' names. */
export type MIEstimatorName = 'gaussian' | 'ksg' | 'mine' | 'latent';

export type MIUnits = 'nats' | 'bits';
export const MI_UNITS: readonly MIUnits[] = ['nats', 'bits'];

/** Which resampling scheme produced the confidence interval. */
export type MIIntervalScheme = 'half-split' | 'repeated-split' | 'none';

/** Training settings of the neural estimators: MINE's statistics network and latent MI's autoencoders. */
export interface NeuralMIOptions {
  /** Hidden units per layer. */
  hidden?: number;
  /** Maximum epochs. */
  epochs?: number;
  /** Mini-batch size. */
  batchSize?: number;
  /** Adam learning rate. */
  learningRate?: number;
  /** Epochs without held-out improvement before stopping. */
  patience?: number;
  /** Fraction of samples held out (for early stopping and the reported estimate). */
  heldOut?: number;
  seed?: number;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

/** Options of estimateMI; `hidden` … `heldOut` (NeuralMIOptions) apply to MINE and latent. */
export interface MIOptions extends NeuralMIOptions {
  estimator: MIEstimatorName;
  /** Neighbours for KSG / Ross / latent (default 3, as sklearn; latent defaults to 4 as latentmi). */
  k?: number;
  /** Resamples for the interval: half-splits (gaussian, ksg: default 20; latent, each half retrained: default 3), retrainings (mine; default 3). 0 disables it. */
  bootstrap?: number;
  /** Confidence level of the interval (default 0.95). */
  ci?: number;
  units?: MIUnits;
  /**
   * Gaussian: 'auto' (default: unshrunk with the exact finite-sample bias correction when
   * well-conditioned, else Ledoit–Wolf), 'ledoit-wolf', or a fixed λ in [0, 1] toward the identity correlation.
   */
  shrinkage?: 'auto' | 'ledoit-wolf' | number;
  /** MINE: which lower bound to train and report (default 'dv'). */
  bound?: 'dv' | 'infonce';
  /** Latent: dimension of each learned representation (default 8, as latentmi). */
  latentDim?: number;
  /**
   * Discrete–discrete pairs (the plug-in estimate): add Miller's (1955) bias correction
   * (m − 1)/(2n) to each entropy, m its non-empty cells (default false, the plain plug-in).
   */
  millerMadow?: boolean;
}

export interface MIEstimate {
  value: number;
  /** Confidence interval at level settings.ci, or null when the user asked for none (bootstrap: 0). */
  ci: [number, number] | null;
  n: number;
  estimator: MIEstimatorName;
  units: MIUnits;
  /** Every setting that produced the value, for logs and reports. */
  settings: Record<string, number | string | boolean>;
}

export function isDiscrete(v: MIInput): v is DiscreteInput {
  return (v as DiscreteInput).labels !== undefined;
}
