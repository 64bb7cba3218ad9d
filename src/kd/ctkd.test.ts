import { describe, expect, it } from 'vitest';
import { tf } from '../engine/index.js';
import { ctkdLambda, ctkdLoss, ctkdTemperature, type CtkdLossOptions } from './ctkd.js';
import { gradientReversal } from './grl.js';
import { createObjective } from './registry.js';
import { kd64, numericGradient, type Rows } from './testing/reference64.js';
import { logitBatch, useBatchTensors } from './testing/fixture.js';
import { logits, tensorsLeftBy, valueOf, gradientGap } from './testing/tf-helpers.js';

const { student, teacher, labels } = logitBatch(2);
const fx = useBatchTensors({ teacher, labels });
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe('gradientReversal', () => {
  it('is the identity forward and multiplies the gradient by −λ backward', () => {
    const x = tf.tensor1d([0.5, -2, 3]);
    const upstream = tf.tensor1d([1, 2, -4]);
    for (const lambda of [1, 0.25, 0]) {
      const forward = tf.tidy(() => gradientReversal(x, lambda).arraySync());
      expect(forward).toEqual([0.5, -2, 3]);
      const g = tf.tidy(() =>
        tf
          .grad((v: tf.Tensor) => tf.sum(tf.mul(gradientReversal(v, lambda), upstream)))(x)
          .arraySync(),
      );
      // 0 * −λ is −0 for λ = 0; compare values, not signs of zero.
      (g as number[]).forEach((gi, i) => expect(gi).toBeCloseTo(-lambda * (upstream.arraySync() as number[])[i], 6));
    }
    x.dispose();
    upstream.dispose();
  });

  it('composes with other ops: d/dx sin(GRL(x)) = −λ·cos(x)', () => {
    const x = tf.tensor1d([0.3, 1.1]);
    const g = tf.tidy(() =>
      tf
        .grad((v: tf.Tensor) => tf.sum(tf.sin(gradientReversal(v, 0.7))))(x)
        .arraySync(),
    ) as number[];
    expect(g[0]).toBeCloseTo(-0.7 * Math.cos(0.3), 6);
    expect(g[1]).toBeCloseTo(-0.7 * Math.cos(1.1), 6);
    x.dispose();
  });

  it('leaves no tensors behind and rejects a non-finite λ', () => {
    const x = tf.tensor1d([1, 2]);
    expect(tensorsLeftBy(() => tf.grad((v: tf.Tensor) => tf.sum(gradientReversal(v, 0.5)))(x))).toBe(0);
    expect(() => gradientReversal(x, NaN)).toThrow(/λ must be a finite number/);
    x.dispose();
  });
});

describe('ctkdLambda (cosine curriculum)', () => {
  const reference = { lambdaMin: 0, lambdaMax: 1, lambdaEpochs: 10 };
  it('rises from 0 to 1 over the first 10 epochs like CosineDecay(0, −1, 10) at 1-based epochs', () => {
    expect(ctkdLambda(0, reference)).toBeCloseTo((1 - Math.cos(Math.PI / 10)) / 2, 12);
    expect(ctkdLambda(4, reference)).toBeCloseTo(0.5, 12);
    expect(ctkdLambda(9, reference)).toBeCloseTo(1, 12);
    expect(ctkdLambda(50, reference)).toBeCloseTo(1, 12);
    for (let e = 1; e < 12; e++) expect(ctkdLambda(e, reference)).toBeGreaterThanOrEqual(ctkdLambda(e - 1, reference));
  });
  it('honours min/max and a zero-length ramp', () => {
    expect(ctkdLambda(4, { lambdaMin: 0.2, lambdaMax: 0.6, lambdaEpochs: 10 })).toBeCloseTo(0.4, 12);
    expect(ctkdLambda(0, { lambdaMin: 0, lambdaMax: 0.8, lambdaEpochs: 0 })).toBe(0.8);
  });
});

