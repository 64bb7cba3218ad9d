import { describe, expect, it } from 'vitest';
import { CmkdError } from '../util/errors.js';
import { fromRows } from '../util/linalg.js';
import { makeRng } from '../util/rng.js';
import { gaussianClassMI, gaussianMI, gaussianMIFromCovariance, shrunkCorrelation, standardizeColumns, wishartMIBias } from './gaussian.js';
import { binaryGaussianMixture, binaryMixtureMI, columns, correlatedGaussians, embeddedGaussians, multivariateNormal } from './testdata.js';

describe('Gaussian closed form', () => {
  it('3-variable Gaussian [[4,3,1],[3,4,1],[1,1,2]]: I(x0; x1) ≈ 0.4133 and I(x2; [x0, x1]) from the covariance', () => {
    const cov = fromRows([
      [4, 3, 1],
      [3, 4, 1],
      [1, 1, 2],
    ]);
    const n = 3000;
    const z = multivariateNormal(n, cov, 3);
    expect(Math.abs(gaussianMI(columns(z, n, 3, [0]), 1, columns(z, n, 3, [1]), 1, n).value - 0.4133)).toBeLessThan(0.03);
    const exact2 = gaussianMIFromCovariance(cov, [2], [0, 1]);
    // det Σ_{01} = 7, det Σ = 4(8−1) − 3(6−1) + 1(3−4) = 12: ½ log(2·7/12).
    expect(exact2).toBeCloseTo(0.5 * Math.log(14 / 12), 12);
    expect(Math.abs(gaussianMI(columns(z, n, 3, [2]), 1, columns(z, n, 3, [0, 1]), 2, n).value - exact2)).toBeLessThan(0.02);
  });

  it('near −½Σlog(1−ρᵢ²) for several ρ, dimensions and n from 500 to 10000', () => {
    const cases: [number[], number][] = [
      [[0.5], 500],
      [[0.9], 1000],
      [[0.3, 0.6, 0.2, 0.5], 5000],
      [[0.8, 0.8, 0.8, 0.8], 10000],
      [[0.2, 0.4, 0.6, 0.1, 0.3, 0.5, 0.7, 0.2], 5000],
    ];
    for (const [rhos, n] of cases) {
      const { x, y, d, exact } = correlatedGaussians(n, rhos, n + rhos.length);
      const { value, lambda, biasCorrected } = gaussianMI(x, d, y, d, n);
      expect(Math.abs(value - exact)).toBeLessThan(0.03);
      expect(lambda).toBe(0);
      expect(biasCorrected).toBe(true);
    }
  });

  it('the Wishart correction makes the plug-in unbiased: mean over 40 samples at n = 100, dx = dy = 4', () => {
    const rhos = [0.5, 0.5, 0.5, 0.5];
    let plugIn = 0;
    let corrected = 0;
    const reps = 40;
    for (let s = 0; s < reps; s++) {
      const { x, y, n, d } = correlatedGaussians(100, rhos, 500 + s);
      corrected += gaussianMI(x, d, y, d, n).value / reps;
      plugIn += gaussianMI(x, d, y, d, n, 0).value / reps;
    }
    const exact = -2 * Math.log(0.75);
    // The plug-in overstates by ≈ dx·dy/(2n) = 0.08; the corrected mean is within sampling error (sd ≈ 0.02).
    expect(plugIn - exact).toBeGreaterThan(0.05);
    expect(Math.abs(corrected - exact)).toBeLessThan(0.03);
    expect(wishartMIBias(100, 4, 4)).toBeCloseTo(plugIn - corrected, 10);
  });

  it('high-dimensional views of a 2-d dependence (32 + 32 columns, n = 2000)', () => {
    const { x, y, exact } = embeddedGaussians(2000, [0.8, 0.6], 32, 32, 0.3, 1);
    const r = gaussianMI(x, 32, y, 32, 2000);
    expect(r.biasCorrected).toBe(true);
    expect(Math.abs(r.value - exact)).toBeLessThan(0.05);
  });

  it('independent variables: ≈ 0', () => {
    const { x, y, n } = correlatedGaussians(4000, [0, 0, 0], 1);
    expect(Math.abs(gaussianMI(x, 3, y, 3, n).value)).toBeLessThan(0.01);
  });

  it('shrinkage keeps more dimensions than samples finite; without it the covariance is singular', () => {
    const rhos = Array.from({ length: 40 }, () => 0.3);
    const { x, y, n, d } = correlatedGaussians(50, rhos, 2);
    expect(() => gaussianMI(x, d, y, d, n, 0)).toThrow(CmkdError);
    expect(() => gaussianMI(x, d, y, d, n, 0)).toThrow(/correlation of .* not positive definite/);
    const lw = gaussianMI(x, d, y, d, n);
    expect(lw.biasCorrected).toBe(false);
    expect(lw).toEqual(gaussianMI(x, d, y, d, n, 'ledoit-wolf'));
    expect(Number.isFinite(lw.value)).toBe(true);
    expect(lw.lambda).toBeGreaterThan(0.1);
    // Full shrinkage removes every correlation.
    expect(gaussianMI(x, d, y, d, n, 1).value).toBeCloseTo(0, 12);
  });

  it('Ledoit–Wolf λ matches the direct formula Σ_k‖z_k z_kᵀ − R‖²_off / (n²‖R − I‖²_off)', () => {
    const rng = makeRng(5);
    const n = 40;
    const p = 4;
    const raw = Float64Array.from({ length: n * p }, (_, i) => rng.normal() + (i % p === 1 ? 0.5 * (i % 3) : 0));
    const { z } = standardizeColumns(raw, n, p);
    const { lambda } = shrunkCorrelation(z, n, p, 'ledoit-wolf');
    const r = new Float64Array(p * p);
    for (let i = 0; i < n; i++) for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) r[a * p + b] += (z[i * p + a] * z[i * p + b]) / n;
    let num = 0;
    let den = 0;
    for (let a = 0; a < p; a++)
      for (let b = 0; b < p; b++) {
        if (a === b) continue;
        den += r[a * p + b] ** 2;
        for (let i = 0; i < n; i++) num += (z[i * p + a] * z[i * p + b] - r[a * p + b]) ** 2;
      }
    expect(lambda).toBeCloseTo(Math.min(1, num / (n * n) / den), 12);
  });

  it('drops constant columns', () => {
    const { x, y, n } = correlatedGaussians(1000, [0.6], 4);
    const x2 = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      x2[2 * i] = x[i];
      x2[2 * i + 1] = 3;
    }
    expect(gaussianMI(x2, 2, y, 1, n).value).toBeCloseTo(gaussianMI(x, 1, y, 1, n).value, 10);
  });
});

