/**
 * Stand-in for src/kd/grl.ts (owned by the KD engineer) until it lands: identity forward,
 * gradient multiplied by -lambda backward (Ganin & Lempitsky 2015).
 */
import { tf } from '../../engine/index.js';

export function gradientReversal<T extends tf.Tensor>(x: T, lambda = 1): T {
  const f = tf.customGrad((...args: (tf.Tensor | ((save: tf.Tensor[]) => void))[]) => ({
    value: (args[0] as tf.Tensor).clone(),
    gradFunc: (dy: tf.Tensor) => tf.mul(dy, -lambda),
  }));
  return f(x) as T;
}
