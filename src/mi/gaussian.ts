/**
 * Gaussian mutual-information estimators. MI is invariant to rescaling each column, so both
 * work on standardised columns (correlation matrices). Constant columns carry no information
 * and are dropped.
 *
 * Continuous y, default ('auto'): when the joint correlation matrix is well-conditioned
 * (n > p + 1, no near-collinear columns), the plug-in value minus its exact finite-sample bias
 * under Gaussianity (Wishart: E log det S = log det Σ + Σᵢ ψ((n − i)/2) + p log(2/(n − 1)),
 * i = 1..p), which is unbiased for jointly Gaussian data; the plug-in alone overstates MI by
 * about dx·dy/(2n). Otherwise the correlation matrix is shrunk toward the identity (the
 * covariance toward its diagonal) with the Ledoit–Wolf (2004) λ, and no correction is applied.
 * Shrinkage is a last resort: it biases strong correlations, hence MI, downward.
 */
import { CmkdError } from '../util/errors.js';
import { cholesky, choleskyOrThrow, logDetSPD, matrix, submatrix, type Matrix } from '../util/linalg.js';
import { halfSplitEstimate, rowsOf, pick, type MIEstimatorDefinition } from './estimator.js';
import { digamma } from './special.js';
import { groupByLabel } from './ksg.js';
import { isDiscrete, type ContinuousInput } from './types.js';

export type Shrinkage = 'auto' | 'ledoit-wolf' | number;

export interface GaussianResult {
  /** MI in nats. */
  value: number;
  /** Shrinkage λ used (the joint one for continuous y; the mean over classes for labels). */
  lambda: number;
  /** Whether the Wishart finite-sample bias correction was subtracted. */
  biasCorrected: boolean;
}

/** Exact bias of the Gaussian plug-in MI under Gaussianity: ½[b(px) + b(py) − b(px + py)], b(p) = Σᵢ₌₁ᵖ ψ((n − i)/2). */
export function wishartMIBias(n: number, px: number, py: number): number {
  let s = 0;
  for (let i = 1; i <= px; i++) s += digamma((n - i) / 2);
  for (let i = 1; i <= py; i++) s += digamma((n - i) / 2);
  for (let i = 1; i <= px + py; i++) s -= digamma((n - i) / 2);
  return 0.5 * s;
}

/** Cholesky succeeds and no column is within 1e-8 (partial variance) of the span of the earlier ones. */
function wellConditioned(r: Matrix): boolean {
  const l = cholesky(r);
  if (!l) return false;
  for (let i = 0; i < r.rows; i++) if (l.data[i * r.rows + i] ** 2 < 1e-8) return false;
  return true;
}

/** Centre and scale each column to unit variance (divisor n); returns the kept (non-constant) columns. */
export function standardizeColumns(data: ArrayLike<number>, n: number, d: number): { z: Float64Array; p: number; kept: number[] } {
  const mean = new Float64Array(d);
  const ss = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) mean[c] += data[i * d + c];
  for (let c = 0; c < d; c++) mean[c] /= n;
  for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) ss[c] += (data[i * d + c] - mean[c]) ** 2;
  const kept: number[] = [];
  for (let c = 0; c < d; c++) if (ss[c] / n > 1e-24 * (1 + mean[c] * mean[c])) kept.push(c);
  const p = kept.length;
  const z = new Float64Array(n * p);
  for (let j = 0; j < p; j++) {
    const c = kept[j];
    const s = Math.sqrt(ss[c] / n);
    for (let i = 0; i < n; i++) z[i * p + j] = (data[i * d + c] - mean[c]) / s;
  }
  return { z, p, kept };
}

/**
 * Correlation matrix of standardised z (n × p), shrunk: R* = (1 − λ)R + λI. Ledoit–Wolf:
 * λ = Σ_k‖z_k z_kᵀ − R‖²_off / (n² ‖R − I‖²_off), clipped to [0, 1] (LW 2004, lemma 3.3 with a diagonal target).
 */
