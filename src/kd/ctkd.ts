/**
 * Curriculum temperature KD (Li et al., AAAI 2023), global-temperature variant. The KD
 * temperature is learned: T = T_start + T_range·sigmoid(θ), with θ behind a gradient reversal
 * layer so that θ ascends the distillation loss the student descends (an adversarially harder
 * curriculum), and the reversal strength λ rising on a cosine curriculum.
 *
 * Defaults follow the reference (zhengli97/CTKD, models/temp_global.py `Global_T`,
 * train_student.py and scripts/run_cifar_distill.sh): θ₀ = 1 (torch.ones), T_start = 1,
 * T_range = 20 (`--t_end 20`, so T₀ ≈ 15.6), loss 0.1·CE + 0.9·T²·KL, and the reversal
 * factor `decay_value` following CosineDecay(max 0, min −1, loops 10) evaluated at the 1-based
 * epoch: λ = (1 − cos(π·min(e, 10)/10))/2 for e = 1, 2, … (ours: e = epoch + 1). The reference
 * multiplies θ's gradient by decay_value ∈ [−1, 0]; we write that as −λ with λ ∈ [0, 1].
 */
import { tf } from '../engine/index.js';
import { checkLogitBatch, softTargetLoss, sumTerms, weighted } from './common.js';
import { crossEntropy } from './losses.js';
import { gradientReversal } from './grl.js';
import { maybeStandardize } from './lskd.js';

export interface CtkdCurriculum {
  /** λ at the first epoch's start of the curve (reference: −decay_max = 0). */
  lambdaMin: number;
  /** λ reached after lambdaEpochs (reference: −decay_min = 1). */
  lambdaMax: number;
  /** Length of the cosine ramp in epochs (reference: decay_loops = 10); 0 = λ_max from the start. */
  lambdaEpochs: number;
}

// λ(e) = λ_min + (λ_max − λ_min)·(1 − cos(π·min(e + 1, E)/E))/2, e 0-based   (reference CosineDecay, train_student.py)
export function ctkdLambda(epoch: number, curriculum: CtkdCurriculum): number {
  const { lambdaMin, lambdaMax, lambdaEpochs } = curriculum;
  if (lambdaEpochs <= 0) return lambdaMax;
  const i = Math.min(Math.max(epoch + 1, 0), lambdaEpochs);
  return lambdaMin + ((lambdaMax - lambdaMin) * (1 - Math.cos((Math.PI * i) / lambdaEpochs))) / 2;
}

// T = T_start + T_range·sigmoid(GRL_λ(θ))   (reference Global_T + train_distill)
export function ctkdTemperature(theta: tf.Tensor, lambda: number, tStart: number, tRange: number): tf.Scalar {
  const reversed = gradientReversal(tf.reshape(theta, []) as tf.Scalar, lambda);
  return tf.add(tStart, tf.mul(tRange, tf.sigmoid(reversed))) as tf.Scalar;
}

export interface CtkdLossOptions {
  taskWeight: number;
  kdWeight: number;
  /** T_start: the temperature's lower bound. */
  tStart: number;
  /** T_range: T ∈ (T_start, T_start + T_range). */
  tRange: number;
  /** Gradient-reversal strength for this epoch (see ctkdLambda). */
  lambda: number;
  /** LSKD switch. */
  standardize?: boolean;
}

// L = w_task·CE(y, s) + w_kd·T(θ)²·KL(softmax(t/T(θ)) ‖ softmax(s/T(θ))), θ updated with reversed gradient
export function ctkdTerms(
  studentLogits: tf.Tensor2D,
  teacherLogits: tf.Tensor2D,
  labels: tf.Tensor1D,
  theta: tf.Tensor,
  options: CtkdLossOptions,
): { task: tf.Scalar; kd: tf.Scalar } {
  checkLogitBatch('ctkd', studentLogits, teacherLogits, labels);
  const temperature = ctkdTemperature(theta, options.lambda, options.tStart, options.tRange);
  const s = maybeStandardize(studentLogits, options.standardize);
  const t = maybeStandardize(teacherLogits, options.standardize);
  return {
    task: weighted(options.taskWeight, crossEntropy(studentLogits, labels)),
    kd: weighted(options.kdWeight, softTargetLoss(s, t, temperature)),
  };
}

export function ctkdLoss(
  studentLogits: tf.Tensor2D,
  teacherLogits: tf.Tensor2D,
  labels: tf.Tensor1D,
  theta: tf.Tensor,
  options: CtkdLossOptions,
): tf.Scalar {
  return sumTerms(ctkdTerms(studentLogits, teacherLogits, labels, theta, options));
}
