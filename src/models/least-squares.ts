/**
 * Least squares with an intercept, a regression baseline with nothing to tune: on features
 * centred on the training rows (the run standardises them), the intercept is the training mean
 * target and the weights solve the normal equations. A ridge of RIDGE per training row on the
 * diagonal makes them solvable when columns are constant or collinear, or there are fewer rows
 * than features (then it is close to scikit-learn's minimum-norm LinearRegression); on full-rank
 * data it moves the weights by about 1e-6 of their size.
 */
import { check } from '../util/errors.js';
import { crossGram, gram, solveSPD } from '../util/linalg.js';

/** The diagonal added to XᵀX, per training row: a stabiliser, not a tuned penalty. */
export const RIDGE = 1e-6;

export interface LeastSquares {
  /** ȳ, the training rows' mean target. */
  intercept: number;
  weights: Float64Array;
  d: number;
}

/** b = ȳ, w = (XᵀX + RIDGE·n·I)⁻¹ Xᵀ(y − ȳ) over the training rows `x` (n × d, row-major, columns centred). */
export function fitLeastSquares(x: ArrayLike<number>, d: number, y: ArrayLike<number>): LeastSquares {
  const n = y.length;
  check(n > 0 && x.length === n * d, `least squares: ${x.length} values for ${n} rows of ${d} features`, 'invalid-input');
  let intercept = 0;
  for (let i = 0; i < n; i++) intercept += y[i] / n;
  const g = gram(x, n, d);
  for (let k = 0; k < d; k++) g.data[k * d + k] += RIDGE * n;
  const centred = Float64Array.from(y, (v) => v - intercept);
  const weights = solveSPD(g, crossGram(x, d, centred, 1, n), 'least squares: XᵀX').data;
  return { intercept, weights, d };
}

/** ŷ(x) = b + wᵀx. */
export function predictLeastSquares(m: LeastSquares, x: ArrayLike<number>): Float64Array {
  const { d, weights, intercept } = m;
  const out = new Float64Array(x.length / d);
  for (let i = 0; i < out.length; i++) {
    let s = intercept;
    for (let k = 0; k < d; k++) s += weights[k] * x[i * d + k];
    out[i] = s;
  }
  return out;
}
