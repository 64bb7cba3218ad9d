/**
 * Multi-level logit distillation (Jin et al., CVPR 2023): the student's and teacher's
 * predictions are aligned at several temperatures ("prediction augmentation") on three levels:
 * instance (KL per sample), batch (the B×B Gram matrix of predictions, PPᵀ) and class (the
 * C×C matrix PᵀP).
 *
 * Follows the reference (Jin-Ying/Multi-Level-Logit-Distillation, distillers/KD_ours.py, as
 * copied to MLKD.py in the LSKD repository):
 *  - temperatures [T, 3, 5, 2, 6] with base T (4 by default, 2 under LSKD, which repeats 2);
 *  - the weak-view instance and batch terms are multiplied by the fraction of samples whose
 *    teacher confidence max softmax(t) is ≤ the batch median, and the class term by the
 *    fraction of classes whose summed teacher probability is ≤ the median over classes. That
 *    is the reference's effective computation: it multiplies the batch-mean loss by the boolean
 *    mask and averages (`(kd_loss(...) * mask).mean()`), so the mask scales rather than selects;
 *  - LSKD standardises the logits of the instance term only, as the reference does;
 *  - the optional strong-augmentation view adds CE and unmasked instance terms at all
 *    temperatures. Deviation: the reference's strong sum takes its T = 2 and T = 6 terms from
 *    the weak logits (a copy-paste slip); we use the strong logits. Its strong batch and class
 *    terms are computed but never added to the loss; we leave them out too.
 * The trainer builds the strong view (src/train/strong.ts: the reference's RandAugment policy
 * restricted to float images, a marginal corruption for tables) and runs the frozen teacher on
 * it; `strongView: false` keeps the weak-view objective alone.
 */
import { tf } from '../engine/index.js';
import { checkLogitBatch, rowKl, sumTerms, weighted } from './common.js';
import { check } from '../util/errors.js';
import { crossEntropy } from './losses.js';
import { LSKD_DEFAULTS, maybeStandardize } from './lskd.js';
import { num, type MethodDefinition } from './method.js';

/** The extra temperatures the reference uses besides the base T. */
export const MLKD_EXTRA_TEMPERATURES: readonly number[] = [3, 5, 2, 6];

export function mlkdTemperatures(baseTemperature: number): number[] {
  return [baseTemperature, ...MLKD_EXTRA_TEMPERATURES];
}

export interface MlkdLossOptions {
  /** Base temperature T; the levels use [T, 3, 5, 2, 6]. */
  temperature: number;
  taskWeight: number;
  kdWeight: number;
  /** LSKD switch (instance level only, as in the reference). */
  standardize?: boolean;
}

export interface MlkdStrongView {
  studentLogits: tf.Tensor2D;
  teacherLogits: tf.Tensor2D;
}

// numpy.percentile(x, 50) (linear interpolation) of a 1-D tensor: mean of the two middle order statistics
function median(x: tf.Tensor1D): tf.Scalar {
  const n = x.shape[0];
  const descending = tf.topk(x, n, true).values;
  const lo = Math.floor((n - 1) / 2);
  const hi = Math.ceil((n - 1) / 2);
  return tf.mul(0.5, tf.add(tf.slice(descending, [lo], [1]), tf.slice(descending, [hi], [1]))).reshape([]) as tf.Scalar;
}

/** Fraction of entries ≤ their median: the reference's `mask.mean()` factor. */
function fractionAtOrBelowMedian(x: tf.Tensor1D): tf.Scalar {
  return tf.mean(tf.cast(tf.lessEqual(x, median(x)), 'float32')) as tf.Scalar;
}

// Batch level: ‖Q Qᵀ − P Pᵀ‖²_F / B with P = softmax(s/T), Q = softmax(t/T)   (reference bc_loss)
export function batchLevelLoss(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, temperature: number): tf.Scalar {
  const p = tf.softmax(tf.div(studentLogits, temperature)) as tf.Tensor2D;
  const q = tf.softmax(tf.div(teacherLogits, temperature)) as tf.Tensor2D;
  const gramDiff = tf.sub(tf.matMul(q, q, false, true), tf.matMul(p, p, false, true));
  return tf.div(tf.sum(tf.square(gramDiff)), studentLogits.shape[0]) as tf.Scalar;
}

// Class level: ‖Qᵀ Q − Pᵀ P‖²_F / C   (reference cc_loss)
export function classLevelLoss(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, temperature: number): tf.Scalar {
  const p = tf.softmax(tf.div(studentLogits, temperature)) as tf.Tensor2D;
  const q = tf.softmax(tf.div(teacherLogits, temperature)) as tf.Tensor2D;
  const gramDiff = tf.sub(tf.matMul(q, q, true, false), tf.matMul(p, p, true, false));
  return tf.div(tf.sum(tf.square(gramDiff)), studentLogits.shape[1]) as tf.Scalar;
}

// Instance level: T²·(1/B) Σ_i KL(softmax(t_i/T) ‖ softmax(s_i/T))   (reference kd_loss)
function instanceLevelLoss(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, temperature: number): tf.Scalar {
  return tf.mul(tf.mean(rowKl(studentLogits, teacherLogits, temperature)), temperature * temperature) as tf.Scalar;
}

