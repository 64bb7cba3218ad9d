import { describe, expect, it } from 'vitest';
import { makeRng } from '../../util/rng.js';
import { latentFactorModel, sampleJoint, type CchStructure } from './model.js';
import { kdStudentsClosedForm, olsFit, predict } from './students.js';
import {
  blocks,
  expectedRisk,
  expectedRiskChange,
  expectedRiskSlopeAtZero,
  optimalLambda,
  populationQuantities,
  populationRisk,
  riskOf,
  scalarGaussianMI,
  teacherWeight,
} from './theory.js';

const structure: CchStructure = { shared: 0.45, teacherSpecific: 0.2, studentSpecific: 0.05, teacherClarity: 0.85, studentClarity: 0.75 };

function corr(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < n; i++) {
    sa += a[i];
    sb += b[i];
  }
  const ma = sa / n;
  const mb = sb / n;
  let cab = 0;
  let caa = 0;
  let cbb = 0;
  for (let i = 0; i < n; i++) {
    cab += (a[i] - ma) * (b[i] - mb);
    caa += (a[i] - ma) ** 2;
    cbb += (b[i] - mb) ** 2;
  }
  return cab / Math.sqrt(caa * cbb);
}

describe('population closed forms against Monte-Carlo (seeded, 100k rows)', () => {
  const p = 4;
  const model = latentFactorModel(structure, p);
  const q = populationQuantities(model);
  const n = 100000;
  const s = sampleJoint(model, n, makeRng(11));
  const h1 = predict(s.x1, n, p, q.wTeacher);
  const h2 = predict(s.x2, n, p, q.wStar);

  it('MI of the scalar projections: −½log(1 − ρ²) with the sample correlation', () => {
    // se of a sample correlation ≈ (1 − ρ²)/√n ≈ 0.003, so MI to ≈ 0.005.
    expect(scalarGaussianMI(corr(h1, h2))).toBeCloseTo(q.miTeacherStudent, 2);
    expect(scalarGaussianMI(corr(h2, s.y))).toBeCloseTo(q.miStudentLabel, 2);
    expect(q.miMargin).toBeCloseTo(q.miTeacherStudent - q.miStudentLabel, 14);
  });

  it('the population KD student solves (1+λ)Σ22 w2 = Σ2y + λΣ21 w1, and its test MSE is R(λ)', () => {
    const b = blocks(model);
    for (const lambda of [0, 0.3, 2]) {
      const t = teacherWeight(lambda);
      const w2 = q.wStar.map((w, j) => (1 - t) * w + t * q.vTeacherOnStudent[j]);
      // Normal equations, entry by entry.
      for (let i = 0; i < p; i++) {
        let lhs = 0;
        for (let j = 0; j < p; j++) lhs += (1 + lambda) * b.s22.data[i * p + j] * w2[j];
        let s21w1 = 0;
        for (let k = 0; k < p; k++) s21w1 += b.s12.data[k * p + i] * q.wTeacher[k];
        expect(lhs).toBeCloseTo(b.s2y[i] + lambda * s21w1, 12);
      }
      expect(riskOf(model, w2)).toBeCloseTo(populationRisk(q, lambda), 12);
      const pred = predict(s.x2, n, p, w2);
      let mse = 0;
      for (let i = 0; i < n; i++) mse += (s.y[i] - pred[i]) ** 2;
      expect(mse / n).toBeCloseTo(populationRisk(q, lambda), 2);
    }
  });

  it('in the population KD never helps: R(λ) − R0 = t²D ≥ 0 and dR/dλ = 0 at λ = 0', () => {
    expect(q.misfit).toBeGreaterThan(0);
    for (const lambda of [0.01, 0.2, 0.8, 5]) expect(populationRisk(q, lambda)).toBeGreaterThan(populationRisk(q, 0));
    const h = 1e-6;
    expect((populationRisk(q, h) - populationRisk(q, 0)) / h).toBeLessThan(1e-5);
  });
});

