import { describe, expect, it } from 'vitest';
import { tf } from '../engine/index.js';
import { batchLevelLoss, classLevelLoss, mlkdLoss, mlkdTemperatures, mlkdTerms, type MlkdLossOptions } from './mlkd.js';
import { batchLevel64, classLevel64, fractionAtOrBelowMedian64, mlkd64, softTarget64, type Rows } from './testing/reference64.js';
import { logitBatch, useBatchTensors } from './testing/fixture.js';
import { logits, tensorsLeftBy, valueOf, gradientGap } from './testing/tf-helpers.js';

const { student, teacher, labels } = logitBatch(5);
const fx = useBatchTensors({ teacher, labels });
const strongStudent: Rows = student.map((r) => r.map((v, j) => 0.7 * v + 0.1 * j));
const strongTeacher: Rows = teacher.map((r) => r.map((v, j) => 0.9 * v - 0.2 * j));

const base: MlkdLossOptions = { temperature: 4, taskWeight: 0.1, kdWeight: 0.9 };

describe('MLKD levels', () => {
  it('uses the reference temperatures [T, 3, 5, 2, 6]', () => {
    expect(mlkdTemperatures(4)).toEqual([4, 3, 5, 2, 6]);
    expect(mlkdTemperatures(2)).toEqual([2, 3, 5, 2, 6]);
  });

  it('batch level is ‖QQᵀ − PPᵀ‖²/B: a hand-computed one-sample, two-class case', () => {
    // P = [½, ½] → PPᵀ = ½; Q = [¾, ¼] → QQᵀ = 5/8; (5/8 − ½)² / 1 = 1/64
    const value = valueOf(() => batchLevelLoss(logits([[0, 0]]), logits([[Math.log(3), 0]]), 1));
    expect(value).toBeCloseTo(1 / 64, 6);
  });

  it('class level is ‖QᵀQ − PᵀP‖²/C: the same case by hand', () => {
    // PᵀP = ¼·[[1,1],[1,1]], QᵀQ = [[9,3],[3,1]]/16; squared differences: (5/16)² + 2·(−1/16)² + (−3/16)² = 36/256; / C = 2
    const value = valueOf(() => classLevelLoss(logits([[0, 0]]), logits([[Math.log(3), 0]]), 1));
    expect(value).toBeCloseTo(36 / 256 / 2, 6);
  });

  it('batch and class levels match the float64 reference and vanish for identical predictions', () => {
    for (const T of [1, 4]) {
      expect(valueOf(() => batchLevelLoss(logits(student), fx.t, T))).toBeCloseTo(batchLevel64(student, teacher, T), 6);
      expect(valueOf(() => classLevelLoss(logits(student), fx.t, T))).toBeCloseTo(classLevel64(student, teacher, T), 6);
      expect(valueOf(() => batchLevelLoss(fx.t, fx.t, T))).toBe(0);
      expect(valueOf(() => classLevelLoss(fx.t, fx.t, T))).toBe(0);
    }
  });
});

describe('mlkdLoss', () => {
  it('the confidence masks scale by the fraction at or below the median (odd B: 3/5; C = 4: 1/2)', () => {
    const probs = teacher.map((r) => {
      const e = r.map(Math.exp);
      const s = e.reduce((a, b) => a + b);
      return e.map((v) => v / s);
    });
    expect(fractionAtOrBelowMedian64(probs.map((p) => Math.max(...p)))).toBe(3 / 5);
    expect(fractionAtOrBelowMedian64([0, 1, 2, 3].map((j) => probs.reduce((a, p) => a + p[j], 0)))).toBe(1 / 2);
    // Term by term: each level equals its mask fraction times the unmasked five-temperature sum.
    const terms = tf.tidy(() => {
      const r = mlkdTerms(logits(student), fx.t, fx.y, { ...base, kdWeight: 1 });
      return {
        instance: r.instance.dataSync()[0],
        batch: r.batch.dataSync()[0],
        class: r.class.dataSync()[0],
      };
    });
    const temps = [4, 3, 5, 2, 6];
    const sum = (f: (T: number) => number) => temps.reduce((a, T) => a + f(T), 0);
    expect(terms.instance).toBeCloseTo((3 / 5) * sum((T) => softTarget64(student, teacher, T)), 4);
    expect(terms.batch).toBeCloseTo((3 / 5) * sum((T) => batchLevel64(student, teacher, T)), 5);
    expect(terms.class).toBeCloseTo((1 / 2) * sum((T) => classLevel64(student, teacher, T)), 5);
  });

  it.each([
    { opts: base, strong: false },
    { opts: { ...base, standardize: true, temperature: 2, taskWeight: 1, kdWeight: 9 }, strong: false },
    { opts: base, strong: true },
    { opts: { ...base, standardize: true }, strong: true },
  ])('matches the float64 reference (%o)', ({ opts, strong }) => {
    const value = valueOf(() =>
      mlkdLoss(
        logits(student),
        fx.t,
        fx.y,
        opts,
        strong ? { studentLogits: logits(strongStudent), teacherLogits: logits(strongTeacher) } : undefined,
      ),
    );
    const expected = mlkd64(student, teacher, labels, opts, strong ? { student: strongStudent, teacher: strongTeacher } : undefined);
    expect(value).toBeCloseTo(expected, 3);
    expect(Math.abs(value - expected) / expected).toBeLessThan(1e-5);
  });

  it('identical teacher and student leave only the task term', () => {
    const ce = valueOf(() => mlkdLoss(fx.t, fx.t, fx.y, { ...base, kdWeight: 0 }));
    expect(valueOf(() => mlkdLoss(fx.t, fx.t, fx.y, base))).toBeCloseTo(ce, 6);
  });

  it('has the gradient of the float64 reference (central differences)', () => {
    expect(
      gradientGap(
        (s) => mlkdLoss(s, fx.t, fx.y, base),
        (s) => mlkd64(s, teacher, labels, base),
        student,
      ),
    ).toBeLessThan(5e-4);
  });

  it('leaves no tensors behind', () => {
    const strong = { studentLogits: logits(strongStudent), teacherLogits: logits(strongTeacher) };
    expect(tensorsLeftBy(() => mlkdLoss(logits(student), fx.t, fx.y, { ...base, standardize: true }, strong))).toBe(0);
    strong.studentLogits.dispose();
    strong.teacherLogits.dispose();
  });
});
