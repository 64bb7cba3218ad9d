/**
 * The task losses, each written once: cross-entropy on class indices, squared error, and the
 * task loss that picks one of them for the task (classification CE, regression MSE). Mean forms
 * are the per-batch losses every trainer and KD method minimises; sum forms add batches up for
 * validation. One argument order throughout: (task,) outputs, labels. Call inside tf.tidy or a
 * gradient tape.
 */
import { tf } from '../engine/index.js';
import { fusedCrossEntropy } from '../engine/kernels/softmax-losses.js';
import { check } from '../util/errors.js';
import { labelMask } from './common.js';

export type TaskKind = 'classification' | 'regression';

// log p(y_i | s_i) = log softmax(s_i)[y_i], one value per row
function labelLogProbs(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  return tf.sum(tf.mul(labelMask(labels, logits.shape[1]), tf.logSoftmax(logits)), 1) as tf.Tensor1D;
}

// CE(y, s) = −(1/B) Σ_i log softmax(s_i)[y_i]   (on wasm one kernel with the same float32 operations: engine/kernels/softmax-losses.ts)
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return fusedCrossEntropy(logits, labels, 'mean') ?? (tf.neg(tf.mean(labelLogProbs(logits, labels))) as tf.Scalar);
}

// Σ_i −log softmax(s_i)[y_i]
export function crossEntropySum(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return fusedCrossEntropy(logits, labels, 'sum') ?? (tf.neg(tf.sum(labelLogProbs(logits, labels))) as tf.Scalar);
}

// (y_i − ŷ_i)², one value per row, for predictions [B, 1] against targets [B]
function squaredErrors(predictions: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
  check(
    predictions.rank === 2 && predictions.shape[1] === 1 && targets.rank === 1 && targets.shape[0] === predictions.shape[0],
    () => `regression: predictions must be [B, 1] and targets [B], got [${predictions.shape.join(', ')}] and [${targets.shape.join(', ')}]`,
  );
  const y = targets.dtype === 'float32' ? targets : tf.cast(targets, 'float32');
  return tf.squaredDifference(tf.reshape(predictions, [-1]), y) as tf.Tensor1D;
}

// MSE(y, ŷ) = (1/B) Σ_i (y_i − ŷ_i)²
export function meanSquaredError(predictions: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  return tf.mean(squaredErrors(predictions, targets));
}

// SSE(y, ŷ) = Σ_i (y_i − ŷ_i)²
export function squaredErrorSum(predictions: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  return tf.sum(squaredErrors(predictions, targets));
}

function checkClassification(logits: tf.Tensor2D, labels: tf.Tensor1D): void {
  check(
    logits.rank === 2 && labels.rank === 1 && labels.shape[0] === logits.shape[0],
    () => `classification: logits must be [B, C] and labels [B], got [${logits.shape.join(', ')}] and [${labels.shape.join(', ')}]`,
  );
}

// ℓ_task(y, f(x)) = CE(y, f(x)) (classification) or MSE(y, f(x)) (regression, f(x) ∈ ℝ^{B×1})
export function taskLoss(task: TaskKind, outputs: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  if (task === 'regression') return meanSquaredError(outputs, labels);
  checkClassification(outputs, labels);
  return crossEntropy(outputs, labels);
}

// B·ℓ_task: Σ_i −log softmax(s_i)[y_i] (classification) or Σ_i (y_i − ŷ_i)² (regression)
export function taskLossSum(task: TaskKind, outputs: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  if (task === 'regression') return squaredErrorSum(outputs, labels);
  checkClassification(outputs, labels);
  return crossEntropySum(outputs, labels);
}
