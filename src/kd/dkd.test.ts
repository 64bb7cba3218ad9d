import { describe, expect, it } from 'vitest';
import { tf } from '../engine/index.js';
import { dkdLoss, dkdTerms, dkdWarmupFactor } from './dkd.js';
import { dkd64, dkdParts64, type Dkd64, kd64, softmax64, type Rows } from './testing/reference64.js';
import { useBatchTensors } from './testing/fixture.js';
import { classLabels, gradientOf, logits, tensorsLeftBy, valueOf, gradientGap } from './testing/tf-helpers.js';

const student: Rows = [
  [1.2, -0.3, 0.5, 2.0, 0.1],
  [-1.0, 0.4, 0.9, -0.2, 0.7],
  [0.3, 0.3, -2.1, 1.7, -0.6],
];
const teacher: Rows = [
  [2.5, -1.0, 0.2, 1.1, 0.4],
  [-0.5, 1.8, 0.1, -1.2, 0.9],
  [0.0, 0.9, -1.5, 2.4, -0.3],
];
const labels = [3, 1, 4];
const fx = useBatchTensors({ teacher, labels });

const base: Dkd64 = { alpha: 1, beta: 8, temperature: 4, taskWeight: 1 };
const dkd = (s: Rows, o: Dkd64) => valueOf(() => dkdLoss(logits(s), fx.t, fx.y, o));

describe('dkdLoss', () => {
  it.each([
    base,
    { ...base, temperature: 1 },
    { ...base, alpha: 0 },
    { ...base, beta: 0 },
    { ...base, alpha: 2, beta: 0.5, temperature: 2, taskWeight: 0 },
    { ...base, warmupFactor: 0.25 },
  ])('matches the probability-domain float64 reference at %o', (o) => {
    expect(dkd(student, o)).toBeCloseTo(dkd64(student, teacher, labels, o), 4);
  });

  it('β = 0 leaves CE + α·TCKD, and α = β = 0 plain CE', () => {
    const { tckd } = dkdParts64(student, teacher, labels, 4);
    const ce = dkd64(student, teacher, labels, { ...base, alpha: 0, beta: 0 });
    expect(dkd(student, { ...base, beta: 0 })).toBeCloseTo(ce + tckd, 4);
    expect(dkd(student, { ...base, alpha: 0, beta: 0 })).toBeCloseTo(ce, 5);
  });

  it('recomposes KD: KL(p_t ‖ p_s) = TCKD + (1 − p_t,gt)·NCKD for one sample (Zhao et al. 2022, §3.1)', () => {
    const s = [[0.4, 1.3, -0.7, 0.2]];
    const tt = [[1.1, 0.5, -0.2, -1.4]];
    const gt = 1;
    const pGt = softmax64(tt[0])[gt];
    const terms = tf.tidy(() => {
      const r = dkdTerms(logits(s), logits(tt), classLabels([gt]), {
        alpha: 1,
        beta: 1,
        temperature: 1,
        taskWeight: 0,
      });
      return [r.tckd.dataSync()[0], r.nckd.dataSync()[0]];
    });
    const klTotal = kd64(s, tt, [gt], { temperature: 1, taskWeight: 0, kdWeight: 1 });
    expect(terms[0] + (1 - pGt) * terms[1]).toBeCloseTo(klTotal, 5);
  });

  it('identical teacher and student give zero distillation terms', () => {
    expect(valueOf(() => dkdLoss(fx.t, fx.t, fx.y, { ...base, taskWeight: 0 }))).toBeCloseTo(0, 6);
  });

  it('stays finite, with finite gradients, for extreme logits (±1000) where the reference gives −inf/NaN', () => {
    const extremeS: Rows = [
      [1000, -1000, -1000],
      [-1000, 1000, -1000],
    ];
    const extremeT: Rows = [
      [-1000, 1000, -1000],
      [-1000, 1000, 1000],
    ];
    const yy = [0, 1];
    for (const temperature of [1, 4]) {
      const o = { ...base, temperature };
      const value = valueOf(() => dkdLoss(logits(extremeS), logits(extremeT), classLabels(yy), o));
      expect(Number.isFinite(value)).toBe(true);
      const g = gradientOf((s) => dkdLoss(s, logits(extremeT), classLabels(yy), o), extremeS);
      expect(g.flat().every(Number.isFinite)).toBe(true);
    }
    // Teacher certain of the target class (p_t,gt = 1 in float32): the NCKD weight vanishes, the value stays finite.
    const certain = valueOf(() =>
      dkdLoss(logits([[0.5, 0.1, -0.3]]), logits([[1000, -1000, -1000]]), classLabels([0]), {
        ...base,
        taskWeight: 0,
      }),
    );
    expect(Number.isFinite(certain)).toBe(true);
    expect(certain).toBeGreaterThan(0);
  });

  it('has the gradient of the float64 reference (central differences)', () => {
    for (const o of [base, { ...base, alpha: 0.5, beta: 2, temperature: 1 }]) {
      expect(
        gradientGap(
          (s) => dkdLoss(s, fx.t, fx.y, o),
          (s) => dkd64(s, teacher, labels, o),
          student,
        ),
      ).toBeLessThan(2e-3);
    }
  });

  it('leaves no tensors behind', () => {
    dkd(student, base);
    expect(tensorsLeftBy(() => dkdLoss(logits(student), fx.t, fx.y, { ...base, standardize: true }))).toBe(0);
  });
});

describe('dkdWarmupFactor', () => {
  it('ramps linearly over the warm-up epochs as in the reference (1-based epoch / warmup, capped at 1)', () => {
    expect(dkdWarmupFactor(0, 20)).toBeCloseTo(1 / 20, 12);
    expect(dkdWarmupFactor(9, 20)).toBeCloseTo(0.5, 12);
    expect(dkdWarmupFactor(19, 20)).toBe(1);
    expect(dkdWarmupFactor(100, 20)).toBe(1);
    expect(dkdWarmupFactor(0, 0)).toBe(1);
  });
});