// L = w_task·Σ_views CE + w_kd·Σ_T [m̄·(ins_T + bat_T) + m̄_c·cls_T] (weak) + w_kd·Σ_T ins_T (strong)
export function mlkdTerms(
  studentLogits: tf.Tensor2D,
  teacherLogits: tf.Tensor2D,
  labels: tf.Tensor1D,
  options: MlkdLossOptions,
  strong?: MlkdStrongView,
): { task: tf.Scalar; instance: tf.Scalar; batch: tf.Scalar; class: tf.Scalar } {
  checkLogitBatch('mlkd', studentLogits, teacherLogits, labels);
  if (strong) checkLogitBatch('mlkd (strong view)', strong.studentLogits, strong.teacherLogits, labels);
  const temperatures = mlkdTemperatures(options.temperature);

  const teacherProbs = tf.softmax(teacherLogits) as tf.Tensor2D;
  const sampleMaskFraction = fractionAtOrBelowMedian(tf.max(teacherProbs, 1) as tf.Tensor1D);
  const classMaskFraction = fractionAtOrBelowMedian(tf.sum(teacherProbs, 0) as tf.Tensor1D);

  const sWeak = maybeStandardize(studentLogits, options.standardize);
  const tWeak = maybeStandardize(teacherLogits, options.standardize);
  const instanceWeak = tf.addN(temperatures.map((T) => instanceLevelLoss(sWeak, tWeak, T)));
  const batch = tf.addN(temperatures.map((T) => batchLevelLoss(studentLogits, teacherLogits, T)));
  const cls = tf.addN(temperatures.map((T) => classLevelLoss(studentLogits, teacherLogits, T)));

  let instance = tf.mul(instanceWeak, sampleMaskFraction) as tf.Scalar;
  let task = crossEntropy(studentLogits, labels);
  if (strong) {
    const sStrong = maybeStandardize(strong.studentLogits, options.standardize);
    const tStrong = maybeStandardize(strong.teacherLogits, options.standardize);
    const instanceStrong = tf.addN(temperatures.map((T) => instanceLevelLoss(sStrong, tStrong, T)));
    instance = tf.add(instance, instanceStrong) as tf.Scalar;
    task = tf.add(task, crossEntropy(strong.studentLogits, labels)) as tf.Scalar;
  }
  return {
    task: weighted(options.taskWeight, task),
    instance: weighted(options.kdWeight, instance),
    batch: weighted(options.kdWeight, tf.mul(batch, sampleMaskFraction) as tf.Scalar),
    class: weighted(options.kdWeight, tf.mul(cls, classMaskFraction) as tf.Scalar),
  };
}

export function mlkdLoss(
  studentLogits: tf.Tensor2D,
  teacherLogits: tf.Tensor2D,
  labels: tf.Tensor1D,
  options: MlkdLossOptions,
  strong?: MlkdStrongView,
): tf.Scalar {
  return sumTerms(mlkdTerms(studentLogits, teacherLogits, labels, options, strong));
}

export const mlkd: MethodDefinition = {
  name: 'mlkd',
  label: 'MLKD',
  reference:
    'Jin et al., CVPR 2023; Jin-Ying/Multi-Level-Logit-Distillation cfg.py (CE 0.1, KD 0.9, T 4), KD_ours.py, strong view of mdistiller/dataset/cifar100.py',
  family: 'logit',
  options: ['taskWeight', 'kdWeight', 'temperature', 'strongView'],
  resolve: (r, { task, lskd }) => ({
    task,
    taskWeight: r.number('taskWeight', lskd ? LSKD_DEFAULTS.taskWeight : 0.1, { min: 0 }),
    kdWeight: r.number('kdWeight', lskd ? LSKD_DEFAULTS.kdWeight : 0.9, { min: 0 }),
    temperature: r.number('temperature', lskd ? LSKD_DEFAULTS.temperature : 4, { above: 0 }),
    // The reference trains on a weak and a strong-augmentation view (src/train/strong.ts); false = weak view only.
    strongView: r.bool('strongView', true),
    lskd,
  }),
  describe: (s) => (s.strongView ? 'MLKD' : 'MLKD(weak)'),
  build: (s) => ({
    strongView: s.strongView === true,
    terms: (b) => {
      let strong: MlkdStrongView | undefined;
      if (s.strongView) {
        check(
          b.studentLogitsStrong !== undefined && b.teacherLogitsStrong !== undefined,
          'mlkd: strongView is on but the batch has no studentLogitsStrong/teacherLogitsStrong (strong-augmentation view)',
        );
        strong = { studentLogits: b.studentLogitsStrong, teacherLogits: b.teacherLogitsStrong };
      }
      const options = {
        temperature: num(s, 'temperature'),
        taskWeight: num(s, 'taskWeight'),
        kdWeight: num(s, 'kdWeight'),
        standardize: s.lskd === true,
      };
      return mlkdTerms(b.studentLogits, b.teacherLogits, b.labels, options, strong);
    },
  }),
};
