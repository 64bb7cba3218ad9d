/**
 * Logit standardisation (LSKD; Sun et al., CVPR 2024): a Z-score of each row of logits before
 * the temperature softmax, so the student matches the teacher's logit relations rather than
 * their magnitude. A switch (`lskd: true`) on every logit method.
 *
 * Follows the reference code (sunshangquan/logit-standardization-KD, `normalize`): mean and
 * the unbiased (n − 1) standard deviation over classes, ε = 1e-7 added to the deviation. The
 * task CE always sees the raw logits. With LSKD on, the reference's training script
 * (tools/train.py `--logit-stand --base-temp 2 --kd-weight 9`) changes the defaults to those
 * in LSKD_DEFAULTS; explicit settings still win.
 */
import { tf } from '../engine/index.js';

export const LSKD_EPSILON = 1e-7;

/** Defaults the reference uses when logit standardisation is on. */
export const LSKD_DEFAULTS = {
  /** Base temperature (KD, DKD, MLKD). */
  temperature: 2,
  /** Weight of the KD term (KD, MLKD, CTKD); DKD's α and β are multiplied by it. */
  kdWeight: 9,
  /** CE weight for KD and MLKD: the reference cfg's CE_WEIGHT = 0.1, which --logit-stand leaves unchanged; CTKD keeps its 0.1. */
  taskWeight: 0.1,
} as const;

// Z-score over classes (Sun et al. 2024; reference `normalize`): (z − mean(z)) / (std(z) + ε), std with n − 1
export function standardizeLogits(logits: tf.Tensor2D): tf.Tensor2D {
  const classes = logits.shape[1];
  const centred = tf.sub(logits, tf.mean(logits, 1, true));
  const unbiasedVariance = tf.div(tf.sum(tf.square(centred), 1, true), Math.max(classes - 1, 1));
  // The floor keeps the gradient finite for a constant row (sqrt′(0) = ∞); it is far below ε.
  const std = tf.sqrt(tf.maximum(unbiasedVariance, 1e-24));
  return tf.div(centred, tf.add(std, LSKD_EPSILON)) as tf.Tensor2D;
}

/** Standardises the logits when the switch is on, else returns them unchanged. */
export function maybeStandardize(logits: tf.Tensor2D, on: boolean | undefined): tf.Tensor2D {
  return on ? standardizeLogits(logits) : logits;
}
