/**
 * The core data type: N paired samples observed in several named modalities, one label each.
 * Arrays are flat and row-major (sample-major) so they go to TF.js without copies.
 */

export type ModalityKind = 'table' | 'image';

export interface Modality {
  name: string;
  kind: ModalityKind;
  /** Per-sample shape: [d] for a table, [H, W, C] for an image. */
  shape: number[];
  /** n × prod(shape) values, sample-major. */
  data: Float32Array;
  /** Column names of a table modality. */
  columns?: string[];
  /** Where the values came from (file path, or 'digits:pixels'); used in error messages and reports. */
  source?: string;
  /** A concatenation's modalities, in order (concatModalities: the run's fusion teacher): each of their columns is one of its own. */
  parts?: string[];
}

/**
 * Paired samples in named modalities, without labels: what a command that relates modalities to
 * each other needs (a MultimodalDataset is one). A single CSV loads as one when no --label is given.
 */
export interface ModalityTable {
  name: string;
  /** Number of paired samples. */
  n: number;
  /** Modalities in their declared order; names are unique. */
  modalities: Modality[];
  description?: string;
  /** What loading changed and the user should hear about (e.g. a repeated CSV column name renamed), one line each. */
  warnings?: string[];
  /** Row names from the file, when it has them (a single CSV with pandas' index column); else rows are named by number. */
  ids?: string[];
}

export type Task = { kind: 'classification'; classes: string[] } | { kind: 'regression'; target: string };

export interface MultimodalDataset {
  name: string;
  /** Number of paired samples. */
  n: number;
  /** Modalities in their declared order; names are unique. */
  modalities: Modality[];
  task: Task;
  /** Class index per sample (classification) or target value (regression). */
  labels: Int32Array | Float32Array;
  /**
   * The labels the test rows are scored against, when they differ from the labels models train on
   * (a calibration's training-label noise: models learn from noisy labels, the test tells the truth).
   * Same rows and classes as `labels`; without it the test rows are scored against `labels`.
   */
  testLabels?: Int32Array | Float32Array;
  /** Free-form provenance for reports and model cards. */
  description?: string;
  /** What loading changed and the user should hear about (e.g. a repeated CSV column name renamed), one line each. */
  warnings?: string[];
  /** Row names of the data as loaded, when the file has them (a single CSV with pandas' index column). */
  ids?: string[];
}

/** Row indices of a train / validation / test partition. */
export interface Split {
  train: Int32Array;
  val: Int32Array;
  test: Int32Array;
  seed: number;
}