export function shrunkCorrelation(z: Float64Array, n: number, p: number, shrinkage: 'ledoit-wolf' | number): { r: Matrix; lambda: number } {
  const r = matrix(p, p);
  const row = new Float64Array(p);
  let sumNorm4 = 0;
  let sumFourth = 0;
  for (let i = 0; i < n; i++) {
    let norm2 = 0;
    for (let a = 0; a < p; a++) {
      const v = z[i * p + a];
      row[a] = v;
      norm2 += v * v;
      sumFourth += v * v * v * v;
    }
    sumNorm4 += norm2 * norm2;
    for (let a = 0; a < p; a++) {
      const ra = row[a];
      if (ra === 0) continue;
      const o = a * p;
      for (let b = a; b < p; b++) r.data[o + b] += ra * row[b];
    }
  }
  let offSq = 0;
  for (let a = 0; a < p; a++) {
    for (let b = a; b < p; b++) {
      const v = r.data[a * p + b] / n;
      r.data[a * p + b] = v;
      r.data[b * p + a] = v;
      if (a !== b) offSq += 2 * v * v;
    }
  }
  let lambda: number;
  if (typeof shrinkage === 'number') {
    lambda = shrinkage;
  } else {
    // Σ_k‖z_k z_kᵀ − R‖² over off-diagonal entries = Σ_k‖z_k‖⁴ − Σ_{k,a} z_ka⁴ − n‖R‖²_off.
    const beta = (sumNorm4 - sumFourth - n * offSq) / (n * n);
    lambda = offSq > 0 ? Math.min(1, Math.max(0, beta / offSq)) : 1;
  }
  for (let a = 0; a < p; a++)
    for (let b = 0; b < p; b++) {
      r.data[a * p + b] = a === b ? 1 : (1 - lambda) * r.data[a * p + b];
    }
  return { r, lambda };
}

/** I(X;Y) = ½ log(det Σx det Σy / det Σxy) on shrunk correlations; exact for jointly Gaussian data. */
export function gaussianMI(
  x: ArrayLike<number>,
  dx: number,
  y: ArrayLike<number>,
  dy: number,
  n: number,
  shrinkage: Shrinkage = 'auto',
): GaussianResult {
  const sx = standardizeColumns(x, n, dx);
  const sy = standardizeColumns(y, n, dy);
  if (sx.p === 0 || sy.p === 0) return { value: 0, lambda: 0, biasCorrected: false };
  const p = sx.p + sy.p;
  const z = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    z.set(sx.z.subarray(i * sx.p, (i + 1) * sx.p), i * p);
    z.set(sy.z.subarray(i * sy.p, (i + 1) * sy.p), i * p + sx.p);
  }
  let { r, lambda } = shrunkCorrelation(z, n, p, shrinkage === 'auto' ? 0 : shrinkage);
  const biasCorrected = shrinkage === 'auto' && n > p + 1 && wellConditioned(r);
  if (shrinkage === 'auto' && !biasCorrected) ({ r, lambda } = shrunkCorrelation(z, n, p, 'ledoit-wolf'));
  const ix = Array.from({ length: sx.p }, (_, j) => j);
  const iy = Array.from({ length: sy.p }, (_, j) => sx.p + j);
  const what = (v: string) => `correlation of ${v} (collinear columns? use shrinkage > 0)`;
  const logDetX = logDetSPD(submatrix(r, ix, ix), what('x'));
  const logDetY = logDetSPD(submatrix(r, iy, iy), what('y'));
  const logDetXY = logDetSPD(r, what('[x, y]'));
  // I = ½ log(det Σx det Σy / det Σxy), minus the plug-in's exact bias when unshrunk.
  const plugIn = 0.5 * (logDetX + logDetY - logDetXY);
  return { value: biasCorrected ? plugIn - wishartMIBias(n, sx.p, sy.p) : plugIn, lambda, biasCorrected };
}

