/**
 * Feature KD: distillation by regression, in two modes.
 *
 * - `output` is the CCH paper's student objective, on outputs: the student minimises
 *   ‖y − w₂ᵀx₂‖² + λ‖w₂ᵀx₂ − w₁ᵀx₁‖² (its linear model; here f(x₂) and the teacher's f_t(x₁):
 *   task loss + λ·‖f(x₂) − f_t(x₁)‖², logits for classification). Labelled FeatKD(out).
 * - `embedding` is feature regression on penultimate embeddings, task loss + λ·‖g(h_s) − h_t‖²,
 *   with g an optional learned linear projection when the sizes differ (a FitNets-style hint;
 *   not the CCH objective). Labelled FeatKD(emb). It stays the default for classification
 *   until a calibration chooses between the two; regression defaults to `output`.
 *
 * Sums are taken as means (over the batch, and over output / embedding dimensions), so λ
 * does not depend on the batch size.
 */
import { nextSeed, tf } from '../engine/index.js';
import { check } from '../util/errors.js';
import { sumTerms, weighted } from './common.js';
import { taskLoss, type TaskKind } from './losses.js';
import { num, type MethodDefinition, type ResolvedSettings } from './method.js';

/** A linear map g(h) = h·W + b from student to teacher embedding size. */
export interface Projection {
  weight: tf.Tensor2D;
  bias: tf.Tensor1D;
}

// g(h_s) = h_s·W + b
export function project(embedding: tf.Tensor2D, projection: Projection | null): tf.Tensor2D {
  return projection ? (tf.add(tf.matMul(embedding, projection.weight), projection.bias) as tf.Tensor2D) : embedding;
}

// Mean squared distance (1/(B·D)) Σ_i ‖a_i − b_i‖²
export function meanSquaredDistance(a: tf.Tensor2D, b: tf.Tensor2D, what: string): tf.Scalar {
  check(
    a.rank === 2 && b.rank === 2 && a.shape[0] === b.shape[0] && a.shape[1] === b.shape[1],
    () => `feature: ${what} shapes differ: student [${a.shape.join(', ')}] vs teacher [${b.shape.join(', ')}]`,
  );
  return tf.mean(tf.squaredDifference(a, b)) as tf.Scalar;
}

/** 'output': distil logits / predictions (the CCH objective); 'embedding': distil penultimate embeddings. */
export const FEATURE_MODES = ['output', 'embedding'] as const;
export type FeatureMode = (typeof FEATURE_MODES)[number];

export interface FeatureLossOptions {
  task: TaskKind;
  mode: FeatureMode;
  taskWeight: number;
  /** λ. */
  kdWeight: number;
}

export interface FeatureInputs {
  studentOutput: tf.Tensor2D;
  teacherOutput: tf.Tensor2D;
  studentEmbedding: tf.Tensor2D;
  teacherEmbedding: tf.Tensor2D;
  labels: tf.Tensor1D;
}

// L = w_task·ℓ(y, f(x₂)) + λ·mean‖g(h_s) − h_t‖²  (embedding)  or  + λ·mean‖f(x₂) − f_t(x₁)‖²  (output)
export function featureTerms(
  inputs: FeatureInputs,
  options: FeatureLossOptions,
  projection: Projection | null = null,
): { task: tf.Scalar; feature: tf.Scalar } {
  const task = taskLoss(options.task, inputs.studentOutput, inputs.labels);
  const distance =
    options.mode === 'output'
      ? meanSquaredDistance(inputs.studentOutput, inputs.teacherOutput, 'output')
      : meanSquaredDistance(project(inputs.studentEmbedding, projection), inputs.teacherEmbedding, 'embedding (after projection)');
  return { task: weighted(options.taskWeight, task), feature: weighted(options.kdWeight, distance) };
}

export function featureLoss(inputs: FeatureInputs, options: FeatureLossOptions, projection: Projection | null = null): tf.Scalar {
  return sumTerms(featureTerms(inputs, options, projection));
}

