/**
 * Principal-component reduction of a representation before k-NN MI estimation. KSG's bias
 * grows quickly with dimension (a 64-d embedding pair is a 128-d joint space), so every
 * representation wider than the target is projected on its top principal components.
 *
 * The top components come from subspace (block power) iteration on the centred data,
 * W ← orth(Xᵀ(X W)), followed by a Rayleigh–Ritz step (Jacobi eigendecomposition of the small
 * projected matrix) that orders them by variance. Each iteration costs 2·n·d·p, so images of
 * thousands of pixels are reduced without ever forming the d × d covariance.
 */
import { check } from '../util/errors.js';
import { makeRng } from '../util/rng.js';
import type { ContinuousRepresentation as Representation } from './types.js';

export interface PcaOptions {
  /** Seeds the random starting subspace. */
  seed?: number;
  /** Subspace iterations (default 12). */
  iterations?: number;
  /** Extra directions carried along to speed convergence of the last wanted ones (default 4). */
  oversample?: number;
}

export interface PcaResult {
  /** n × dims scores, float64. */
  h: Representation;
  /** Fraction of the total variance the kept components explain (1 when nothing was dropped). */
  explained: number;
  /** Whether a projection happened (false: the input already had ≤ dims columns and is returned centred). */
  reduced: boolean;
}

/** Orthonormalise the p columns of a d × p row-major matrix in place (modified Gram–Schmidt, twice). */
function orthonormalize(w: Float64Array, d: number, p: number, rng: () => number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < p; j++) {
      for (let i = 0; i < j; i++) {
        let dot = 0;
        for (let r = 0; r < d; r++) dot += w[r * p + i] * w[r * p + j];
        for (let r = 0; r < d; r++) w[r * p + j] -= dot * w[r * p + i];
      }
      let norm = 0;
      for (let r = 0; r < d; r++) norm += w[r * p + j] ** 2;
      norm = Math.sqrt(norm);
      if (norm < 1e-12) {
        // A degenerate direction (rank-deficient data): restart it at random.
        for (let r = 0; r < d; r++) w[r * p + j] = rng() - 0.5;
        j--;
        continue;
      }
      for (let r = 0; r < d; r++) w[r * p + j] /= norm;
    }
  }
}

/** out (n × p) = x (n × d) · w (d × p). */
function project(x: Float64Array, n: number, d: number, w: Float64Array, p: number): Float64Array {
  const out = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    const xo = i * d;
    const oo = i * p;
    for (let c = 0; c < d; c++) {
      const v = x[xo + c];
      if (v === 0) continue;
      const wo = c * p;
      for (let j = 0; j < p; j++) out[oo + j] += v * w[wo + j];
    }
  }
  return out;
}

/** out (d × p) = xᵀ (d × n) · z (n × p). */
function projectBack(x: Float64Array, n: number, d: number, z: Float64Array, p: number): Float64Array {
  const out = new Float64Array(d * p);
  for (let i = 0; i < n; i++) {
    const xo = i * d;
    const zo = i * p;
    for (let c = 0; c < d; c++) {
      const v = x[xo + c];
      if (v === 0) continue;
      const oo = c * p;
      for (let j = 0; j < p; j++) out[oo + j] += v * z[zo + j];
    }
  }
  return out;
}

/**
 * Eigen-decomposition of a symmetric p × p matrix by cyclic Jacobi rotations.
 * Returns eigenvalues (descending) and the matching eigenvectors as columns of a p × p matrix.
 */
export function symmetricEigen(a: Float64Array, p: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(p * p);
  for (let i = 0; i < p; i++) v[i * p + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < p; i++) for (let j = i + 1; j < p; j++) off += m[i * p + j] ** 2;
    if (off < 1e-30) break;
    for (let i = 0; i < p; i++) {
      for (let j = i + 1; j < p; j++) {
        const aij = m[i * p + j];
        if (Math.abs(aij) < 1e-300) continue;
        const theta = (m[j * p + j] - m[i * p + i]) / (2 * aij);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < p; k++) {
          const mki = m[k * p + i];
          const mkj = m[k * p + j];
          m[k * p + i] = c * mki - s * mkj;
          m[k * p + j] = s * mki + c * mkj;
        }
        for (let k = 0; k < p; k++) {
          const mik = m[i * p + k];
          const mjk = m[j * p + k];
          m[i * p + k] = c * mik - s * mjk;
          m[j * p + k] = s * mik + c * mjk;
        }
        for (let k = 0; k < p; k++) {
          const vki = v[k * p + i];
          const vkj = v[k * p + j];
          v[k * p + i] = c * vki - s * vkj;
          v[k * p + j] = s * vki + c * vkj;
        }
      }
    }
  }
  const order = Array.from({ length: p }, (_, i) => i).sort((x, y) => m[y * p + y] - m[x * p + x]);
  const values = Float64Array.from(order, (i) => m[i * p + i]);
  const vectors = new Float64Array(p * p);
  order.forEach((src, dst) => {
    for (let k = 0; k < p; k++) vectors[k * p + dst] = v[k * p + src];
  });
  return { values, vectors };
}

/**
 * Scores of h's rows on its top `dims` principal components (fitted on these rows; label-free).
 * A representation with ≤ dims columns is only centred.
 */
export function pcaReduce(h: Representation, dims: number, opts: PcaOptions = {}): PcaResult {
  check(Number.isInteger(dims) && dims >= 1, `dims must be a positive integer, got ${dims}`, 'invalid-option');
  const { n, d } = h;
  const x = new Float64Array(n * d);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) mean[c] += h.data[i * d + c];
  for (let c = 0; c < d; c++) mean[c] /= n;
  let total = 0;
  for (let i = 0; i < n; i++)
    for (let c = 0; c < d; c++) {
      const v = h.data[i * d + c] - mean[c];
      x[i * d + c] = v;
      total += v * v;
    }
  if (d <= dims) return { h: { data: x, n, d }, explained: 1, reduced: false };
  const rng = makeRng(opts.seed ?? 0);
  const p = Math.min(d, n, dims + (opts.oversample ?? 4));
  const q = Math.min(dims, p);
  const w = new Float64Array(d * p);
  for (let i = 0; i < w.length; i++) w[i] = rng.normal();
  orthonormalize(w, d, p, rng.next);
  const iterations = opts.iterations ?? 12;
  for (let it = 0; it < iterations; it++) {
    const next = projectBack(x, n, d, project(x, n, d, w, p), p);
    w.set(next);
    orthonormalize(w, d, p, rng.next);
  }
  // Rayleigh–Ritz: B = (XW)ᵀ(XW), rotate W onto B's eigenvectors, largest first.
  const z = project(x, n, d, w, p);
  const b = new Float64Array(p * p);
  for (let i = 0; i < n; i++)
    for (let r = 0; r < p; r++) {
      const zr = z[i * p + r];
      for (let c = r; c < p; c++) b[r * p + c] += zr * z[i * p + c];
    }
  for (let r = 0; r < p; r++) for (let c = 0; c < r; c++) b[r * p + c] = b[c * p + r];
  const { values, vectors } = symmetricEigen(b, p);
  const scores = new Float64Array(n * q);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < q; j++) {
      let s = 0;
      for (let r = 0; r < p; r++) s += z[i * p + r] * vectors[r * p + j];
      scores[i * q + j] = s;
    }
  let kept = 0;
  for (let j = 0; j < q; j++) kept += Math.max(0, values[j]);
  return { h: { data: scores, n, d: q }, explained: total > 0 ? kept / total : 1, reduced: true };
}
