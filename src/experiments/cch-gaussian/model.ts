/**
 * The joint-Gaussian model of the CCH paper (Xie, Xu & Sanguinetti, arXiv 2510.13182, §3):
 * zero-mean (x1, x2, y), x1 the teacher's modality, x2 the student's, y a scalar.
 *
 * The covariance is built from a latent-factor model whose knobs say how much of y each
 * modality explains and how much the modalities share:
 *
 *   s, u1, u2, ε ~ N(0, 1) independent             (shared latent, modality-specific latents, label noise)
 *   y  = √shared·s + √teacherSpecific·u1 + √studentSpecific·u2 + √noise·ε      (Var y = 1)
 *   xm = σm (√snr_m (q_ms s + q_mu um) + ξm),  ξm ~ N(0, I_p),  snr_m = c_m / (1 − c_m)
 *
 * with q_ms, q_mu orthonormal p-vectors (fixed by `loadingSeed`) and σm² = p / (p + 2 snr_m)
 * so the mean coordinate variance is 1. The clarity c_m is exactly the R² with which xm reveals
 * each of its latents (E[s | q_msᵀxm] has variance c_m), independent of p.
 */
import { CmkdError, check } from '../../util/errors.js';
import { cholesky, matrix, submatrix, type Matrix } from '../../util/linalg.js';
import { makeRng, type Rng } from '../../util/rng.js';

/** How y and the modalities are built from the latents (see the module comment). */
export interface CchStructure {
  /** Fraction of Var(y) carried by the latent both modalities see. */
  shared: number;
  /** Fraction of Var(y) carried by the latent only x1 (teacher) sees. */
  teacherSpecific: number;
  /** Fraction of Var(y) carried by the latent only x2 (student) sees. */
  studentSpecific: number;
  /** R² with which x1 reveals each of its latents, in (0, 1). */
  teacherClarity: number;
  /** R² with which x2 reveals each of its latents, in (0, 1). */
  studentClarity: number;
}

/** A zero-mean joint Gaussian over (x1 ∈ R^p1, x2 ∈ R^p2, y ∈ R), ordered [x1, x2, y]. */
export interface JointGaussian {
  p1: number;
  p2: number;
  /** (p1 + p2 + 1)² covariance. */
  sigma: Matrix;
  /** Lower Cholesky factor of sigma (checked positive definite when built). */
  chol: Matrix;
  /** What the model was built from, for error messages and results. */
  describe: string;
}

export function labelNoise(s: CchStructure): number {
  return 1 - s.shared - s.teacherSpecific - s.studentSpecific;
}

export function describeStructure(s: CchStructure): string {
  const f = (x: number) => String(Math.round(x * 1e4) / 1e4);
  return `shared=${f(s.shared)} teacherSpecific=${f(s.teacherSpecific)} studentSpecific=${f(s.studentSpecific)} teacherClarity=${f(s.teacherClarity)} studentClarity=${f(s.studentClarity)}`;
}

/** Validates the structural parameters; CmkdError naming the parameter otherwise. */
export function checkStructure(s: CchStructure): void {
  for (const key of ['shared', 'teacherSpecific', 'studentSpecific'] as const) {
    check(
      Number.isFinite(s[key]) && s[key] >= 0 && s[key] < 1,
      `cch-gaussian: ${key} must be a fraction of Var(y) in [0, 1), got ${s[key]} (${describeStructure(s)})`,
    );
  }
  for (const key of ['teacherClarity', 'studentClarity'] as const) {
    check(
      Number.isFinite(s[key]) && s[key] > 0 && s[key] < 1,
      `cch-gaussian: ${key} must be in (0, 1), got ${s[key]} (${describeStructure(s)})`,
    );
  }
  const noise = labelNoise(s);
  check(
    noise > 1e-9,
    `cch-gaussian: shared + teacherSpecific + studentSpecific must be < 1 (label noise ${noise.toFixed(4)} ≤ 0) (${describeStructure(s)})`,
  );
}