/**
 * Continuous x, discrete labels: fit a Gaussian per class, then I = H(Y) + ⟨log p̂(y_i | x_i)⟩
 * with the class posterior of that mixture. This is the Barber–Agakov form H(Y) − H(Y|X) with
 * q(y|x) the mixture posterior: exact in expectation when the class-conditionals are Gaussian,
 * never above H(Y), and it stays meaningful for separated classes where
 * ½log det Σx − Σ_c π_c ½log det Σ_c would grow without bound. Each class gets its own
 * covariance (QDA) when every class has more than 2p samples; otherwise all share the pooled
 * within-class covariance (LDA), since a class covariance from fewer samples than dimensions
 * makes some of the class's own samples look impossible. Covariances are Ledoit–Wolf shrunk
 * (or by the fixed λ given). Classes seen once are dropped.
 */
export function gaussianClassMI(
  x: ArrayLike<number>,
  d: number,
  labels: Int32Array,
  n: number,
  shrinkage: Shrinkage = 'auto',
): GaussianResult & { model: 'qda' | 'lda' } {
  const classShrinkage = shrinkage === 'auto' ? 'ledoit-wolf' : shrinkage;
  const groups = groupByLabel(labels).filter((g) => g.length >= 2);
  const m = groups.reduce((s, g) => s + g.length, 0);
  const s = standardizeColumns(x, n, d);
  const p = s.p;
  const model = groups.every((g) => g.length > 2 * p) ? 'qda' : 'lda';
  if (groups.length < 2 || p === 0) return { value: 0, lambda: 0, biasCorrected: false, model };
  const classOf = new Int32Array(n).fill(-1);
  groups.forEach((rows, c) => rows.forEach((r) => (classOf[r] = c)));
  const means = groups.map((rows) => {
    const mean = new Float64Array(p);
    for (const r of rows) for (let a = 0; a < p; a++) mean[a] += s.z[r * p + a];
    for (let a = 0; a < p; a++) mean[a] /= rows.length;
    return mean;
  });
  /** Shrunk Gaussian of the rows (centred on their class means): scales D, Cholesky L of the correlation, log-normaliser. */
  const fit = (rows: number[]) => {
    const ss = new Float64Array(p);
    for (const r of rows) for (let a = 0; a < p; a++) ss[a] += (s.z[r * p + a] - means[classOf[r]][a]) ** 2;
    // Standard deviations floored at 1e-3 of the overall (unit) scale so constant columns stay usable.
    const scale = Float64Array.from(ss, (v) => Math.max(1e-3, Math.sqrt(v / rows.length)));
    const centred = new Float64Array(rows.length * p);
    rows.forEach((r, j) => {
      for (let a = 0; a < p; a++) centred[j * p + a] = (s.z[r * p + a] - means[classOf[r]][a]) / scale[a];
    });
    const { r, lambda } = shrunkCorrelation(centred, rows.length, p, classShrinkage);
    const chol = choleskyOrThrow(r, 'shrunk within-class correlation of x');
    let logDet = 0;
    for (let a = 0; a < p; a++) logDet += 2 * Math.log(chol.data[a * p + a]) + 2 * Math.log(scale[a]);
    return { scale, chol, lambda, logNorm: -0.5 * (logDet + p * Math.log(2 * Math.PI)) };
  };
  /** u = L⁻¹ D⁻¹ v by forward substitution. */
  const whiten = (g: ReturnType<typeof fit>, v: ArrayLike<number>, vo: number, u: Float64Array): void => {
    for (let a = 0; a < p; a++) {
      let t = v[vo + a] / g.scale[a];
      const o = a * p;
      for (let b = 0; b < a; b++) t -= g.chol.data[o + b] * u[b];
      u[a] = t / g.chol.data[o + a];
    }
  };
  const logPrior = groups.map((g) => Math.log(g.length / m));
  const logJoint = new Float64Array(groups.length);
  const u = new Float64Array(p);
  let sumLogPosterior = 0;
  let lambda: number;
  const posterior = (i: number) => {
    let mx = -Infinity;
    for (let c = 0; c < groups.length; c++) mx = Math.max(mx, logJoint[c]);
    let se = 0;
    for (let c = 0; c < groups.length; c++) se += Math.exp(logJoint[c] - mx);
    sumLogPosterior += logJoint[classOf[i]] - mx - Math.log(se);
  };
  if (model === 'lda') {
    const all = groups.flat();
    const g = fit(all);
    lambda = g.lambda;
    // Shared covariance: whiten each sample once; the Mahalanobis term is ‖u − L⁻¹D⁻¹μ_c‖².
    const centres = means.map((mu) => {
      const w = new Float64Array(p);
      whiten(g, mu, 0, w);
      return w;
    });
    for (let i = 0; i < n; i++) {
      if (classOf[i] < 0) continue;
      whiten(g, s.z, i * p, u);
      for (let c = 0; c < groups.length; c++) {
        let quad = 0;
        for (let a = 0; a < p; a++) quad += (u[a] - centres[c][a]) ** 2;
        logJoint[c] = logPrior[c] - 0.5 * quad;
      }
      posterior(i);
    }
  } else {
    const fits = groups.map((rows) => fit(rows));
    lambda = fits.reduce((t, f) => t + f.lambda, 0) / fits.length;
    const diff = new Float64Array(p);
    for (let i = 0; i < n; i++) {
      if (classOf[i] < 0) continue;
      for (let c = 0; c < groups.length; c++) {
        for (let a = 0; a < p; a++) diff[a] = s.z[i * p + a] - means[c][a];
        whiten(fits[c], diff, 0, u);
        let quad = 0;
        for (let a = 0; a < p; a++) quad += u[a] * u[a];
        logJoint[c] = logPrior[c] + fits[c].logNorm - 0.5 * quad;
      }
      posterior(i);
    }
  }
  let entropyY = 0;
  for (const g of groups) entropyY -= (g.length / m) * Math.log(g.length / m);
  if (!Number.isFinite(sumLogPosterior)) throw new CmkdError('gaussian estimator: class posterior is not finite (degenerate x?)');
  return { value: entropyY + sumLogPosterior / m, lambda, biasCorrected: false, model };
}

