/** Task losses of plain training and of validation (call inside tf.tidy or a gradient tape). */
import { tf } from '../engine/index.js';
import type { ModelTask } from '../models/index.js';

// CE = −(1/B) Σ_i log softmax(z_i)[y_i]; MSE = (1/B) Σ_i (y_i − ŷ_i)²
export function taskLoss(logits: tf.Tensor, labels: tf.Tensor1D, task: ModelTask): tf.Scalar {
  return tf.div(taskLossSum(logits, labels, task), logits.shape[0]) as tf.Scalar;
}

/** Σ over the batch of the per-sample task loss (CE or squared error). */
export function taskLossSum(logits: tf.Tensor, labels: tf.Tensor1D, task: ModelTask): tf.Scalar {
  if (task === 'regression') return tf.sum(tf.square(tf.sub(tf.reshape(logits, [-1]), labels)));
  const oneHot = tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, logits.shape[1] as number);
  return tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits as tf.Tensor2D)))) as tf.Scalar;
}

/** Σ over the batch of the validation metric's numerator: correct predictions, or squared error. */
export function metricSum(logits: tf.Tensor, labels: tf.Tensor1D, task: ModelTask): tf.Scalar {
  if (task === 'regression') return tf.sum(tf.square(tf.sub(tf.reshape(logits, [-1]), labels)));
  return tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.cast(labels, 'int32')), 'float32'));
}
