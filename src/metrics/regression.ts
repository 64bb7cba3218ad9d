/**
 * Regression metrics on typed arrays. Empty input, mismatched lengths or non-finite values
 * → CmkdError. R² follows scikit-learn (force_finite): when y_true is constant, R² is 1 for
 * a perfect prediction and 0 otherwise.
 */
import { CmkdError, check } from '../util/errors.js';

function checkPair(what: string, yTrue: ArrayLike<number>, yPred: ArrayLike<number>): void {
  if (yTrue.length === 0) throw new CmkdError(`${what}: empty input (no samples)`);
  check(yTrue.length === yPred.length, `${what}: y_true has ${yTrue.length} values but y_pred has ${yPred.length}`);
  for (let i = 0; i < yTrue.length; i++) {
    if (!Number.isFinite(yTrue[i])) throw new CmkdError(`${what}: y_true[${i}] = ${yTrue[i]} is not a finite number`);
    if (!Number.isFinite(yPred[i])) throw new CmkdError(`${what}: y_pred[${i}] = ${yPred[i]} is not a finite number`);
  }
}

/** Mean squared error (1/n) Σ (y − ŷ)². */
export function mse(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkPair('MSE', yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) s += (yTrue[i] - yPred[i]) ** 2;
  return s / yTrue.length;
}

/** Mean absolute error (1/n) Σ |y − ŷ|. */
export function mae(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkPair('MAE', yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) s += Math.abs(yTrue[i] - yPred[i]);
  return s / yTrue.length;
}

/** Coefficient of determination R² = 1 − SS_res / SS_tot. */
export function r2(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkPair('R²', yTrue, yPred);
  const n = yTrue.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += yTrue[i] / n;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < n; i++) {
    ssRes += (yTrue[i] - yPred[i]) ** 2;
    ssTot += (yTrue[i] - mean) ** 2;
  }
  if (ssTot === 0) return ssRes === 0 ? 1 : 0;
  return 1 - ssRes / ssTot;
}