export const feature: MethodDefinition = {
  name: 'feature',
  label: 'FeatKD',
  reference:
    "mode 'output': the CCH paper's student objective on outputs, ‖y − f(x₂)‖² + λ·‖f(x₂) − f_t(x₁)‖²; mode 'embedding' (default for classification): task loss + λ·‖g(h_s) − h_t‖² on penultimate embeddings, not the CCH objective",
  family: 'feature',
  options: ['mode', 'taskWeight', 'kdWeight', 'studentDim', 'teacherDim', 'projection', 'seed'],
  resolve(r, { task }) {
    const mode = r.choice('mode', FEATURE_MODES, task === 'regression' ? 'output' : 'embedding');
    const studentDim = r.number('studentDim', undefined, { min: 1, integer: true });
    const teacherDim = r.number('teacherDim', undefined, { min: 1, integer: true });
    const dimsKnown = studentDim !== undefined && teacherDim !== undefined;
    const projection = r.bool('projection', dimsKnown && studentDim !== teacherDim);
    if (projection) {
      check(mode === 'embedding', () => `feature: a projection applies to mode 'embedding' only`, 'invalid-option');
      check(dimsKnown, () => `feature: a projection needs studentDim and teacherDim (embedding sizes)`, 'invalid-option');
    }
    if (dimsKnown && mode === 'embedding') {
      check(
        projection || studentDim === teacherDim,
        () =>
          `feature: embedding sizes differ (student ${studentDim}, teacher ${teacherDim}); a learned projection is needed (projection: true)`,
        'invalid-option',
      );
    }
    const out: ResolvedSettings = {
      task,
      mode,
      taskWeight: r.number('taskWeight', 1, { min: 0 }),
      kdWeight: r.number('kdWeight', 1, { min: 0 }),
      projection,
    };
    if (studentDim !== undefined) out.studentDim = studentDim;
    if (teacherDim !== undefined) out.teacherDim = teacherDim;
    const seed = r.number('seed', undefined, { min: 0, integer: true });
    if (seed !== undefined) out.seed = seed;
    return out;
  },
  describe: (s) => (s.mode === 'output' ? 'FeatKD(out)' : 'FeatKD(emb)'),
  fromRun(given, run) {
    const s = { ...given };
    const mode = s.mode ?? (run.task === 'regression' ? 'output' : 'embedding');
    if (mode === 'embedding') {
      s.studentDim ??= run.studentDim;
      s.teacherDim ??= run.teacherDim;
    }
    s.seed ??= run.seed;
    return s;
  },
  build(s) {
    const variables: tf.Variable[] = [];
    let projection: Projection | null = null;
    if (s.projection) {
      const studentDim = num(s, 'studentDim');
      const teacherDim = num(s, 'teacherDim');
      const seed = s.seed === undefined ? nextSeed() : num(s, 'seed');
      const init = tf.initializers.glorotUniform({ seed }).apply([studentDim, teacherDim]);
      const weight = tf.variable(init, true) as tf.Variable<tf.Rank.R2>;
      init.dispose();
      const zeros = tf.zeros([teacherDim]);
      const bias = tf.variable(zeros, true) as tf.Variable<tf.Rank.R1>;
      zeros.dispose();
      variables.push(weight, bias);
      projection = { weight, bias };
    }
    const options = {
      task: s.task as TaskKind,
      mode: s.mode as 'output' | 'embedding',
      taskWeight: num(s, 'taskWeight'),
      kdWeight: num(s, 'kdWeight'),
    };
    return {
      variables,
      terms: (b) => {
        if (options.mode === 'embedding') {
          const ds = b.studentEmbedding.shape[1];
          const dt = b.teacherEmbedding.shape[1];
          if (projection) {
            check(
              ds === projection.weight.shape[0],
              () => `feature: studentDim is ${projection?.weight.shape[0]} but the batch's student embedding has ${ds} columns`,
            );
          } else {
            check(
              ds === dt,
              () =>
                `feature: embedding sizes differ (student ${ds}, teacher ${dt}); create the objective with studentDim: ${ds}, teacherDim: ${dt} so a learned projection is trained`,
            );
          }
        }
        const inputs = {
          studentOutput: b.studentLogits,
          teacherOutput: b.teacherLogits,
          studentEmbedding: b.studentEmbedding,
          teacherEmbedding: b.teacherEmbedding,
          labels: b.labels,
        };
        return featureTerms(inputs, options, projection);
      },
    };
  },
};
