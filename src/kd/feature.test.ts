import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../engine/index.js';
import { feature, featureLoss } from './feature.js';
import { taskLoss } from './losses.js';
import { createObjective } from './registry.js';
import { crossEntropy64, mse64, numericGradient, type Rows } from './testing/reference64.js';
import { disposeBatch } from './testing/fixture.js';
import { classLabels, gradientOf, logits, maxAbsDiff, tensorsLeftBy, valueOf } from './testing/tf-helpers.js';
import type { DistillBatch } from './types.js';

beforeAll(async () => {
  await initEngine();
});

const hs: Rows = [
  [0.5, -1.0, 2.0],
  [1.5, 0.3, -0.4],
];
const ht: Rows = [
  [1.0, 0.2],
  [-0.7, 0.9],
];

function regressionBatch(): DistillBatch {
  return {
    studentLogits: logits([[1.5], [1.0]]),
    teacherLogits: logits([[1.0], [1.0]]),
    studentEmbedding: logits(hs),
    teacherEmbedding: logits(ht),
    labels: tf.tensor1d([1, 2]),
    epoch: 0,
    totalEpochs: 10,
  };
}

describe('feature KD', () => {
  it('names the output mode the CCH objective, not the embedding mode (the classification default, kept)', () => {
    expect(feature.reference).toMatch(/mode 'output': the CCH paper's student objective on outputs/);
    expect(feature.reference).toMatch(/mode 'embedding'.*not the CCH objective/);
    const classification = createObjective('feature', { task: 'classification' });
    expect(classification.settings.mode).toBe('embedding');
    expect(classification.label).toBe('FeatKD(emb)');
    classification.dispose();
  });

  it('output mode on regression is the CCH objective: MSE(y, f) + λ·MSE(f, f_t), by hand', () => {
    // y = [1, 2], f = [1.5, 1], f_t = [1, 1]: task (0.25 + 1)/2 = 0.625, distillation (0.25 + 0)/2 = 0.125, λ = 2
    const b = regressionBatch();
    const value = valueOf(() =>
      featureLoss(
        {
          studentOutput: b.studentLogits,
          teacherOutput: b.teacherLogits,
          studentEmbedding: b.studentEmbedding,
          teacherEmbedding: b.teacherEmbedding,
          labels: b.labels,
        },
        { task: 'regression', mode: 'output', taskWeight: 1, kdWeight: 2 },
      ),
    );
    expect(value).toBeCloseTo(0.625 + 2 * 0.125, 6);
    disposeBatch(b);
  });

  it('embedding mode with equal sizes needs no projection: CE + λ·mean (h_s − h_t)²', () => {
    const s = [[2.0, -1.0, 0.5]];
    const h = [[0.1, 0.2]];
    const value = valueOf(() =>
      featureLoss(
        {
          studentOutput: logits(s),
          teacherOutput: logits(s),
          studentEmbedding: logits(h),
          teacherEmbedding: logits([[0.4, -0.2]]),
          labels: classLabels([2]),
        },
        { task: 'classification', mode: 'embedding', taskWeight: 1, kdWeight: 0.5 },
      ),
    );
    expect(value).toBeCloseTo(crossEntropy64(s, [2]) + 0.5 * ((0.3 ** 2 + 0.4 ** 2) / 2), 6);
  });

  it('the task loss is MSE for regression and CE for classification', () => {
    expect(valueOf(() => taskLoss('regression', logits([[0], [3]]), tf.tensor1d([1, 1])))).toBeCloseTo(mse64([0, 3], [1, 1]), 6);
    expect(() => tf.tidy(() => taskLoss('regression', logits([[0, 1]]), tf.tensor1d([1])))).toThrow(/predictions must be \[B, 1\]/);
  });

  it('a learned projection g maps student to teacher size; its variables are the objective’s and get gradients', () => {
    const objective = createObjective('feature', {
      task: 'regression',
      mode: 'embedding',
      studentDim: 3,
      teacherDim: 2,
      kdWeight: 1,
      seed: 7,
    });
    expect(objective.settings).toMatchObject({ projection: true, mode: 'embedding' });
    expect(objective.variables.map((v) => v.shape)).toEqual([[3, 2], [2]]);
    const [w, bias] = objective.variables;
    const W = w.arraySync() as Rows;
    const b = regressionBatch();
    // Reference: MSE(y, f) + mean((h_s W + b − h_t)²) with the variables' values.
    const projected = hs.map((row) => [0, 1].map((k) => row.reduce((a, v, d) => a + v * W[d][k], 0) + (bias.arraySync() as number[])[k]));
    const distill = projected.flat().reduce((a, v, i) => a + (v - ht.flat()[i]) ** 2, 0) / 4;
    expect(valueOf(() => objective.loss(b))).toBeCloseTo(mse64([1.5, 1], [1, 2]) + distill, 5);

    const { grads } = tf.variableGrads(() => objective.loss(b), objective.variables);
    const gW = grads[w.name].arraySync() as Rows;
    const numeric = numericGradient((m) => {
      const p = hs.map((row) => [0, 1].map((k) => row.reduce((a, v, d) => a + v * m[d][k], 0)));
      return p.flat().reduce((a, v, i) => a + (v - ht.flat()[i]) ** 2, 0) / 4;
    }, W);
    expect(maxAbsDiff(gW, numeric)).toBeLessThan(1e-4);
    tf.dispose(Object.values(grads));

    // Same seed, same initial projection.
    const again = createObjective('feature', {
      task: 'regression',
      mode: 'embedding',
      studentDim: 3,
      teacherDim: 2,
      seed: 7,
    });
    expect(again.variables[0].arraySync()).toEqual(W);
    again.dispose();

    expect(tensorsLeftBy(() => objective.loss(b))).toBe(0);
    const before = tf.memory().numTensors;
    objective.dispose();
    expect(tf.memory().numTensors).toBe(before - 2);
    disposeBatch(b);
  });

  it('the student gradient of the embedding term matches central differences', () => {
    const objective = createObjective('feature', {
      mode: 'embedding',
      studentDim: 3,
      teacherDim: 2,
      taskWeight: 0,
      seed: 3,
      task: 'regression',
    });
    const W = objective.variables[0].arraySync() as Rows;
    const bias = objective.variables[1].arraySync() as number[];
    const b = regressionBatch();
    const analytic = gradientOf((h) => objective.loss({ ...b, studentEmbedding: h }), hs);
    const numeric = numericGradient((h) => {
      const p = h.map((row) => [0, 1].map((k) => row.reduce((a, v, d) => a + v * W[d][k], 0) + bias[k]));
      return p.flat().reduce((a, v, i) => a + (v - ht.flat()[i]) ** 2, 0) / 4;
    }, hs);
    expect(maxAbsDiff(analytic, numeric)).toBeLessThan(1e-4);
    objective.dispose();
    disposeBatch(b);
  });

  it('differing embedding sizes without a projection are a CmkdError telling what to pass', () => {
    const objective = createObjective('feature', { task: 'regression', mode: 'embedding' });
    const b = regressionBatch();
    expect(() => tf.tidy(() => objective.loss(b))).toThrow(/embedding sizes differ \(student 3, teacher 2\).*studentDim: 3, teacherDim: 2/);
    disposeBatch(b);
  });
});