/** k orthonormal p-vectors (Gram–Schmidt on seeded Gaussian draws). */
export function orthonormalColumns(p: number, k: number, rng: Rng): Float64Array[] {
  check(p >= k, `cch-gaussian: dimension p = ${p} must be at least ${k}`);
  const cols: Float64Array[] = [];
  while (cols.length < k) {
    const v = new Float64Array(p);
    for (let i = 0; i < p; i++) v[i] = rng.normal();
    for (const q of cols) {
      let d = 0;
      for (let i = 0; i < p; i++) d += q[i] * v[i];
      for (let i = 0; i < p; i++) v[i] -= d * q[i];
    }
    let norm = 0;
    for (let i = 0; i < p; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    if (norm < 1e-8) continue;
    for (let i = 0; i < p; i++) v[i] /= norm;
    cols.push(v);
  }
  return cols;
}

/** The covariance of the latent-factor model (module comment), checked positive definite. */
export function latentFactorModel(structure: CchStructure, p: number, loadingSeed = 1): JointGaussian {
  check(Number.isInteger(p) && p >= 2, `cch-gaussian: p must be an integer ≥ 2, got ${p}`);
  checkStructure(structure);
  const rng = makeRng(loadingSeed);
  const [q1s, q1u] = orthonormalColumns(p, 2, rng);
  const [q2s, q2u] = orthonormalColumns(p, 2, rng);
  const snr1 = structure.teacherClarity / (1 - structure.teacherClarity);
  const snr2 = structure.studentClarity / (1 - structure.studentClarity);
  const sd1 = Math.sqrt(p / (p + 2 * snr1));
  const sd2 = Math.sqrt(p / (p + 2 * snr2));
  // Loadings of each observed coordinate on (s, u1, u2): x1 = a1s·s + a1u·u1 + noise, etc.
  const a1s = q1s.map((q) => sd1 * Math.sqrt(snr1) * q);
  const a1u = q1u.map((q) => sd1 * Math.sqrt(snr1) * q);
  const a2s = q2s.map((q) => sd2 * Math.sqrt(snr2) * q);
  const a2u = q2u.map((q) => sd2 * Math.sqrt(snr2) * q);
  const d = 2 * p + 1;
  const sigma = matrix(d, d);
  const set = (i: number, j: number, v: number) => {
    sigma.data[i * d + j] = v;
    sigma.data[j * d + i] = v;
  };
  const iy = 2 * p;
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      set(i, j, a1s[i] * a1s[j] + a1u[i] * a1u[j] + (i === j ? sd1 * sd1 : 0)); // Σ11
      set(p + i, p + j, a2s[i] * a2s[j] + a2u[i] * a2u[j] + (i === j ? sd2 * sd2 : 0)); // Σ22
    }
    for (let j = 0; j < p; j++) set(i, p + j, a1s[i] * a2s[j]); // Σ12: only s is shared
    set(i, iy, Math.sqrt(structure.shared) * a1s[i] + Math.sqrt(structure.teacherSpecific) * a1u[i]); // Σ1y
    set(p + i, iy, Math.sqrt(structure.shared) * a2s[i] + Math.sqrt(structure.studentSpecific) * a2u[i]); // Σ2y
  }
  set(iy, iy, 1);
  return fromCovariance(sigma, p, p, describeStructure(structure) + ` p=${p}`);
}

/**
 * Wrap a user-supplied covariance ordered [x1, x2, y]. Each diagonal block and the whole
 * matrix must be symmetric positive definite; the error names the block and `describe`.
 */
export function fromCovariance(sigma: Matrix, p1: number, p2: number, describe = 'user covariance'): JointGaussian {
  const d = p1 + p2 + 1;
  check(
    sigma.rows === d && sigma.cols === d,
    `cch-gaussian: covariance must be ${d}×${d} for p1=${p1}, p2=${p2} (got ${sigma.rows}×${sigma.cols})`,
  );
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      const a = sigma.data[i * d + j];
      const b = sigma.data[j * d + i];
      check(Math.abs(a - b) <= 1e-10 * (1 + Math.abs(a)), `cch-gaussian: covariance is not symmetric at (${i}, ${j}) (${describe})`);
    }
  }
  const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
  const blocks: [string, number[]][] = [
    ['Σ11 (teacher modality x1)', range(0, p1)],
    ['Σ22 (student modality x2)', range(p1, p1 + p2)],
    ['[Σ11 Σ12; Σ21 Σ22] (both modalities)', range(0, p1 + p2)],
  ];
  for (const [name, idx] of blocks) {
    if (!cholesky(submatrix(sigma, idx, idx)))
      throw new CmkdError(`cch-gaussian: covariance block ${name} is not positive definite (${describe})`);
  }
  check(sigma.data[d * d - 1] > 0, `cch-gaussian: Var(y) must be positive (${describe})`);
  const chol = cholesky(sigma);
  if (!chol)
    throw new CmkdError(
      `cch-gaussian: joint covariance of (x1, x2, y) is not positive definite — y is a deterministic linear function of the modalities (${describe})`,
    );
  return { p1, p2, sigma, chol, describe };
}

/** n samples: x1 (n×p1), x2 (n×p2) sample-major, and y. */
export interface JointSample {
  n: number;
  x1: Float64Array;
  x2: Float64Array;
  y: Float64Array;
}

/** Draw n samples as L z with z ~ N(0, I) from the seeded rng (L the Cholesky factor). */
export function sampleJoint(model: JointGaussian, n: number, rng: Rng): JointSample {
  const { p1, p2, chol } = model;
  const d = p1 + p2 + 1;
  const x1 = new Float64Array(n * p1);
  const x2 = new Float64Array(n * p2);
  const y = new Float64Array(n);
  const l = chol.data;
  // Four samples per pass so each entry of L is loaded once for four dot products.
  const z = new Float64Array(4 * d);
  const out = (i: number, r: number, v: number) => {
    if (r < p1) x1[i * p1 + r] = v;
    else if (r < p1 + p2) x2[i * p2 + r - p1] = v;
    else y[i] = v;
  };
  for (let i0 = 0; i0 < n; i0 += 4) {
    const m = Math.min(4, n - i0);
    for (let k = 0; k < m * d; k++) z[k] = rng.normal();
    for (let r = 0; r < d; r++) {
      let v0 = 0;
      let v1 = 0;
      let v2 = 0;
      let v3 = 0;
      const o = r * d;
      for (let c = 0; c <= r; c++) {
        const lc = l[o + c];
        v0 += lc * z[c];
        v1 += lc * z[d + c];
        v2 += lc * z[2 * d + c];
        v3 += lc * z[3 * d + c];
      }
      const vs = [v0, v1, v2, v3];
      for (let k = 0; k < m; k++) out(i0 + k, r, vs[k]);
    }
  }
  return { n, x1, x2, y };
}
