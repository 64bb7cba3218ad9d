import type { tf } from '../engine/index.js';

/**
 * What a distillation objective sees for one mini-batch. The teacher is frozen: its outputs
 * are inputs here, never differentiated.
 */
export interface DistillBatch {
  /** Student logits, [B, C] (classification) or predictions [B, 1] (regression). */
  studentLogits: tf.Tensor2D;
  /** Student penultimate embedding, [B, Ds]. */
  studentEmbedding: tf.Tensor2D;
  /** Teacher logits / predictions for the same samples, [B, C] or [B, 1]. */
  teacherLogits: tf.Tensor2D;
  /** Teacher penultimate embedding, [B, Dt]. */
  teacherEmbedding: tf.Tensor2D;
  /** Class indices (int32, [B]) or regression targets (float32, [B]). */
  labels: tf.Tensor1D;
  /** 0-based epoch, for warm-ups and curricula. */
  epoch: number;
  totalEpochs: number;
  /**
   * Optional second, strongly augmented view of the same samples (MLKD's strong branch):
   * student and teacher logits [B, C]. Only methods that use it read it (MLKD with
   * `strongView: true`); the others ignore it.
   */
  studentLogitsStrong?: tf.Tensor2D;
  teacherLogitsStrong?: tf.Tensor2D;
}

/** An optimiser of a method's own variables: SGD with momentum and L2 weight decay, at a constant learning rate. */
export interface ObjectiveOptimizer {
  name: 'sgd';
  lr: number;
  momentum: number;
  weightDecay: number;
}

/**
 * A knowledge-distillation method as the trainer uses it: the student's total loss for a
 * batch (task term included), plus any variables of its own that the optimiser must update
 * (CTKD's temperature, a feature-KD projection).
 */
export interface DistillObjective {
  readonly name: string;
  /** The full settings, recorded in logs and model cards. */
  readonly settings: Record<string, number | string | boolean>;
  /** Variables the method owns, optimised jointly with the student. */
  readonly variables: tf.Variable[];
  /** When set, the trainer steps `variables` with this optimiser instead of the student's (CTKD's θ). */
  readonly optimizer?: ObjectiveOptimizer;
  /** Total loss for the batch (scalar). Called inside the trainer's gradient tape. */
  loss(batch: DistillBatch): tf.Scalar;
  /** Report label, e.g. "DKD+LS" (see describeMethod in src/kd/objective.ts). */
  readonly label?: string;
  /**
   * The weighted terms whose sum is `loss(batch)` (e.g. { task, tckd, nckd }), for logging.
   * Call inside tf.tidy like `loss`.
   */
  lossTerms?(batch: DistillBatch): Record<string, tf.Scalar>;
  /** Scalar state worth logging per epoch (CTKD: current temperature and λ). Reads variables synchronously. */
  diagnostics?(epoch: number, totalEpochs: number): Record<string, number>;
  /**
   * True when the loss needs the strong-augmentation view in every batch (MLKD with its strong
   * view on): the trainer then fills studentLogitsStrong/teacherLogitsStrong.
   */
  readonly strongView?: boolean;
  /** Release the method's variables. */
  dispose(): void;
}