describe('Gaussian estimator with discrete labels (class-conditional Gaussians)', () => {
  it('x | y ~ N(±μ, 1): near the exact MI from numerical integration', () => {
    for (const mu of [0.5, 1, 2]) {
      const { x, labels, exact } = binaryGaussianMixture(4000, mu, 7);
      expect(Math.abs(gaussianClassMI(x, 1, labels, 4000).value - exact)).toBeLessThan(0.02);
    }
  });

  it('never exceeds H(Y) for separated classes, and ≈ 0 for unrelated labels', () => {
    const { x, labels } = binaryGaussianMixture(2000, 8, 1);
    const v = gaussianClassMI(x, 1, labels, 2000).value;
    expect(v).toBeLessThanOrEqual(Math.log(2) + 1e-9);
    expect(v).toBeGreaterThan(Math.log(2) - 0.01);
    const rng = makeRng(2);
    const shuffled = Int32Array.from({ length: 2000 }, () => rng.int(2));
    expect(Math.abs(gaussianClassMI(x, 1, shuffled, 2000).value)).toBeLessThan(0.01);
  });

  it('more dimensions than 2 × class size: shared (LDA) covariance, robust to a column nearly constant within a class', () => {
    // 20 columns, 2 classes of 40: x₀ | y ~ N(±1.5, 1), other columns N(0, 1) noise, except column 5
    // which is 0 in class 0 but for one sample (a per-class covariance would call that sample impossible).
    const rng = makeRng(11);
    const n = 80;
    const d = 20;
    const x = new Float64Array(n * d);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 2;
      for (let c = 0; c < d; c++) x[i * d + c] = rng.normal();
      x[i * d] += labels[i] ? 1.5 : -1.5;
      if (labels[i] === 0) x[i * d + 5] = i === 0 ? 3 : 0;
    }
    const r = gaussianClassMI(x, d, labels, n);
    expect(r.model).toBe('lda');
    // Exact 0.47 nats; the in-sample posterior over 20 dimensions from 80 samples is optimistic.
    expect(Math.abs(r.value - binaryMixtureMI(1.5))).toBeLessThan(0.15);
    expect(r.value).toBeLessThanOrEqual(Math.log(2));
  });

  it('multivariate x with class-specific covariances', () => {
    // Class 0: N(0, I₂); class 1: N(0, diag(4, 1/4)). Same means: only the covariances inform.
    const n = 4000;
    const rng = makeRng(3);
    const x = new Float64Array(2 * n);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 2;
      x[2 * i] = rng.normal() * (labels[i] ? 2 : 1);
      x[2 * i + 1] = rng.normal() * (labels[i] ? 0.5 : 1);
    }
    // Exact value by Monte Carlo with the true densities on a fresh sample.
    const logN = (v: number, s: number) => -0.5 * (v / s) ** 2 - Math.log(s);
    let acc = 0;
    const m = 200000;
    for (let i = 0; i < m; i++) {
      const c = i % 2;
      const a = rng.normal() * (c ? 2 : 1);
      const b = rng.normal() * (c ? 0.5 : 1);
      const l0 = logN(a, 1) + logN(b, 1);
      const l1 = logN(a, 2) + logN(b, 0.5);
      const own = c ? l1 : l0;
      acc += own - Math.max(l0, l1) - Math.log(Math.exp(l0 - Math.max(l0, l1)) + Math.exp(l1 - Math.max(l0, l1)));
    }
    const exact = Math.log(2) + acc / m;
    const fitted = gaussianClassMI(x, 2, labels, n);
    expect(fitted.model).toBe('qda');
    expect(Math.abs(fitted.value - exact)).toBeLessThan(0.03);
  });
});
