import { describe, expect, it } from 'vitest';
import { CmkdError } from '../../util/errors.js';
import { covariance, fromRows, identity } from '../../util/linalg.js';
import { makeRng } from '../../util/rng.js';
import { fromCovariance, latentFactorModel, sampleJoint, type CchStructure } from './model.js';
import { populationQuantities } from './theory.js';

const base: CchStructure = { shared: 0.4, teacherSpecific: 0.2, studentSpecific: 0.1, teacherClarity: 0.8, studentClarity: 0.7 };

describe('latent-factor model', () => {
  it('has unit Var(y) and unit mean coordinate variance in each modality', () => {
    const p = 6;
    const m = latentFactorModel(base, p);
    const d = 2 * p + 1;
    let tr1 = 0;
    let tr2 = 0;
    for (let i = 0; i < p; i++) {
      tr1 += m.sigma.data[i * d + i];
      tr2 += m.sigma.data[(p + i) * d + p + i];
    }
    expect(tr1 / p).toBeCloseTo(1, 12);
    expect(tr2 / p).toBeCloseTo(1, 12);
    expect(m.sigma.data[d * d - 1]).toBeCloseTo(1, 12);
  });

  it('gives the hand-derived correlations: ρ²(H2,Y) = c2(ws + w2), ρ²(H1,H2) = c1c2·ws²/((ws + w1)(ws + w2))', () => {
    // H_m = c_m(√ws·a_ms + √w_m·a_mu) with a = latent + noise of variance (1 − c)/c along the loading.
    const q = populationQuantities(latentFactorModel(base, 9));
    const { shared: ws, teacherSpecific: w1, studentSpecific: w2, teacherClarity: c1, studentClarity: c2 } = base;
    expect(q.rhoStudentLabel ** 2).toBeCloseTo(c2 * (ws + w2), 10);
    expect(q.rhoTeacherStudent ** 2).toBeCloseTo((c1 * c2 * ws * ws) / ((ws + w1) * (ws + w2)), 10);
    // Residual quantities of the finite-sample theory.
    expect(q.residualVarLabel).toBeCloseTo(1 - c2 * (ws + w2), 10);
    expect(q.misfit).toBeCloseTo(c2 * (ws * (1 - c1) ** 2 + w2), 10);
    expect(q.residualCov).toBeCloseTo(c1 * (ws + w1) - c1 * c2 * ws, 10);
    expect(q.residualVarTeacher).toBeCloseTo(c1 * (ws + w1) - c1 * c1 * c2 * ws, 10);
  });

  it('does not depend on p for the population quantities', () => {
    const a = populationQuantities(latentFactorModel(base, 4));
    const b = populationQuantities(latentFactorModel(base, 50, 7));
    expect(b.miMargin).toBeCloseTo(a.miMargin, 10);
    expect(b.misfit).toBeCloseTo(a.misfit, 10);
  });

  it('rejects structures that leave no label noise or have clarity outside (0, 1), naming the parameter', () => {
    expect(() => latentFactorModel({ ...base, shared: 0.7 }, 5)).toThrow(/label noise.*shared=0.7/);
    expect(() => latentFactorModel({ ...base, teacherClarity: 1 }, 5)).toThrow(/teacherClarity must be in \(0, 1\)/);
    expect(() => latentFactorModel({ ...base, studentSpecific: -0.1 }, 5)).toThrow(CmkdError);
    expect(() => latentFactorModel(base, 1)).toThrow(/p must be an integer ≥ 2/);
  });
});

describe('fromCovariance', () => {
  it('names the block that is not positive definite', () => {
    // x1 = [1], x2 = 2 dims with a singular Σ22, y.
    const bad = fromRows([
      [1, 0, 0, 0.1],
      [0, 1, 1, 0.1],
      [0, 1, 1, 0.1],
      [0.1, 0.1, 0.1, 1],
    ]);
    expect(() => fromCovariance(bad, 1, 2, 'test matrix')).toThrow(/Σ22 \(student modality x2\) is not positive definite \(test matrix\)/);
  });

  it('names the joint when y is a deterministic function of the modalities', () => {
    const s = fromRows([
      [1, 0, 1],
      [0, 1, 1],
      [1, 1, 2],
    ]); // y = x1 + x2
    expect(() => fromCovariance(s, 1, 1)).toThrow(/joint covariance of \(x1, x2, y\) is not positive definite/);
  });

  it('rejects a wrong size and asymmetry', () => {
    expect(() => fromCovariance(identity(4), 1, 1)).toThrow(/must be 3×3/);
    const a = identity(3);
    a.data[1] = 0.2;
    expect(() => fromCovariance(a, 1, 1)).toThrow(/not symmetric at \(1, 0\)/);
  });
});

describe('sampleJoint', () => {
  it('draws from the model covariance (Monte-Carlo, 60k rows)', () => {
    const p = 3;
    const m = latentFactorModel(base, p);
    const n = 60000;
    const s = sampleJoint(m, n, makeRng(42));
    const d = 2 * p + 1;
    const rows = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      rows.set(s.x1.subarray(i * p, (i + 1) * p), i * d);
      rows.set(s.x2.subarray(i * p, (i + 1) * p), i * d + p);
      rows[i * d + 2 * p] = s.y[i];
    }
    const c = covariance(rows, n, d);
    let maxErr = 0;
    for (let k = 0; k < d * d; k++) maxErr = Math.max(maxErr, Math.abs(c.data[k] - m.sigma.data[k]));
    // Entries are O(1); the standard error of a sample covariance is ≈ √(2/n) ≈ 0.006.
    expect(maxErr).toBeLessThan(0.03);
  });

  it('is a pure function of the seed', () => {
    const m = latentFactorModel(base, 4);
    const a = sampleJoint(m, 7, makeRng(3));
    const b = sampleJoint(m, 7, makeRng(3));
    expect(Array.from(a.x2)).toEqual(Array.from(b.x2));
    expect(Array.from(a.y)).toEqual(Array.from(b.y));
    expect(Array.from(sampleJoint(m, 7, makeRng(4)).y)).not.toEqual(Array.from(a.y));
  });
});
