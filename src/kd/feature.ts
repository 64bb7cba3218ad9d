/**
 * Feature (and output) distillation by regression, as in the CCH objective: the student
 * minimises Σ‖y − f(x₂)‖² + λ·Σ‖f(x₂) − f_t(x₁)‖² (regression), or CE + λ·‖g(h_s) − h_t‖² on
 * penultimate embeddings, with g an optional learned linear projection when the sizes differ.
 * Sums are taken as means (over the batch, and over output / embedding dimensions), so λ
 * does not depend on the batch size.
 */
import { tf } from '../engine/index.js';
import { check } from '../util/errors.js';
import { sumTerms, weighted } from './common.js';
import { taskLoss, type TaskKind } from './losses.js';

/** A linear map g(h) = h·W + b from student to teacher embedding size. */
export interface Projection {
  weight: tf.Tensor2D;
  bias: tf.Tensor1D;
}

// g(h_s) = h_s·W + b
export function project(embedding: tf.Tensor2D, projection: Projection | null): tf.Tensor2D {
  return projection ? (tf.add(tf.matMul(embedding, projection.weight), projection.bias) as tf.Tensor2D) : embedding;
}

// Mean squared distance (1/(B·D)) Σ_i ‖a_i − b_i‖²
export function meanSquaredDistance(a: tf.Tensor2D, b: tf.Tensor2D, what: string): tf.Scalar {
  check(
    a.rank === 2 && b.rank === 2 && a.shape[0] === b.shape[0] && a.shape[1] === b.shape[1],
    () => `feature: ${what} shapes differ: student [${a.shape.join(', ')}] vs teacher [${b.shape.join(', ')}]`,
  );
  return tf.mean(tf.squaredDifference(a, b)) as tf.Scalar;
}

export interface FeatureLossOptions {
  task: TaskKind;
  /** 'output': distil logits / predictions; 'embedding': distil penultimate embeddings. */
  mode: 'output' | 'embedding';
  taskWeight: number;
  /** λ. */
  kdWeight: number;
}

export interface FeatureInputs {
  studentOutput: tf.Tensor2D;
  teacherOutput: tf.Tensor2D;
  studentEmbedding: tf.Tensor2D;
  teacherEmbedding: tf.Tensor2D;
  labels: tf.Tensor1D;
}

// L = w_task·ℓ(y, f(x₂)) + λ·mean‖g(h_s) − h_t‖²  (embedding)  or  + λ·mean‖f(x₂) − f_t(x₁)‖²  (output)
export function featureTerms(
  inputs: FeatureInputs,
  options: FeatureLossOptions,
  projection: Projection | null = null,
): { task: tf.Scalar; feature: tf.Scalar } {
  const task = taskLoss(options.task, inputs.studentOutput, inputs.labels);
  const distance =
    options.mode === 'output'
      ? meanSquaredDistance(inputs.studentOutput, inputs.teacherOutput, 'output')
      : meanSquaredDistance(project(inputs.studentEmbedding, projection), inputs.teacherEmbedding, 'embedding (after projection)');
  return { task: weighted(options.taskWeight, task), feature: weighted(options.kdWeight, distance) };
}

export function featureLoss(inputs: FeatureInputs, options: FeatureLossOptions, projection: Projection | null = null): tf.Scalar {
  return sumTerms(featureTerms(inputs, options, projection));
}
