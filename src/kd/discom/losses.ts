/**
 * The DisCoM-KD loss terms (Ienco & Fraga Dantas, BMVC 2024, Sec. 3) as pure tensor
 * functions. The heads are passed in as functions so the terms can be tested on their own.
 */
import { tf } from '../../engine/index.js';
import { gradientReversal } from '../grl.js';
import { crossEntropy } from '../losses.js';

/** How L_⊥ penalises the cosine between two embeddings: |cos| (default) or cos². */
export type OrthPenalty = 'abs' | 'square';

/**
 * Row-wise cosine similarity of a and b ([B, D] each), with the norms floored at `eps`
 * (as torch's F.normalize) so an all-zero row (a dead ReLU embedding) gives 0, and a zero
 * gradient, rather than NaN. The floor is taken before the square root for that reason.
 */
export function rowCosine(a: tf.Tensor2D, b: tf.Tensor2D, eps = 1e-6): tf.Tensor1D {
  return tf.tidy(() => {
    const safeNorm = (x: tf.Tensor2D) => tf.sqrt(tf.maximum(tf.sum(tf.square(x), 1), eps * eps));
    const na = safeNorm(a);
    const nb = safeNorm(b);
    return tf.div(tf.sum(tf.mul(a, b), 1), tf.mul(na, nb)) as tf.Tensor1D;
  });
}

/**
 * Orthogonality penalty between paired embeddings (L_⊥, Eq. 6): the batch mean of |cos| or
 * cos² of each row pair — 0 when every pair is orthogonal, 1 when every pair is collinear.
 * The reference code uses the signed cosine, which equals |cos| there because both
 * embeddings come out of a ReLU; |cos| keeps that meaning for embeddings of either sign.
 */
export function orthogonalityLoss(a: tf.Tensor2D, b: tf.Tensor2D, penalty: OrthPenalty = 'abs'): tf.Scalar {
  return tf.tidy(() => {
    const cos = rowCosine(a, b);
    return tf.mean(penalty === 'abs' ? tf.abs(cos) : tf.square(cos)) as tf.Scalar;
  });
}

/** A classification head: embedding [B, D] → logits [B, K]. */
export type Head = (z: tf.Tensor2D) => tf.Tensor2D;

/**
 * Modality-classification loss of `head` on embeddings `zs[m]` from each modality m, the
 * label of a row being its modality index (L_mod, Eq. 4): mean CE over all rows.
 */
export function modalityLoss(head: Head, zs: tf.Tensor2D[]): tf.Scalar {
  return tf.tidy(() => {
    const labels = tf.concat(zs.map((z, m) => tf.fill([z.shape[0]], m, 'int32'))) as tf.Tensor1D;
    return crossEntropy(head(tf.concat(zs) as tf.Tensor2D), labels);
  });
}

/**
 * Adversarial modality loss on the invariant embeddings (L_adv, Eq. 3): the modality
 * classifier sees z_inv through a gradient-reversal layer, so minimising the sum trains the
 * classifier to tell modalities apart and the encoders to make them indistinguishable.
 */
export function adversarialLoss(head: Head, zInvs: tf.Tensor2D[], lambda: number): tf.Scalar {
  return modalityLoss((z) => head(gradientReversal(z, lambda) as tf.Tensor2D), zInvs);
}

/** Task loss of one classifier shared across modalities on embeddings zs[m] (L_aux, Eq. 5). */
export function sharedTaskLoss(head: Head, zs: tf.Tensor2D[], labels: tf.Tensor1D[]): tf.Scalar {
  return tf.tidy(() => crossEntropy(head(tf.concat(zs) as tf.Tensor2D), tf.concat(labels) as tf.Tensor1D));
}
