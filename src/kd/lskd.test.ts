import { describe, expect, it } from 'vitest';
import { tf } from '../engine/index.js';
import { ctkdLoss } from './ctkd.js';
import { dkdLoss } from './dkd.js';
import { kdLoss } from './kd.js';
import { LSKD_DEFAULTS, standardizeLogits } from './lskd.js';
import { mlkdTerms } from './mlkd.js';
import { resolveSettings } from './registry.js';
import { kd64, standardize64, type Rows } from './testing/reference64.js';
import { logitBatch, useBatchTensors } from './testing/fixture.js';
import { classLabels, gradientOf, logits, valueOf, gradientGap } from './testing/tf-helpers.js';

const { student, teacher, labels } = logitBatch(3);
const fx = useBatchTensors({ teacher, labels });
const affine = (rows: Rows, scale: number, shift: number): Rows => rows.map((r) => r.map((v) => scale * v + shift));

describe('standardizeLogits', () => {
  it('is the reference Z-score: zero mean, unbiased unit deviation, per row', () => {
    const z = tf.tidy(() => standardizeLogits(logits(student)).arraySync());
    z.forEach((row, i) => {
      const expected = standardize64(student[i]);
      row.forEach((v, j) => expect(v).toBeCloseTo(expected[j], 5));
      const m = row.reduce((a, b) => a + b) / row.length;
      expect(m).toBeCloseTo(0, 6);
      expect(Math.sqrt(row.reduce((a, v) => a + (v - m) ** 2, 0) / (row.length - 1))).toBeCloseTo(1, 5);
    });
  });

  it('keeps values and gradients finite for a constant row', () => {
    const g = gradientOf(
      (s) =>
        kdLoss(s, logits([[1, 2, 3]]), classLabels([0]), {
          temperature: 2,
          taskWeight: 0,
          kdWeight: 1,
          standardize: true,
        }),
      [[0.5, 0.5, 0.5]],
    );
    expect(g.flat().every(Number.isFinite)).toBe(true);
  });
});

describe('LSKD switch', () => {
  // Distillation terms only (task weight 0): the CE deliberately sees raw logits.
  const cases: [string, (s: tf.Tensor2D, t: tf.Tensor2D) => tf.Scalar][] = [
    ['kd', (s, t) => kdLoss(s, t, fx.y, { temperature: 2, taskWeight: 0, kdWeight: 9, standardize: true })],
    ['dkd', (s, t) => dkdLoss(s, t, fx.y, { alpha: 9, beta: 72, temperature: 2, taskWeight: 0, standardize: true })],
    [
      'ctkd',
      (s, t) =>
        tf.tidy(() =>
          ctkdLoss(s, t, fx.y, tf.scalar(0.4), {
            taskWeight: 0,
            kdWeight: 9,
            tStart: 1,
            tRange: 20,
            lambda: 1,
            standardize: true,
          }),
        ),
    ],
    ['mlkd (instance level)', (s, t) => mlkdTerms(s, t, fx.y, { temperature: 2, taskWeight: 0, kdWeight: 9, standardize: true }).instance],
  ];

  it.each(cases)('%s: adding a constant to or scaling the logits leaves the loss unchanged', (_name, loss) => {
    const reference = valueOf(() => loss(logits(student), logits(teacher)));
    expect(reference).toBeGreaterThan(1e-3);
    for (const [a, b, c, d] of [
      [1, 5, 1, -3],
      [3, 0, 1, 0],
      [0.25, -2, 7, 1],
    ]) {
      const moved = valueOf(() => loss(logits(affine(student, a, b)), logits(affine(teacher, c, d))));
      expect(Math.abs(moved - reference) / reference).toBeLessThan(1e-4);
    }
  });

  it('without the switch, scaling the student changes the KD loss (the test above can fail)', () => {
    const plain = (s: Rows) => valueOf(() => kdLoss(logits(s), logits(teacher), fx.y, { temperature: 2, taskWeight: 0, kdWeight: 9 }));
    expect(Math.abs(plain(affine(student, 3, 0)) - plain(student))).toBeGreaterThan(0.1);
  });

  it('has the gradient of the float64 reference through the standardisation', () => {
    const o = { temperature: 2, taskWeight: 1, kdWeight: 9, standardize: true };
    const t = logits(teacher);
    expect(
      gradientGap(
        (s) => kdLoss(s, t, fx.y, o),
        (s) => kd64(s, teacher, labels, o),
        student,
      ),
    ).toBeLessThan(2e-3);
    t.dispose();
  });

  it('turns on the reference defaults: base temperature 2, KD weight 9 (DKD: α, β × 9)', () => {
    // logit-standardization-KD master cfg.py: KD.LOSS.CE_WEIGHT 0.1, KD_WEIGHT 9, TEMPERATURE 2 (maintainers: CE 0.1).
    expect(LSKD_DEFAULTS).toEqual({ temperature: 2, kdWeight: 9, taskWeight: 0.1 });
    expect(resolveSettings('kd', { lskd: true })).toMatchObject({
      temperature: 2,
      taskWeight: 0.1,
      kdWeight: 9,
      lskd: true,
    });
    expect(resolveSettings('dkd', { lskd: true })).toMatchObject({
      temperature: 2,
      alpha: 9,
      beta: 72,
      taskWeight: 1,
    });
    expect(resolveSettings('mlkd', { lskd: true })).toMatchObject({
      temperature: 2,
      taskWeight: 0.1,
      kdWeight: 9,
    });
    expect(resolveSettings('ctkd', { lskd: true })).toMatchObject({
      taskWeight: 0.1,
      kdWeight: 9,
      tStart: 1,
      tRange: 20,
    });
    // Explicit settings win over the LSKD defaults.
    expect(resolveSettings('kd', { lskd: true, temperature: 3, kdWeight: 6 })).toMatchObject({
      temperature: 3,
      taskWeight: 0.1,
      kdWeight: 6,
    });
    // DKD: the reference multiplies α and β by 9 after reading them, given or default (tools/train.py).
    expect(resolveSettings('dkd', { lskd: true, beta: 8 })).toMatchObject({ alpha: 9, beta: 72 });
    expect(resolveSettings('dkd', { lskd: true, alpha: 2, beta: 4 })).toMatchObject({ alpha: 18, beta: 36 });
  });
});