describe('finite-sample expected risk against Monte-Carlo over training sets', () => {
  // Small n/p so the O(p/n) effects are large: n = 24 rows, p = 4 dims, 4000 training sets.
  const p = 4;
  const n = 24;
  const reps = 4000;
  const model = latentFactorModel(structure, p, 3);
  const b = blocks(model);
  // Teacher fixed in advance (independent of the student's rows): the population OLS teacher.
  const q = populationQuantities(model);
  const lambdas = [0, 0.05, 0.3, 1];
  const rng = makeRng(2024);
  const risks = lambdas.map(() => new Float64Array(reps));
  for (let r = 0; r < reps; r++) {
    const s = sampleJoint(model, n, rng);
    const h1 = predict(s.x1, n, p, q.wTeacher);
    const ws = kdStudentsClosedForm(s.x2, n, p, s.y, h1, lambdas);
    ws.forEach((w, j) => (risks[j][r] = riskOf(model, w, b)));
  }
  const meanSe = (a: Float64Array) => {
    const m = a.reduce((x, y) => x + y, 0) / a.length;
    const v = a.reduce((x, y) => x + (y - m) ** 2, 0) / (a.length - 1);
    return { m, se: Math.sqrt(v / a.length) };
  };

  it('E R(λ) = Var(y|x2) + t²D + κσ²_t with κ = p/(n − p − 1)', () => {
    lambdas.forEach((lambda, j) => {
      const { m, se } = meanSe(risks[j]);
      expect(Math.abs(m - expectedRisk(q, lambda, n, p))).toBeLessThan(4 * se);
    });
    // R0 is inflated by κ = 4/19 over the population risk.
    expect(expectedRisk(q, 0, n, p)).toBeCloseTo(q.residualVarLabel * (1 + 4 / 19), 12);
  });

  it('the KD change E R(λ) − E R(0) matches the paired Monte-Carlo difference, including its sign', () => {
    lambdas.slice(1).forEach((lambda, i) => {
      const diff = risks[i + 1].map((v, r) => v - risks[0][r]);
      const { m, se } = meanSe(diff);
      const theory = expectedRiskChange(q, lambda, n, p);
      expect(Math.abs(m - theory)).toBeLessThan(4 * se);
      if (Math.abs(theory) > 5 * se) expect(Math.sign(m)).toBe(Math.sign(theory));
    });
  });

  it('slope at λ = 0 is 2κ(Cov(y,H1|x2) − Var(y|x2)) and the optimal λ is a stationary point', () => {
    const h = 1e-6;
    const fd = (expectedRisk(q, h, n, p) - expectedRisk(q, 0, n, p)) / h;
    expect(fd).toBeCloseTo(expectedRiskSlopeAtZero(q, n, p), 4);
    expect(expectedRiskSlopeAtZero(q, n, p)).toBeLessThan(0); // this structure: KD helps for small λ
    const lStar = optimalLambda(q, n, p);
    expect(lStar).toBeGreaterThan(0);
    const d = (expectedRisk(q, lStar * (1 + 1e-5), n, p) - expectedRisk(q, lStar * (1 - 1e-5), n, p)) / (2e-5 * lStar);
    expect(Math.abs(d)).toBeLessThan(1e-6);
    expect(expectedRisk(q, lStar, n, p)).toBeLessThan(expectedRisk(q, 0, n, p));
  });

  it('a fitted teacher gives population quantities for that teacher', () => {
    const s = sampleJoint(model, 2000, makeRng(5));
    const w1 = olsFit(s.x1, 2000, p, s.y, 'x1');
    const qFit = populationQuantities(model, w1);
    expect(Array.from(qFit.wTeacher)).toEqual(Array.from(w1));
    expect(qFit.miTeacherStudent).toBeCloseTo(q.miTeacherStudent, 1);
    expect(qFit.miTeacherStudent).not.toBe(q.miTeacherStudent);
  });
});