/** Exact I(X;Y) of a Gaussian with covariance `cov` (p × p) between the coordinates ix and iy: ½ log(det Σx det Σy / det Σxy). */
export function gaussianMIFromCovariance(cov: Matrix, ix: number[], iy: number[]): number {
  const ixy = [...ix, ...iy];
  return (
    0.5 *
    (logDetSPD(submatrix(cov, ix, ix), 'covariance of x') +
      logDetSPD(submatrix(cov, iy, iy), 'covariance of y') -
      logDetSPD(submatrix(cov, ixy, ixy), 'covariance of [x, y]'))
  );
}

// I = ½ log(det Σx det Σy / det Σxy) − ½[b(dx) + b(dy) − b(dx + dy)] (Wishart bias, module comment); labels: I = H(Y) + ⟨log p̂(y|x)⟩ (Barber & Agakov 2003).
export const gaussian: MIEstimatorDefinition = {
  name: 'gaussian',
  selectable: true,
  takes: ['continuous', 'mixed'],
  defaults: { shrinkage: 'auto' },
  resamples: 20,
  estimate(a, b, ctx) {
    const { opts, n, settings } = ctx;
    const shrinkage = opts.shrinkage ?? 'auto';
    const ca = a as ContinuousInput;
    settings.shrinkage = shrinkage;
    settings.method = isDiscrete(b) ? 'class-conditional Gaussian posterior' : 'closed form';
    const fit = (idx: Int32Array | null): GaussianResult & { model?: 'qda' | 'lda' } => {
      const xa = idx ? rowsOf(ca.data, ca.d, idx) : ca.data;
      const m = idx ? idx.length : n;
      if (isDiscrete(b)) return gaussianClassMI(xa, ca.d, idx ? pick(b.labels, idx) : b.labels, m, shrinkage);
      return gaussianMI(xa, ca.d, idx ? rowsOf(b.data, b.d, idx) : b.data, b.d, m, shrinkage);
    };
    const full = fit(null);
    if (full.model) settings.method = `class-conditional Gaussian posterior (${full.model.toUpperCase()})`;
    settings.lambda = full.lambda;
    settings.biasCorrected = full.biasCorrected;
    return halfSplitEstimate({ run: (idx) => (idx ? fit(idx).value : full.value), minRows: 2 }, ctx);
  },
};