describe('ctkdLoss', () => {
  const o: CtkdLossOptions = { taskWeight: 0.1, kdWeight: 0.9, tStart: 1, tRange: 20, lambda: 0.5 };
  const ref = (s: Rows, theta: number) =>
    kd64(s, teacher, labels, { temperature: 1 + 20 * sigmoid(theta), taskWeight: 0.1, kdWeight: 0.9 });

  it('uses T = 1 + 20·sigmoid(θ): the reference starts at θ = 1, T ≈ 15.62', () => {
    const theta = tf.scalar(1);
    expect(valueOf(() => ctkdTemperature(theta, 1, 1, 20))).toBeCloseTo(1 + 20 * sigmoid(1), 5);
    expect(valueOf(() => ctkdLoss(logits(student), fx.t, fx.y, theta, o))).toBeCloseTo(ref(student, 1), 4);
    theta.dispose();
  });

  it('the temperature receives the reversed gradient: −λ times what plain minimisation would give', () => {
    for (const thetaValue of [1, -0.5]) {
      const theta = tf.scalar(thetaValue);
      const analytic = tf.tidy(
        () =>
          tf
            .grad((th: tf.Tensor) => ctkdLoss(logits(student), fx.t, fx.y, th, o))(theta)
            .dataSync()[0],
      );
      const plain = numericGradient((x) => ref(student, x[0][0]), [[thetaValue]])[0][0];
      expect(Math.abs(plain)).toBeGreaterThan(1e-3);
      expect(Math.sign(analytic)).toBe(-Math.sign(plain));
      expect(analytic).toBeCloseTo(-0.5 * plain, 3);
      theta.dispose();
    }
  });

  it('student gradients are the ordinary ones (the reversal touches θ only)', () => {
    const theta = tf.scalar(0.3);
    expect(
      gradientGap(
        (s) => ctkdLoss(s, fx.t, fx.y, theta, o),
        (s) => ref(s, 0.3),
        student,
      ),
    ).toBeLessThan(2e-4);
    theta.dispose();
  });

  it('through the objective: θ is a trainable variable whose gradient ascends the KD loss, scaled by the epoch λ', () => {
    const objective = createObjective('ctkd');
    expect(objective.variables).toHaveLength(1);
    const batch = {
      studentLogits: logits(student),
      teacherLogits: fx.t,
      labels: fx.y,
      studentEmbedding: tf.zeros([2, 3]) as tf.Tensor2D,
      teacherEmbedding: tf.zeros([2, 3]) as tf.Tensor2D,
      epoch: 4,
      totalEpochs: 20,
    };
    const { grads } = tf.variableGrads(() => objective.loss(batch), objective.variables);
    const gTheta = grads[objective.variables[0].name].dataSync()[0];
    const plain = numericGradient((x) => ref(student, x[0][0]), [[1]])[0][0];
    expect(gTheta).toBeCloseTo(-0.5 * plain, 3); // λ(epoch 4) = 0.5
    expect(objective.diagnostics?.(4, 20)).toEqual({
      temperature: expect.closeTo(1 + 20 * sigmoid(1), 5),
      lambda: expect.closeTo(0.5, 12),
    });
    Object.values(grads).forEach((g) => g.dispose());
    const before = tf.memory().numTensors;
    objective.dispose();
    expect(tf.memory().numTensors).toBe(before - 1);
    batch.studentLogits.dispose();
    batch.studentEmbedding.dispose();
    batch.teacherEmbedding.dispose();
  });

  it("θ has its own optimiser, the reference's SGD: lr 0.05, momentum 0.9, weight decay 5e-4 (options can change it)", () => {
    const objective = createObjective('ctkd');
    expect(objective.optimizer).toEqual({ name: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 5e-4 });
    expect(objective.settings).toMatchObject({ thetaLr: 0.05, thetaMomentum: 0.9, thetaWeightDecay: 5e-4 });
    objective.dispose();
    const other = createObjective('ctkd', { thetaLr: 0.1, thetaMomentum: 0, thetaWeightDecay: 0 });
    expect(other.optimizer).toEqual({ name: 'sgd', lr: 0.1, momentum: 0, weightDecay: 0 });
    other.dispose();
    expect(() => createObjective('ctkd', { thetaMomentum: 1 })).toThrow(/thetaMomentum must be < 1/);
    expect(() => createObjective('ctkd', { thetaLr: 0 })).toThrow(/thetaLr/);
  });

  it('leaves no tensors behind', () => {
    const theta = tf.scalar(1);
    expect(tensorsLeftBy(() => ctkdLoss(logits(student), fx.t, fx.y, theta, { ...o, standardize: true }))).toBe(0);
    expect(tensorsLeftBy(() => tf.grad((th: tf.Tensor) => ctkdLoss(logits(student), fx.t, fx.y, th, o))(theta))).toBe(0);
    theta.dispose();
  });
});
