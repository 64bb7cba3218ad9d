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
 *
 * θ is stepped by its own SGD, as in the reference, where θ sits in the student's
 * `optim.SGD(trainable_list.parameters(), lr, momentum 0.9, weight_decay 5e-4)` with lr 0.05
 * (run_cifar_distill.sh): a plain gradient step, so θ's step is proportional to λ and the
 * curriculum ramps the temperature's motion. Under the student's Adam (cmkd's budgets) the
 * step is ≈ lr·sign(g) whatever λ is: λ cancels and the curriculum is lost. The reference's
 * lr decays (×0.1 at epochs 150/180/210) lie beyond cmkd's budgets, so θ's lr is constant.
 */
import { tf } from '../engine/index.js';
import { checkLogitBatch, softTargetLoss, sumTerms, weighted } from './common.js';
import { crossEntropy } from './losses.js';
import { gradientReversal } from './grl.js';
import { check } from '../util/errors.js';
import { LSKD_DEFAULTS, maybeStandardize } from './lskd.js';
import { num, type MethodDefinition, type ResolvedSettings } from './method.js';

/** θ's optimiser in the reference: train_student.py `optim.SGD(..., momentum, weight_decay)`, run_cifar_distill.sh `--learning_rate 0.05`. */
export const CTKD_THETA_SGD = { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 } as const;

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

export const ctkd: MethodDefinition = {
  name: 'ctkd',
  label: 'CTKD',
  reference:
    'Li et al., AAAI 2023; zhengli97/CTKD train_student.py and scripts/run_cifar_distill.sh (-r 0.1 -a 0.9, t_start 1, t_end 20, CosineDecay 10 epochs)',
  family: 'logit',
  options: [
    'alpha',
    'taskWeight',
    'kdWeight',
    'tStart',
    'tRange',
    'thetaInit',
    'lambdaMin',
    'lambdaMax',
    'lambdaEpochs',
    'thetaLr',
    'thetaMomentum',
    'thetaWeightDecay',
  ],
  resolve(r, { task, lskd }) {
    const w = r.weightPair({ taskWeight: 0.1, kdWeight: lskd ? LSKD_DEFAULTS.kdWeight : 0.9 });
    const lambdaMin = r.number('lambdaMin', 0, { min: 0 });
    const lambdaMax = r.number('lambdaMax', 1, { min: 0 });
    check(lambdaMin <= lambdaMax, () => `ctkd: lambdaMin (${lambdaMin}) must be ≤ lambdaMax (${lambdaMax})`, 'invalid-option');
    const thetaMomentum = r.number('thetaMomentum', CTKD_THETA_SGD.momentum, { min: 0 });
    check(thetaMomentum < 1, () => `ctkd: thetaMomentum must be < 1, got ${thetaMomentum}`, 'invalid-option');
    return {
      task,
      taskWeight: w.taskWeight,
      kdWeight: w.kdWeight,
      tStart: r.number('tStart', 1, { above: 0 }),
      tRange: r.number('tRange', 20, { min: 0 }),
      thetaInit: r.number('thetaInit', 1),
      lambdaMin,
      lambdaMax,
      // Reference CosineDecay(loops 10): a 10-epoch ramp, not scaled to short runs.
      lambdaEpochs: r.number('lambdaEpochs', 10, { min: 0, integer: true }),
      // θ's own SGD (reference: the student's SGD, lr 0.05, momentum 0.9, weight decay 5e-4).
      thetaLr: r.number('thetaLr', CTKD_THETA_SGD.lr, { above: 0 }),
      thetaMomentum,
      thetaWeightDecay: r.number('thetaWeightDecay', CTKD_THETA_SGD.weightDecay, { min: 0 }),
      lskd,
    };
  },
  build(s) {
    const thetaInit = tf.scalar(num(s, 'thetaInit'));
    const theta = tf.variable(thetaInit, true);
    thetaInit.dispose();
    const curriculum = curriculumOf(s);
    return {
      variables: [theta],
      optimizer: { name: 'sgd', lr: num(s, 'thetaLr'), momentum: num(s, 'thetaMomentum'), weightDecay: num(s, 'thetaWeightDecay') },
      terms: (b) =>
        ctkdTerms(b.studentLogits, b.teacherLogits, b.labels, theta, {
          taskWeight: num(s, 'taskWeight'),
          kdWeight: num(s, 'kdWeight'),
          tStart: num(s, 'tStart'),
          tRange: num(s, 'tRange'),
          lambda: ctkdLambda(b.epoch, curriculum),
          standardize: s.lskd === true,
        }),
      diagnostics: (epoch) => {
        const thetaValue = theta.dataSync()[0];
        return {
          temperature: num(s, 'tStart') + num(s, 'tRange') / (1 + Math.exp(-thetaValue)),
          lambda: ctkdLambda(epoch, curriculum),
        };
      },
    };
  },
  scheduleNotes(s, epochs) {
    const curriculum = curriculumOf(s);
    if (curriculum.lambdaEpochs <= epochs) return [];
    const reached = ctkdLambda(epochs - 1, curriculum);
    return [
      `λ ramp is ${curriculum.lambdaEpochs} epochs (reference) and this run has ${epochs}: the run stays in the ramp, λ reaches ${reached.toFixed(2)} of ${curriculum.lambdaMax}`,
    ];
  },
};

function curriculumOf(s: ResolvedSettings): CtkdCurriculum {
  return { lambdaMin: num(s, 'lambdaMin'), lambdaMax: num(s, 'lambdaMax'), lambdaEpochs: num(s, 'lambdaEpochs') };
}
