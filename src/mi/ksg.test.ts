import { describe, expect, it } from 'vitest';
import { fromRows } from '../util/linalg.js';
import { makeRng } from '../util/rng.js';
import { gaussianMIFromCovariance } from './gaussian.js';
import { allCountsCloser, buildKDTree } from './kdtree.js';
import { ksgMI, ksgRaw, marginalCounts, rossMI, scaleAndJitter } from './ksg.js';
import { discreteMI } from './plugin.js';
import { digamma, digammaTable } from './special.js';
import { binaryGaussianMixture, columns, correlatedGaussians, multivariateNormal } from './testdata.js';

describe('digamma', () => {
  it('matches known values', () => {
    expect(digamma(1)).toBeCloseTo(-0.5772156649015329, 12);
    expect(digamma(0.5)).toBeCloseTo(-1.9635100260214235, 12);
    expect(digamma(10)).toBeCloseTo(2.251752589066721, 12);
    expect(digamma(1e6)).toBeCloseTo(Math.log(1e6) - 0.5e-6, 12);
    const t = digammaTable(5000);
    for (const i of [1, 2, 3, 63, 64, 65, 1000, 4999]) expect(t[i]).toBeCloseTo(digamma(i), 11);
  });
});

describe('KSG (algorithm 1)', () => {
  it('brute-force KSG on a small sample equals the tree-based one', () => {
    const { x, y, n } = correlatedGaussians(300, [0.7], 5);
    const k = 3;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const ds: number[] = [];
      for (let j = 0; j < n; j++) if (j !== i) ds.push(Math.max(Math.abs(x[i] - x[j]), Math.abs(y[i] - y[j])));
      ds.sort((a, b) => a - b);
      let nx = 0;
      let ny = 0;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        if (Math.abs(x[i] - x[j]) < ds[k - 1]) nx++;
        if (Math.abs(y[i] - y[j]) < ds[k - 1]) ny++;
      }
      s += digamma(nx + 1) + digamma(ny + 1);
    }
    expect(ksgRaw(x, 1, y, 1, n, k)).toBeCloseTo(digamma(k) + digamma(n) - s / n, 10);
  });

  it('1-d sorted fast path gives the same counts as the tree', () => {
    const { x } = correlatedGaussians(2000, [0.5], 8);
    const radius = Float64Array.from(x, (v, i) => (i % 5 === 0 ? 0 : Math.abs(v) * 0.1));
    expect(Array.from(marginalCounts(x, 2000, 1, radius))).toEqual(Array.from(allCountsCloser(buildKDTree(x, 2000, 1), radius)));
  });

  it('σ1 = 1, σ2 = 10, ρ = 0.5 at n = 1000: near the exact 0.1438 nats for k = 3, 5, 7', () => {
    const { x, y, exact } = correlatedGaussians(1000, [0.5], 11, 10);
    expect(exact).toBeCloseTo(0.1438, 4);
    for (const k of [3, 5, 7]) expect(Math.abs(ksgMI(x, 1, y, 1, 1000, { k, seed: 1 }) - exact)).toBeLessThan(0.04);
  });

  it('is invariant to the scale of y (columns are standardised, as sklearn)', () => {
    const a = correlatedGaussians(1000, [0.5], 11, 1);
    const b = correlatedGaussians(1000, [0.5], 11, 10);
    expect(ksgMI(a.x, 1, a.y, 1, 1000, { seed: 3 })).toBeCloseTo(ksgMI(b.x, 1, b.y, 1, 1000, { seed: 3 }), 6);
  });

  it('3-variable Gaussian: I(x0; x1) for covariance [[4,3,1],[3,4,1],[1,1,2]] is 0.4133 nats', () => {
    const cov = fromRows([
      [4, 3, 1],
      [3, 4, 1],
      [1, 1, 2],
    ]);
    const exact = gaussianMIFromCovariance(cov, [0], [1]);
    expect(exact).toBeCloseTo(-0.5 * Math.log(1 - 0.75 ** 2), 12);
    expect(exact).toBeCloseTo(0.4133, 4);
    const n = 4000;
    const z = multivariateNormal(n, cov, 21);
    const est = ksgMI(columns(z, n, 3, [0]), 1, columns(z, n, 3, [1]), 1, n, { seed: 2 });
    expect(Math.abs(est - exact)).toBeLessThan(0.03);
    // I(x2; [x0, x1]) in 1 + 2 dimensions.
    const exact2 = gaussianMIFromCovariance(cov, [2], [0, 1]);
    const est2 = ksgMI(columns(z, n, 3, [2]), 1, columns(z, n, 3, [0, 1]), 2, n, { seed: 2 });
    expect(Math.abs(est2 - exact2)).toBeLessThan(0.03);
  });

  it('within 0.02 nats of −½Σlog(1−ρᵢ²) at n = 5000 for dx + dy ≤ 4 (mean of 4 samples; each within 0.05)', () => {
    for (const rhos of [[0.5], [0.9], [0.3, 0.7]]) {
      const errs = [1, 2, 3, 4].map((seed) => {
        const { x, y, n, d, exact } = correlatedGaussians(5000, rhos, 100 + seed);
        return ksgMI(x, d, y, d, n, { seed }) - exact;
      });
      for (const e of errs) expect(Math.abs(e)).toBeLessThan(0.05);
      expect(Math.abs(errs.reduce((s, e) => s + e, 0) / errs.length)).toBeLessThan(0.02);
    }
  });

  it('independent variables: ≈ 0', () => {
    const { x, y, n } = correlatedGaussians(3000, [0, 0], 7);
    expect(Math.abs(ksgMI(x, 2, y, 2, n, { seed: 1 }))).toBeLessThan(0.02);
  });

  it('survives heavy ties thanks to the jitter (integer-valued data)', () => {
    const rng = makeRng(4);
    const n = 2000;
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = rng.int(5);
      y[i] = x[i] + rng.int(2);
    }
    const v = ksgMI(x, 1, y, 1, n, { seed: 1 });
    expect(Number.isFinite(v)).toBe(true);
    // The discrete truth: H(Y) − H(Y|X) = H(Y) − log 2 for y = x + Bernoulli(½), x uniform on 5 values.
    const py = [0.1, 0.2, 0.2, 0.2, 0.2, 0.1];
    const truth = -py.reduce((s, p) => s + p * Math.log(p), 0) - Math.log(2);
    expect(Math.abs(discreteMI(Int32Array.from(x), Int32Array.from(y), n) - truth)).toBeLessThan(0.03);
  });

  it('scaleAndJitter divides each column by its std (ddof 0) and adds only tiny noise', () => {
    const data = [1, 10, 2, 20, 3, 30, 4, 40];
    const s = scaleAndJitter(data, 4, 2, 0);
    const std = Math.sqrt(1.25);
    for (let i = 0; i < 4; i++) {
      expect(s[i * 2]).toBeCloseTo((i + 1) / std, 8);
      expect(s[i * 2 + 1]).toBeCloseTo((i + 1) / std, 8);
    }
    expect(s[0]).not.toBe(1 / std);
  });
});

