/**
 * Gradient reversal layer (Ganin & Lempitsky, 2015): identity in the forward pass, the
 * upstream gradient multiplied by −λ in the backward pass. CTKD uses it on its temperature
 * so the temperature maximises the distillation loss the student minimises; DisCoM-KD reuses it.
 */
import { tf } from '../engine/index.js';
import { check } from '../util/errors.js';

// GRL_λ(x) = x;  ∂GRL_λ(x)/∂x = −λ·I
export function gradientReversal<T extends tf.Tensor>(x: T, lambda: number): T {
  check(Number.isFinite(lambda), () => `gradientReversal: λ must be a finite number, got ${lambda}`);
  const reverse = tf.customGrad((input: tf.Tensor | tf.GradSaveFunc) => {
    const value = tf.clone(input as tf.Tensor) as T;
    return { value, gradFunc: (dy: T) => tf.mul(dy, -lambda) };
  });
  return reverse(x) as T;
}
