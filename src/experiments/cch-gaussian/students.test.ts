import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../engine/index.js';
import { makeRng } from '../../util/rng.js';
import { latentFactorModel, sampleJoint } from './model.js';
import { kdStudentsClosedForm, mse, olsFit, predict, trainKdStudentsAdam } from './students.js';
import { blocks, riskOf } from './theory.js';

beforeAll(async () => {
  await initEngine();
});

describe('OLS and closed-form KD students', () => {
  it('OLS recovers exact weights from noiseless data', () => {
    const n = 30;
    const d = 3;
    const rng = makeRng(1);
    const x = Float64Array.from({ length: n * d }, () => rng.normal());
    const w = [0.5, -2, 1.25];
    const y = predict(x, n, d, w);
    const fit = olsFit(x, n, d, y, 'x');
    fit.forEach((v, j) => expect(v).toBeCloseTo(w[j], 10));
  });

  it('satisfies the sample normal equations (1+λ)X2ᵀX2 w2 = X2ᵀy + λX2ᵀh1 and is OLS at λ = 0', () => {
    const n = 50;
    const p = 4;
    const rng = makeRng(2);
    const x = Float64Array.from({ length: n * p }, () => rng.normal());
    const y = Float64Array.from({ length: n }, () => rng.normal());
    const h = Float64Array.from({ length: n }, () => rng.normal());
    const [w0, w] = kdStudentsClosedForm(x, n, p, y, h, [0, 0.7]);
    const ols = olsFit(x, n, p, y, 'x');
    w0.forEach((v, j) => expect(v).toBeCloseTo(ols[j], 12));
    const pred = predict(x, n, p, w);
    for (let j = 0; j < p; j++) {
      // Gradient of Σ(y − Xw)² + λΣ(Xw − h)² vanishes: Σ x_ij[(1+λ)pred_i − y_i − λh_i] = 0.
      let g = 0;
      for (let i = 0; i < n; i++) g += x[i * p + j] * (1.7 * pred[i] - y[i] - 0.7 * h[i]);
      expect(Math.abs(g)).toBeLessThan(1e-9);
    }
  });
});

describe('Adam students (TF.js) against the closed form', () => {
  it('converge to the closed-form KD solution for every λ (p = 5)', async () => {
    const p = 5;
    const n = 400;
    const model = latentFactorModel(
      { shared: 0.4, teacherSpecific: 0.2, studentSpecific: 0.1, teacherClarity: 0.8, studentClarity: 0.8 },
      p,
    );
    const s = sampleJoint(model, n, makeRng(9));
    const w1 = olsFit(s.x1, n, p, s.y, 'x1');
    const h1 = predict(s.x1, n, p, w1);
    const lambdas = [0, 0.2, 0.8, 3];
    const closed = kdStudentsClosedForm(s.x2, n, p, s.y, h1, lambdas);
    const steps: number[] = [];
    const adam = await trainKdStudentsAdam(s.x2, n, p, s.y, h1, lambdas, {
      steps: 600,
      learningRate: 0.05,
      onStep: (step) => steps.push(step),
      reportEvery: 200,
    });
    expect(steps).toEqual([200, 400, 600]);
    const b = blocks(model);
    lambdas.forEach((lambda, j) => {
      adam.weights[j].forEach((v, k) => expect(v).toBeCloseTo(closed[j][k], 3));
      expect(Math.abs(riskOf(model, adam.weights[j], b) - riskOf(model, closed[j], b))).toBeLessThan(1e-5);
      // The reported loss is the student's own objective at the optimum.
      const task = mse(s.x2, n, p, closed[j], s.y);
      const distill = mse(s.x2, n, p, closed[j], h1);
      expect(adam.finalLoss[j]).toBeCloseTo(task + lambda * distill, 4);
    });
    // KD students differ from the plain student: the test is not vacuous.
    expect(Math.abs(closed[3][0] - closed[0][0])).toBeGreaterThan(1e-3);
  });

  it('stops when the signal is aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    const x = new Float64Array(20 * 2).fill(1);
    await expect(
      trainKdStudentsAdam(x, 20, 2, new Float64Array(20), new Float64Array(20), [0], { steps: 100, learningRate: 0.1, signal: ac.signal }),
    ).rejects.toThrow(/interrupted/);
  });
});
