import { describe, expect, it } from 'vitest';
import { tf } from '../engine/index.js';
import { kdLoss } from './kd.js';
import { crossEntropy64, kd64, type Rows } from './testing/reference64.js';
import { logitBatch, useBatchTensors } from './testing/fixture.js';
import { classLabels, logits, tensorsLeftBy, valueOf, gradientGap } from './testing/tf-helpers.js';

const { student, teacher, labels } = logitBatch(3);
const fx = useBatchTensors({ teacher, labels });

const kd = (s: Rows, o: Parameters<typeof kd64>[3]) => valueOf(() => kdLoss(logits(s), fx.t, fx.y, o));

describe('kdLoss', () => {
  it('matches a hand-computed two-class KL at T = 1 (α = 0)', () => {
    // p_t = [3/4, 1/4], p_s = [1/2, 1/2]: KL = ¾·ln(3/2) + ¼·ln(1/2)
    const hand = 0.75 * Math.log(1.5) + 0.25 * Math.log(0.5);
    const value = valueOf(() =>
      kdLoss(logits([[0, 0]]), logits([[Math.log(3), 0]]), classLabels([0]), {
        temperature: 1,
        taskWeight: 0,
        kdWeight: 1,
      }),
    );
    expect(value).toBeCloseTo(hand, 6);
  });

  it.each([
    { temperature: 4, taskWeight: 0.5, kdWeight: 0.5 },
    { temperature: 1, taskWeight: 0, kdWeight: 1 },
    { temperature: 2.5, taskWeight: 1, kdWeight: 9 },
    { temperature: 0.5, taskWeight: 0.1, kdWeight: 0.9 },
  ])('matches the float64 reference at %o', (o) => {
    expect(kd(student, o)).toBeCloseTo(kd64(student, teacher, labels, o), 4);
  });

  it('α = 1 is plain cross-entropy, whatever the teacher', () => {
    expect(kd(student, { temperature: 4, taskWeight: 1, kdWeight: 0 })).toBeCloseTo(crossEntropy64(student, labels), 5);
  });

  it('identical teacher and student give zero KL', () => {
    expect(kd(teacher, { temperature: 3, taskWeight: 0, kdWeight: 1 })).toBeCloseTo(0, 6);
  });

  it('T²·KL tends to the logit-matching limit (1/2C)·Σ(z̃ − ṽ)² of zero-mean logits as T grows (Hinton §2.1)', () => {
    const z = [1.0, -2.0, 0.5];
    const v = [0.2, 0.4, -1.3];
    const centre = (r: number[]) => r.map((x) => x - (r[0] + r[1] + r[2]) / 3);
    const [zc, vc] = [centre(z), centre(v)];
    const limit = (zc[0] - vc[0]) ** 2 / 6 + (zc[1] - vc[1]) ** 2 / 6 + (zc[2] - vc[2]) ** 2 / 6;
    const value = valueOf(() => kdLoss(logits([z]), logits([v]), classLabels([0]), { temperature: 50, taskWeight: 0, kdWeight: 1 }));
    // The gap closes as O(1/T): 0.5 % at T = 50 in float64.
    expect(Math.abs(value - limit) / limit).toBeLessThan(0.01);
  });

  it('has the gradient of the float64 reference (central differences)', () => {
    const o = { temperature: 3, taskWeight: 0.5, kdWeight: 0.5 };
    expect(
      gradientGap(
        (s) => kdLoss(s, fx.t, fx.y, o),
        (s) => kd64(s, teacher, labels, o),
        student,
      ),
    ).toBeLessThan(1e-4);
  });

  it('leaves no tensors behind', () => {
    kd(student, { temperature: 4, taskWeight: 0.5, kdWeight: 0.5 });
    expect(tensorsLeftBy(() => kdLoss(logits(student), fx.t, fx.y, { temperature: 4, taskWeight: 0.5, kdWeight: 0.5 }))).toBe(0);
  });

  it('rejects mismatched shapes with a CmkdError naming them', () => {
    expect(() => tf.tidy(() => kdLoss(logits([[1, 2, 3]]), fx.t, fx.y, { temperature: 4, taskWeight: 0.5, kdWeight: 0.5 }))).toThrow(
      /teacher logits shape \[3, 4\] must equal student logits shape \[1, 3\]/,
    );
  });
});
