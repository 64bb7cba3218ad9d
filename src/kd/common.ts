/**
 * Building blocks shared by the distillation losses: label masks, temperature-scaled KL,
 * shape checks (the task losses are in losses.ts). Pure functions of tensors; call them inside tf.tidy (or a gradient tape).
 */
import { tf } from '../engine/index.js';
import { fusedSoftTargetLoss } from '../engine/kernels/softmax-losses.js';
import { check } from '../util/errors.js';

/** A temperature given as a number or, for CTKD, as a learnable scalar tensor. */
export type Temperature = number | tf.Scalar;

/** Checks that student and teacher logits are [B, C] with C ≥ 2 and labels are [B]. */
export function checkLogitBatch(method: string, studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, labels?: tf.Tensor1D): void {
  check(
    studentLogits.rank === 2,
    () => `${method}: student logits must be [batch, classes], got shape [${studentLogits.shape.join(', ')}]`,
  );
  check(
    teacherLogits.rank === 2 && teacherLogits.shape[0] === studentLogits.shape[0] && teacherLogits.shape[1] === studentLogits.shape[1],
    () =>
      `${method}: teacher logits shape [${teacherLogits.shape.join(', ')}] must equal student logits shape [${studentLogits.shape.join(', ')}]`,
  );
  check(studentLogits.shape[1] >= 2, () => `${method}: needs at least 2 classes, got logits of shape [${studentLogits.shape.join(', ')}]`);
  check(studentLogits.shape[0] >= 1, () => `${method}: empty batch`);
  if (labels) {
    check(
      labels.rank === 1 && labels.shape[0] === studentLogits.shape[0],
      () => `${method}: labels must be [${studentLogits.shape[0]}] (one class index per row), got shape [${labels.shape.join(', ')}]`,
    );
  }
}

/** One-hot [B, C] float mask of the labels. */
export function labelMask(labels: tf.Tensor1D, classes: number): tf.Tensor2D {
  const indices = labels.dtype === 'int32' ? labels : tf.cast(labels, 'int32');
  return tf.cast(tf.oneHot(indices as tf.Tensor1D, classes), 'float32') as tf.Tensor2D;
}

export function divideByTemperature(logits: tf.Tensor2D, temperature: Temperature): tf.Tensor2D {
  return tf.div(logits, temperature) as tf.Tensor2D;
}

export function temperatureSquared(temperature: Temperature): tf.Scalar | number {
  return typeof temperature === 'number' ? temperature * temperature : tf.square(temperature);
}

// KL(softmax(t/T) ‖ softmax(s/T)) per row, computed in the log domain: Σ_c p_t (log p_t − log p_s)
export function rowKl(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, temperature: Temperature): tf.Tensor1D {
  const logPs = tf.logSoftmax(divideByTemperature(studentLogits, temperature));
  const logPt = tf.logSoftmax(divideByTemperature(teacherLogits, temperature));
  return tf.sum(tf.mul(tf.exp(logPt), tf.sub(logPt, logPs)), 1) as tf.Tensor1D;
}

// Hinton's soft term: T² · (1/B) Σ_i KL(softmax(t_i/T) ‖ softmax(s_i/T))   (a fixed T on wasm: one kernel, the same float32 operations)
export function softTargetLoss(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, temperature: Temperature): tf.Scalar {
  const fused = typeof temperature === 'number' ? fusedSoftTargetLoss(studentLogits, teacherLogits, temperature) : null;
  if (fused) return fused;
  return tf.mul(tf.mean(rowKl(studentLogits, teacherLogits, temperature)), temperatureSquared(temperature)) as tf.Scalar;
}

/** Sum of named terms, the total loss. */
export function sumTerms(terms: Record<string, tf.Scalar>): tf.Scalar {
  const values = Object.values(terms);
  return (values.length === 1 ? tf.add(values[0], 0) : tf.addN(values)) as tf.Scalar;
}

/** Multiplies a term by a weight (number), skipping the op when the weight is 1. */
export function weighted(weight: number, term: tf.Scalar): tf.Scalar {
  return weight === 1 ? term : (tf.mul(term, weight) as tf.Scalar);
}
