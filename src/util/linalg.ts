/**
 * Small dense linear algebra in float64 for the numerics (Gaussian MI, ridge solutions,
 * covariance checks). Matrices are row-major Float64Array with an explicit size.
 */
import { CmkdError } from './errors.js';

export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

export function matrix(rows: number, cols: number, data?: ArrayLike<number>): Matrix {
  const m = { rows, cols, data: new Float64Array(rows * cols) };
  if (data) {
    if (data.length !== rows * cols) throw new Error(`matrix: ${data.length} values for ${rows}×${cols}`);
    m.data.set(data);
  }
  return m;
}

export function identity(n: number): Matrix {
  const m = matrix(n, n);
  for (let i = 0; i < n; i++) m.data[i * n + i] = 1;
  return m;
}

export function fromRows(rows: number[][]): Matrix {
  const m = matrix(rows.length, rows[0]?.length ?? 0);
  rows.forEach((r, i) => m.data.set(r, i * m.cols));
  return m;
}

export function get(m: Matrix, i: number, j: number): number {
  return m.data[i * m.cols + j];
}

export function transpose(a: Matrix): Matrix {
  const t = matrix(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) t.data[j * a.rows + i] = a.data[i * a.cols + j];
  return t;
}

export function matmul(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.rows) throw new Error(`matmul: ${a.rows}×${a.cols} by ${b.rows}×${b.cols}`);
  const c = matrix(a.rows, b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let k = 0; k < a.cols; k++) {
      const aik = a.data[i * a.cols + k];
      if (aik === 0) continue;
      const bo = k * b.cols;
      const co = i * b.cols;
      for (let j = 0; j < b.cols; j++) c.data[co + j] += aik * b.data[bo + j];
    }
  }
  return c;
}

/** Sub-matrix of rows r and columns c (index lists). */
export function submatrix(a: Matrix, r: number[], c: number[]): Matrix {
  const s = matrix(r.length, c.length);
  for (let i = 0; i < r.length; i++) for (let j = 0; j < c.length; j++) s.data[i * c.length + j] = a.data[r[i] * a.cols + c[j]];
  return s;
}

/**
 * Lower Cholesky factor L with A = L Lᵀ, or null if A is not (numerically) positive definite.
 */
export function cholesky(a: Matrix): Matrix | null {
  const n = a.rows;
  if (a.cols !== n) throw new Error(`cholesky: not square (${a.rows}×${a.cols})`);
  const l = matrix(n, n);
  for (let j = 0; j < n; j++) {
    let s = a.data[j * n + j];
    for (let k = 0; k < j; k++) s -= l.data[j * n + k] ** 2;
    if (!(s > 0) || !Number.isFinite(s)) return null;
    const d = Math.sqrt(s);
    l.data[j * n + j] = d;
    for (let i = j + 1; i < n; i++) {
      let t = a.data[i * n + j];
      for (let k = 0; k < j; k++) t -= l.data[i * n + k] * l.data[j * n + k];
      l.data[i * n + j] = t / d;
    }
  }
  return l;
}

/** Cholesky or a CmkdError naming `what` (e.g. 'covariance of x1'). */
export function choleskyOrThrow(a: Matrix, what: string): Matrix {
  const l = cholesky(a);
  if (!l) throw new CmkdError(`${what} (${a.rows}×${a.cols}) is not positive definite`);
  return l;
}

/** log det A for symmetric positive definite A. */
export function logDetSPD(a: Matrix, what = 'matrix'): number {
  const l = choleskyOrThrow(a, what);
  let s = 0;
  for (let i = 0; i < a.rows; i++) s += Math.log(l.data[i * a.rows + i]);
  return 2 * s;
}

/** Solve A X = B for symmetric positive definite A (B: n×k). */
export function solveSPD(a: Matrix, b: Matrix, what = 'matrix'): Matrix {
  const n = a.rows;
  const l = choleskyOrThrow(a, what);
  const x = matrix(b.rows, b.cols, b.data);
  for (let c = 0; c < b.cols; c++) {
    for (let i = 0; i < n; i++) {
      let s = x.data[i * b.cols + c];
      for (let k = 0; k < i; k++) s -= l.data[i * n + k] * x.data[k * b.cols + c];
      x.data[i * b.cols + c] = s / l.data[i * n + i];
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = x.data[i * b.cols + c];
      for (let k = i + 1; k < n; k++) s -= l.data[k * n + i] * x.data[k * b.cols + c];
      x.data[i * b.cols + c] = s / l.data[i * n + i];
    }
  }
  return x;
}

/**
 * Sample covariance (divisor n − 1) of the columns of an n×d sample-major array.
 */
export function covariance(x: ArrayLike<number>, n: number, d: number): Matrix {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const c = matrix(d, d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = x[i * d + j] - mean[j];
    for (let a = 0; a < d; a++) {
      const ra = row[a];
      const o = a * d;
      for (let b = a; b < d; b++) c.data[o + b] += ra * row[b];
    }
  }
  const denom = Math.max(1, n - 1);
  for (let a = 0; a < d; a++)
    for (let b = a; b < d; b++) {
      const v = c.data[a * d + b] / denom;
      c.data[a * d + b] = v;
      c.data[b * d + a] = v;
    }
  return c;
}

/** Uncentered second-moment matrix XᵀX of an n×d sample-major array (no mean removed). */
export function gram(x: ArrayLike<number>, n: number, d: number): Matrix {
  const g = matrix(d, d);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let a = 0; a < d; a++) {
      const xa = x[o + a];
      if (xa === 0) continue;
      const ga = a * d;
      for (let b = a; b < d; b++) g.data[ga + b] += xa * x[o + b];
    }
  }
  for (let a = 0; a < d; a++) for (let b = a + 1; b < d; b++) g.data[b * d + a] = g.data[a * d + b];
  return g;
}

/** Uncentered cross moments XᵀZ of two n-row sample-major arrays (X: n×dx, Z: n×dz). */
export function crossGram(x: ArrayLike<number>, dx: number, z: ArrayLike<number>, dz: number, n: number): Matrix {
  const c = matrix(dx, dz);
  for (let i = 0; i < n; i++) {
    const ox = i * dx;
    const oz = i * dz;
    for (let a = 0; a < dx; a++) {
      const xa = x[ox + a];
      if (xa === 0) continue;
      const ca = a * dz;
      for (let b = 0; b < dz; b++) c.data[ca + b] += xa * z[oz + b];
    }
  }
  return c;
}

/** Matrix–vector product A v. */
export function matvec(a: Matrix, v: ArrayLike<number>): Float64Array {
  if (v.length !== a.cols) throw new Error(`matvec: ${a.rows}×${a.cols} by vector of ${v.length}`);
  const out = new Float64Array(a.rows);
  for (let i = 0; i < a.rows; i++) {
    let s = 0;
    const o = i * a.cols;
    for (let j = 0; j < a.cols; j++) s += a.data[o + j] * v[j];
    out[i] = s;
  }
  return out;
}

/** Inner product uᵀv. */
export function dot(u: ArrayLike<number>, v: ArrayLike<number>): number {
  if (u.length !== v.length) throw new Error(`dot: lengths ${u.length} and ${v.length}`);
  let s = 0;
  for (let i = 0; i < u.length; i++) s += u[i] * v[i];
  return s;
}

/** Quadratic form uᵀ A v. */
export function quadForm(u: ArrayLike<number>, a: Matrix, v: ArrayLike<number>): number {
  return dot(u, matvec(a, v));
}
