import { describe, expect, it } from 'vitest';
import { makeRng } from '../util/rng.js';
import { pcaReduce, symmetricEigen } from './pca.js';

describe('symmetricEigen', () => {
  it('diagonalises a symmetric matrix, eigenvalues descending', () => {
    // [[2, 1], [1, 2]]: eigenvalues 3 (vector (1, 1)/√2) and 1 (vector (1, −1)/√2).
    const { values, vectors } = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2);
    expect(values[0]).toBeCloseTo(3, 12);
    expect(values[1]).toBeCloseTo(1, 12);
    expect(Math.abs(vectors[0])).toBeCloseTo(Math.SQRT1_2, 12);
    expect(vectors[0] * vectors[2]).toBeGreaterThan(0); // first column ∝ (1, 1)
  });

  it('reconstructs A = V diag(λ) Vᵀ for a 4 × 4 matrix', () => {
    const a = Float64Array.from([4, 1, 0.5, 0, 1, 3, 0.2, 0.1, 0.5, 0.2, 2, 0.3, 0, 0.1, 0.3, 1]);
    const { values, vectors } = symmetricEigen(a, 4);
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++) {
        let s = 0;
        for (let k = 0; k < 4; k++) s += vectors[i * 4 + k] * values[k] * vectors[j * 4 + k];
        expect(s).toBeCloseTo(a[i * 4 + j], 10);
      }
  });
});

describe('pcaReduce', () => {
  /** n rows in 30 dims: variance 9 along e₀ + e₁, 4 along e₅, noise variance 0.01 elsewhere. */
  function planted(n: number, seed: number): Float64Array {
    const rng = makeRng(seed);
    const d = 30;
    const x = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < d; c++) x[i * d + c] = 0.1 * rng.normal() + 5;
      const a = 3 * rng.normal();
      x[i * d] += a * Math.SQRT1_2;
      x[i * d + 1] += a * Math.SQRT1_2;
      x[i * d + 5] += 2 * rng.normal();
    }
    return x;
  }

  it('finds the planted high-variance directions, largest first, centred', () => {
    const n = 2000;
    const x = planted(n, 1);
    const r = pcaReduce({ data: x, n, d: 30 }, 2, { seed: 3 });
    expect(r.reduced).toBe(true);
    expect(r.h.d).toBe(2);
    // Score variances ≈ 9 and 4; explained ≈ 13 / (13 + 30 · 0.01).
    const varOf = (j: number) => {
      let s = 0;
      let m = 0;
      for (let i = 0; i < n; i++) m += r.h.data[i * 2 + j] / n;
      for (let i = 0; i < n; i++) s += (r.h.data[i * 2 + j] - m) ** 2 / n;
      return { s, m };
    };
    expect(varOf(0).s).toBeCloseTo(9, 0);
    expect(varOf(1).s).toBeCloseTo(4, 0);
    expect(Math.abs(varOf(0).m)).toBeLessThan(1e-9);
    expect(r.explained).toBeGreaterThan(0.97);
    // The first score is ±(x₀ + x₁)/√2 up to the small noise.
    let corr = 0;
    let sxx = 0;
    let syy = 0;
    for (let i = 0; i < n; i++) {
      const u = (x[i * 30] + x[i * 30 + 1] - 10) * Math.SQRT1_2;
      corr += u * r.h.data[i * 2];
      sxx += u * u;
      syy += r.h.data[i * 2] ** 2;
    }
    expect(Math.abs(corr) / Math.sqrt(sxx * syy)).toBeGreaterThan(0.999);
  });

  it('leaves a representation with ≤ dims columns as it is (centred)', () => {
    const r = pcaReduce({ data: Float32Array.from([1, 2, 3, 4, 5, 6]), n: 3, d: 2 }, 8);
    expect(r.reduced).toBe(false);
    expect(Array.from(r.h.data)).toEqual([-2, -2, 0, 0, 2, 2]);
  });

  it('is deterministic for a seed', () => {
    const x = planted(300, 2);
    const a = pcaReduce({ data: x, n: 300, d: 30 }, 3, { seed: 5 });
    const b = pcaReduce({ data: x, n: 300, d: 30 }, 3, { seed: 5 });
    expect(Array.from(a.h.data)).toEqual(Array.from(b.h.data));
  });
});
