/** Small TF.js helpers for the KD tests: run a loss and read it, its gradient, and its tensor leaks. */
import { tf } from '../../engine/index.js';
import { numericGradient, type Rows } from './reference64.js';

export function logits(rows: Rows): tf.Tensor2D {
  return tf.tensor2d(rows);
}

export function classLabels(labels: number[]): tf.Tensor1D {
  return tf.tensor1d(labels, 'int32');
}

/** Evaluates a scalar-valued tensor function inside tidy and returns its value. */
export function valueOf(f: () => tf.Scalar): number {
  const out = tf.tidy(f);
  const v = out.dataSync()[0];
  out.dispose();
  return v;
}

/** Gradient of f with respect to a [B, C] input given as rows. */
export function gradientOf(f: (x: tf.Tensor2D) => tf.Scalar, x: Rows): Rows {
  const input = logits(x);
  const g = tf.tidy(() => tf.grad((t: tf.Tensor) => f(t as tf.Tensor2D))(input));
  const values = g.arraySync() as Rows;
  g.dispose();
  input.dispose();
  return values;
}

/** Number of tensors a call of f inside tidy leaves behind (its result disposed). */
export function tensorsLeftBy(f: () => tf.Tensor): number {
  const before = tf.memory().numTensors;
  const out = tf.tidy(f);
  out.dispose();
  return tf.memory().numTensors - before;
}

export function maxAbsDiff(a: Rows, b: Rows): number {
  let m = 0;
  a.forEach((row, i) => row.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i][j])))));
  return m;
}

/** Largest gap between the TF.js gradient of `loss` at x and central differences of its float64 `reference`. */
export function gradientGap(loss: (x: tf.Tensor2D) => tf.Scalar, reference: (x: Rows) => number, x: Rows): number {
  return maxAbsDiff(gradientOf(loss, x), numericGradient(reference, x));
}