describe('Ross (2014) mixed estimator', () => {
  it('balanced labels, x | y ~ N(±μ, 1): near the exact MI by numerical integration', () => {
    for (const [mu, n] of [
      [1, 4000],
      [2, 4000],
    ] as const) {
      const { x, labels, exact } = binaryGaussianMixture(n, mu, 30 + mu);
      expect(Math.abs(rossMI(x, 1, labels, n, { seed: 1 }) - exact)).toBeLessThan(0.03);
    }
  });

  it('labels independent of x: ≈ 0', () => {
    const rng = makeRng(9);
    const n = 3000;
    const x = Float64Array.from({ length: n }, () => rng.normal());
    const labels = Int32Array.from({ length: n }, () => rng.int(3));
    expect(Math.abs(rossMI(x, 1, labels, n, { seed: 1 }))).toBeLessThan(0.02);
  });

  it('drops samples whose label occurs once, as sklearn', () => {
    const { x, labels } = binaryGaussianMixture(500, 1, 2);
    const withSingleton = Int32Array.from(labels);
    withSingleton[0] = 7;
    const rest = Int32Array.from(labels.subarray(1));
    expect(rossMI(x, 1, withSingleton, 500, { seed: 1 })).not.toBeNaN();
    // The singleton changes only which samples are kept; the estimate stays close.
    expect(Math.abs(rossMI(x, 1, withSingleton, 500, { seed: 1 }) - rossMI(x.subarray(1), 1, rest, 499, { seed: 1 }))).toBeLessThan(0.02);
  });
});
