/** Seeded samplers with known mutual information, shared by the MI tests and the benchmark. */
import { cholesky, type Matrix } from '../util/linalg.js';
import { makeRng } from '../util/rng.js';
import { gaussianMIFromCovariance } from './gaussian.js';

export interface CorrelatedPair {
  x: Float64Array;
  y: Float64Array;
  n: number;
  d: number;
  /** Exact I(X;Y) = −½ Σ log(1 − ρᵢ²), nats. */
  exact: number;
}

/** x, y ∈ ℝᵈ standard normal with corr(xᵢ, yᵢ) = ρᵢ and all other pairs independent; y scaled by `yScale`. */
export function correlatedGaussians(n: number, rhos: number[], seed: number, yScale = 1): CorrelatedPair {
  const d = rhos.length;
  const rng = makeRng(seed);
  const x = new Float64Array(n * d);
  const y = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < d; c++) {
      const a = rng.normal();
      const b = rng.normal();
      x[i * d + c] = a;
      y[i * d + c] = yScale * (rhos[c] * a + Math.sqrt(1 - rhos[c] ** 2) * b);
    }
  }
  return { x, y, n, d, exact: -0.5 * rhos.reduce((s, r) => s + Math.log(1 - r * r), 0) };
}

/** n samples (n × p, row-major) of N(0, cov). */
export function multivariateNormal(n: number, cov: Matrix, seed: number): Float64Array {
  const p = cov.rows;
  const l = cholesky(cov);
  if (!l) throw new Error('multivariateNormal: covariance not positive definite');
  const rng = makeRng(seed);
  const out = new Float64Array(n * p);
  const e = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < p; c++) e[c] = rng.normal();
    for (let a = 0; a < p; a++) {
      let s = 0;
      for (let b = 0; b <= a; b++) s += l.data[a * p + b] * e[b];
      out[i * p + a] = s;
    }
  }
  return out;
}

/** Columns `cols` of an n × p array. */
export function columns(data: Float64Array, n: number, p: number, cols: number[]): Float64Array {
  const out = new Float64Array(n * cols.length);
  for (let i = 0; i < n; i++) cols.forEach((c, j) => (out[i * cols.length + j] = data[i * p + c]));
  return out;
}

/**
 * Balanced binary label y and x | y ~ N(±μ, 1). Exact I(X;Y) = h(x) − ½ log(2πe), with the
 * mixture entropy h(x) by Simpson's rule on [−μ − 12, μ + 12].
 */
export function binaryGaussianMixture(n: number, mu: number, seed: number): { x: Float64Array; labels: Int32Array; exact: number } {
  const rng = makeRng(seed);
  const x = new Float64Array(n);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = rng.next() < 0.5 ? 0 : 1;
    x[i] = (labels[i] ? mu : -mu) + rng.normal();
  }
  return { x, labels, exact: binaryMixtureMI(mu) };
}

export function binaryMixtureMI(mu: number): number {
  const pdf = (t: number) => (0.5 * (Math.exp(-0.5 * (t - mu) ** 2) + Math.exp(-0.5 * (t + mu) ** 2))) / Math.sqrt(2 * Math.PI);
  const a = -mu - 12;
  const b = mu + 12;
  const steps = 20000;
  const h = (b - a) / steps;
  let s = 0;
  for (let i = 0; i <= steps; i++) {
    const t = a + i * h;
    const p = pdf(t);
    const f = p > 0 ? -p * Math.log(p) : 0;
    s += f * (i === 0 || i === steps ? 1 : i % 2 ? 4 : 2);
  }
  return (s * h) / 3 - 0.5 * Math.log(2 * Math.PI * Math.E);
}

/**
 * High-dimensional views of a low-dimensional dependence: u, v ∈ ℝᵐ with corr(uᵢ, vᵢ) = ρᵢ,
 * x = A u + σ ε (dx columns), y = B v + σ ε' (dy columns), A and B fixed random matrices.
 * Exact I(X;Y) from the joint covariance [[AAᵀ + σ²I, A diag(ρ) Bᵀ], [·ᵀ, BBᵀ + σ²I]].
 */
export function embeddedGaussians(
  n: number,
  rhos: number[],
  dx: number,
  dy: number,
  noise: number,
  seed: number,
): { x: Float64Array; y: Float64Array; exact: number } {
  const m = rhos.length;
  const rng = makeRng(seed);
  const a = Float64Array.from({ length: dx * m }, () => rng.normal());
  const b = Float64Array.from({ length: dy * m }, () => rng.normal());
  const { x: u, y: v } = correlatedGaussians(n, rhos, seed + 1);
  const x = new Float64Array(n * dx);
  const y = new Float64Array(n * dy);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < dx; r++) {
      let s = noise * rng.normal();
      for (let c = 0; c < m; c++) s += a[r * m + c] * u[i * m + c];
      x[i * dx + r] = s;
    }
    for (let r = 0; r < dy; r++) {
      let s = noise * rng.normal();
      for (let c = 0; c < m; c++) s += b[r * m + c] * v[i * m + c];
      y[i * dy + r] = s;
    }
  }
  const p = dx + dy;
  const cov = new Float64Array(p * p);
  const row = (i: number) => (i < dx ? a.subarray(i * m, (i + 1) * m) : b.subarray((i - dx) * m, (i - dx + 1) * m));
  for (let i = 0; i < p; i++)
    for (let j = 0; j < p; j++) {
      const ri = row(i);
      const rj = row(j);
      const cross = i < dx !== j < dx;
      let s = 0;
      for (let c = 0; c < m; c++) s += ri[c] * rj[c] * (cross ? rhos[c] : 1);
      cov[i * p + j] = s + (i === j ? noise * noise : 0);
    }
  const ix = Array.from({ length: dx }, (_, i) => i);
  const iy = Array.from({ length: dy }, (_, i) => dx + i);
  return { x, y, exact: gaussianMIFromCovariance({ rows: p, cols: p, data: cov }, ix, iy) };
}
