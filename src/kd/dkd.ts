/**
 * Decoupled knowledge distillation (Zhao et al., CVPR 2022). KD splits into a target-class
 * term (TCKD: binary KL between [p_gt, 1 − p_gt] of teacher and student) and a non-target
 * term (NCKD: KL between the distributions renormalised over the non-target classes),
 * weighted by α and β, with a linear warm-up of the distillation part.
 *
 * Matches the reference (megvii-research/mdistiller, distillers/DKD.py) except that every
 * log is taken in the log domain: log(1 − p_gt) = logsumexp_{j≠gt}(z) − logsumexp(z), and
 * the non-target softmax excludes the target class exactly instead of subtracting 1000 from
 * its logit. The values agree with the reference wherever the reference is finite; the
 * reference's torch.log(p) gives −inf/NaN once p_gt underflows (e.g. logits ±1000), ours stays
 * finite.
 */
import { tf } from '../engine/index.js';
import { checkLogitBatch, labelMask, sumTerms, temperatureSquared, weighted, type Temperature } from './common.js';
import { crossEntropy } from './losses.js';
import { LSKD_DEFAULTS, maybeStandardize } from './lskd.js';
import { num, type MethodDefinition } from './method.js';

export interface DkdLossOptions {
  /** Weight of TCKD. */
  alpha: number;
  /** Weight of NCKD. */
  beta: number;
  temperature: Temperature;
  /** Weight of CE(y, s). */
  taskWeight: number;
  /** Multiplies α·TCKD + β·NCKD (the warm-up, see dkdWarmupFactor); default 1. */
  warmupFactor?: number;
  /** LSKD switch. */
  standardize?: boolean;
}

// Reference warm-up: min(epoch / warmup, 1) with 1-based epochs, i.e. min((e + 1)/W, 1) for 0-based e
export function dkdWarmupFactor(epoch: number, warmupEpochs: number): number {
  return warmupEpochs <= 0 ? 1 : Math.min((epoch + 1) / warmupEpochs, 1);
}

/** Log-probabilities of DKD's two views of softmax(z): binary [log p_gt, log(1 − p_gt)] and the non-target distribution. */
function decoupledLogProbs(
  z: tf.Tensor2D,
  gtMask: tf.Tensor2D,
  gtBool: tf.Tensor2D,
): { logTarget: tf.Tensor1D; logNonTarget: tf.Tensor1D; logOthers: tf.Tensor2D } {
  const lseAll = tf.logSumExp(z, 1);
  // The target logit pushed to −1e30 drops out of the sum exactly (exp underflows to 0).
  const lseOthers = tf.logSumExp(tf.sub(z, tf.mul(gtMask, 1e30)), 1);
  const logTarget = tf.sub(tf.sum(tf.mul(z, gtMask), 1), lseAll) as tf.Tensor1D;
  const logNonTarget = tf.sub(lseOthers, lseAll) as tf.Tensor1D;
  // log p̂_j = z_j − logsumexp_{k≠gt}(z_k) for j ≠ gt; the target entry is set to 0 and masked out later.
  const logOthers = tf.where(gtBool, tf.zerosLike(z), tf.sub(z, tf.expandDims(lseOthers, 1))) as tf.Tensor2D;
  return { logTarget, logNonTarget, logOthers };
}

