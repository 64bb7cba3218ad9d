/**
 * The nearest-centroid classifier, a baseline with nothing to train: each class is the mean of its
 * training rows, and a row is given the class of the nearest mean (scikit-learn's NearestCentroid
 * with the Euclidean metric and no shrinkage). On standardised features it shows what a model of a
 * modality should reach at least, so an under-trained model is visible beside it.
 */
import { check } from '../util/errors.js';

export interface NearestCentroid {
  /** Class means, row-major (classes × d); a class without training rows has NaN, and is never predicted. */
  centroids: Float64Array;
  d: number;
  classes: number;
}

/** μ_c = (1/|c|) Σ_{i: y_i = c} x_i over the training rows `x` (n × d, row-major). */
export function fitNearestCentroid(x: ArrayLike<number>, d: number, y: ArrayLike<number>, classes: number): NearestCentroid {
  const n = y.length;
  check(n > 0 && x.length === n * d, `nearest centroid: ${x.length} values for ${n} rows of ${d} features`, 'invalid-input');
  const centroids = new Float64Array(classes * d);
  const count = new Float64Array(classes);
  for (let i = 0; i < n; i++) {
    const c = y[i];
    count[c]++;
    for (let k = 0; k < d; k++) centroids[c * d + k] += x[i * d + k];
  }
  for (let c = 0; c < classes; c++) for (let k = 0; k < d; k++) centroids[c * d + k] /= count[c] || NaN;
  return { centroids, d, classes };
}

/** ŷ(x) = argmin_c ‖x − μ_c‖² (the first class on ties). */
export function predictNearestCentroid(m: NearestCentroid, x: ArrayLike<number>): Int32Array {
  const { d, classes, centroids } = m;
  const n = x.length / d;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    for (let c = 0; c < classes; c++) {
      let dist = 0;
      for (let k = 0; k < d; k++) dist += (x[i * d + k] - centroids[c * d + k]) ** 2;
      if (dist < best) [best, out[i]] = [dist, c];
    }
  }
  return out;
}
