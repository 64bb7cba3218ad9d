/**
 * Vanilla knowledge distillation (Hinton et al., 2015), written with separate weights so that
 * both the convex form L = α·CE + (1 − α)·T²·KL (DisCoM-KD's KDv1: α = 0, KDv2: α = 0.5) and
 * the LSKD reference form L = 0.1·CE + 9·T²·KL (its cfg's CE_WEIGHT 0.1, KD_WEIGHT 9) are the same function.
 */
import { tf } from '../engine/index.js';
import { checkLogitBatch, softTargetLoss, sumTerms, weighted, type Temperature } from './common.js';
import { fusedKdLoss } from '../engine/kernels/softmax-losses.js';
import { check } from '../util/errors.js';
import { crossEntropy } from './losses.js';
import { LSKD_DEFAULTS, maybeStandardize } from './lskd.js';
import { num, type MethodDefinition, type ResolvedSettings } from './method.js';

export interface KdLossOptions {
  temperature: Temperature;
  /** Weight of CE(y, s): α in the convex form. */
  taskWeight: number;
  /** Weight of T²·KL: 1 − α in the convex form. */
  kdWeight: number;
  /** LSKD: Z-score both logit rows before the temperature softmax (the CE keeps raw logits). */
  standardize?: boolean;
}

// L = w_task·CE(y, s) + w_kd·T²·KL(softmax(t/T) ‖ softmax(s/T))   (Hinton et al., 2015, §2)
export function kdTerms(
  studentLogits: tf.Tensor2D,
  teacherLogits: tf.Tensor2D,
  labels: tf.Tensor1D,
  options: KdLossOptions,
): { task: tf.Scalar; kd: tf.Scalar } {
  checkLogitBatch('kd', studentLogits, teacherLogits, labels);
  const s = maybeStandardize(studentLogits, options.standardize);
  const t = maybeStandardize(teacherLogits, options.standardize);
  return {
    task: weighted(options.taskWeight, crossEntropy(studentLogits, labels)),
    kd: weighted(options.kdWeight, softTargetLoss(s, t, options.temperature)),
  };
}

// The sum of kdTerms; on wasm, for a fixed T without standardisation, one kernel with the same bits (engine/kernels/softmax-losses.ts)
export function kdLoss(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, labels: tf.Tensor1D, options: KdLossOptions): tf.Scalar {
  const { temperature, taskWeight, kdWeight } = options;
  if (typeof temperature === 'number' && options.standardize !== true) {
    checkLogitBatch('kd', studentLogits, teacherLogits, labels);
    const fused = fusedKdLoss(studentLogits, teacherLogits, labels, { temperature, taskWeight, kdWeight });
    if (fused) return fused;
  }
  return sumTerms(kdTerms(studentLogits, teacherLogits, labels, options));
}

/** DisCoM-KD's two vanilla-KD baselines: α, the CE weight in α·CE + (1 − α)·T²·KL. */
export const KD_PRESETS = { kdv1: 0, kdv2: 0.5 } as const;
export type KdPreset = keyof typeof KD_PRESETS;

export const kd: MethodDefinition = {
  name: 'kd',
  label: 'KD',
  reference:
    'Hinton et al. 2015; weights of DisCoM-KD KDv2 (tanodino/CMKD_Disentangle student.py), T = 4 (mdistiller cfg.py CFG.KD.TEMPERATURE)',
  family: 'logit',
  options: ['preset', 'alpha', 'taskWeight', 'kdWeight', 'temperature'],
  resolve(r, { task, lskd }) {
    const preset = r.has('preset') ? r.choice('preset', Object.keys(KD_PRESETS) as KdPreset[], 'kdv2') : undefined;
    check(!(preset && r.has('alpha')), () => `kd: give either preset or alpha, not both`, 'invalid-option');
    if (preset) {
      check(
        !r.has('taskWeight') && !r.has('kdWeight'),
        () => `kd: preset '${preset}' fixes the weights; drop taskWeight/kdWeight or the preset`,
        'invalid-option',
      );
    }
    const defaults = lskd
      ? { taskWeight: LSKD_DEFAULTS.taskWeight, kdWeight: LSKD_DEFAULTS.kdWeight }
      : { taskWeight: KD_PRESETS.kdv2, kdWeight: 1 - KD_PRESETS.kdv2 };
    const w = r.weightPair(defaults, preset ? KD_PRESETS[preset] : undefined);
    const temperature = r.number('temperature', lskd ? LSKD_DEFAULTS.temperature : 4, { above: 0 });
    const out: ResolvedSettings = { task, taskWeight: w.taskWeight, kdWeight: w.kdWeight, temperature, lskd };
    const alpha = w.alpha ?? (w.taskWeight + w.kdWeight === 1 ? w.taskWeight : undefined);
    if (alpha !== undefined) out.alpha = alpha;
    const named = (Object.keys(KD_PRESETS) as KdPreset[]).find((p) => KD_PRESETS[p] === alpha);
    if (named) out.preset = named;
    return out;
  },
  describe: (s) => (s.preset === 'kdv1' ? 'KDv1' : s.preset === 'kdv2' ? 'KDv2' : 'KD'),
  build: (s) => {
    const options = (): KdLossOptions => ({
      temperature: num(s, 'temperature'),
      taskWeight: num(s, 'taskWeight'),
      kdWeight: num(s, 'kdWeight'),
      standardize: s.lskd === true,
    });
    return {
      terms: (b) => kdTerms(b.studentLogits, b.teacherLogits, b.labels, options()),
      loss: (b) => kdLoss(b.studentLogits, b.teacherLogits, b.labels, options()),
    };
  },
};