// L = w·CE(y, s) + f(e)·(α·TCKD + β·NCKD), TCKD = T²·KL(b_t ‖ b_s), NCKD = T²·KL(p̂_t ‖ p̂_s)   (Zhao et al. 2022; mdistiller DKD.py)
export function dkdTerms(
  studentLogits: tf.Tensor2D,
  teacherLogits: tf.Tensor2D,
  labels: tf.Tensor1D,
  options: DkdLossOptions,
): { task: tf.Scalar; tckd: tf.Scalar; nckd: tf.Scalar } {
  checkLogitBatch('dkd', studentLogits, teacherLogits, labels);
  const classes = studentLogits.shape[1];
  const gtMask = labelMask(labels, classes);
  const gtBool = tf.cast(gtMask, 'bool') as tf.Tensor2D;
  const otherMask = tf.sub(1, gtMask);
  const zs = tf.div(maybeStandardize(studentLogits, options.standardize), options.temperature) as tf.Tensor2D;
  const zt = tf.div(maybeStandardize(teacherLogits, options.standardize), options.temperature) as tf.Tensor2D;
  const s = decoupledLogProbs(zs, gtMask, gtBool);
  const t = decoupledLogProbs(zt, gtMask, gtBool);
  const t2 = temperatureSquared(options.temperature);
  const factor = options.warmupFactor ?? 1;

  // KL(b_t ‖ b_s) = Σ_{k∈{gt, ¬gt}} b_t,k (log b_t,k − log b_s,k)
  const tckdRows = tf.add(
    tf.mul(tf.exp(t.logTarget), tf.sub(t.logTarget, s.logTarget)),
    tf.mul(tf.exp(t.logNonTarget), tf.sub(t.logNonTarget, s.logNonTarget)),
  );
  // KL(p̂_t ‖ p̂_s) = Σ_{j≠gt} p̂_t,j (log p̂_t,j − log p̂_s,j)
  const nckdRows = tf.sum(tf.mul(otherMask, tf.mul(tf.exp(t.logOthers), tf.sub(t.logOthers, s.logOthers))), 1);

  const tckd = tf.mul(tf.mean(tckdRows), t2) as tf.Scalar;
  const nckd = tf.mul(tf.mean(nckdRows), t2) as tf.Scalar;
  return {
    task: weighted(options.taskWeight, crossEntropy(studentLogits, labels)),
    tckd: weighted(factor * options.alpha, tckd),
    nckd: weighted(factor * options.beta, nckd),
  };
}

export function dkdLoss(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, labels: tf.Tensor1D, options: DkdLossOptions): tf.Scalar {
  return sumTerms(dkdTerms(studentLogits, teacherLogits, labels, options));
}

export const dkd: MethodDefinition = {
  name: 'dkd',
  label: 'DKD',
  reference: 'Zhao et al., CVPR 2022; mdistiller cfg.py CFG.DKD (CE 1, α 1, β 8, T 4, warm-up 20 epochs) and distillers/DKD.py',
  family: 'logit',
  options: ['alpha', 'beta', 'temperature', 'taskWeight', 'warmupEpochs'],
  resolve(r, { task, lskd }) {
    // Under LSKD the reference multiplies α and β, given or default, by its KD weight 9 (tools/train.py).
    const scale = lskd ? LSKD_DEFAULTS.kdWeight : 1;
    return {
      task,
      alpha: r.number('alpha', 1, { min: 0 }) * scale,
      beta: r.number('beta', 8, { min: 0 }) * scale,
      temperature: r.number('temperature', lskd ? LSKD_DEFAULTS.temperature : 4, { above: 0 }),
      taskWeight: r.number('taskWeight', 1, { min: 0 }),
      // Reference cfg DKD.WARMUP = 20 epochs, counted as the reference counts them (not scaled to short runs).
      warmupEpochs: r.number('warmupEpochs', 20, { min: 0, integer: true }),
      lskd,
    };
  },
  build: (s) => ({
    terms: (b) =>
      dkdTerms(b.studentLogits, b.teacherLogits, b.labels, {
        alpha: num(s, 'alpha'),
        beta: num(s, 'beta'),
        temperature: num(s, 'temperature'),
        taskWeight: num(s, 'taskWeight'),
        warmupFactor: dkdWarmupFactor(b.epoch, num(s, 'warmupEpochs')),
        standardize: s.lskd === true,
      }),
    diagnostics: (epoch) => ({ warmupFactor: dkdWarmupFactor(epoch, num(s, 'warmupEpochs')) }),
  }),
  scheduleNotes(s, epochs) {
    const w = num(s, 'warmupEpochs');
    if (w <= epochs) return [];
    const reached = dkdWarmupFactor(epochs - 1, w);
    return [
      `warm-up is ${w} epochs (reference) and this run has ${epochs}: the run stays in the warm-up, its distillation terms reach ${reached.toFixed(2)} of full weight`,
    ];
  },
};
