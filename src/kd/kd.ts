/**
 * Vanilla knowledge distillation (Hinton et al., 2015), written with separate weights so that
 * both the convex form L = α·CE + (1 − α)·T²·KL (DisCoM-KD's KDv1: α = 0, KDv2: α = 0.5) and
 * the LSKD reference form L = 1·CE + 9·T²·KL are the same function.
 */
import { tf } from '../engine/index.js';
import { checkLogitBatch, softTargetLoss, sumTerms, weighted, type Temperature } from './common.js';
import { crossEntropy } from './losses.js';
import { maybeStandardize } from './lskd.js';

export interface KdLossOptions {
  temperature: Temperature;
  /** Weight of CE(y, s): α in the convex form. */
  taskWeight: number;
  /** Weight of T²·KL: 1 − α in the convex form. */
  kdWeight: number;
  /** LSKD: Z-score both logit rows before the temperature softmax (the CE keeps raw logits). */
  standardize?: boolean;
}

// L = w_task·CE(y, s) + w_kd·T²·KL(softmax(t/T) ‖ softmax(s/T))   (Hinton et al., 2015, §2)
export function kdTerms(
  studentLogits: tf.Tensor2D,
  teacherLogits: tf.Tensor2D,
  labels: tf.Tensor1D,
  options: KdLossOptions,
): { task: tf.Scalar; kd: tf.Scalar } {
  checkLogitBatch('kd', studentLogits, teacherLogits, labels);
  const s = maybeStandardize(studentLogits, options.standardize);
  const t = maybeStandardize(teacherLogits, options.standardize);
  return {
    task: weighted(options.taskWeight, crossEntropy(studentLogits, labels)),
    kd: weighted(options.kdWeight, softTargetLoss(s, t, options.temperature)),
  };
}

export function kdLoss(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, labels: tf.Tensor1D, options: KdLossOptions): tf.Scalar {
  return sumTerms(kdTerms(studentLogits, teacherLogits, labels, options));
}
