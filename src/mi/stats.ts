/** Quantiles for confidence intervals: they live in metrics (a lower layer, which the gain decisions use too). */
export { normalQuantile, quantile, studentCdf, studentQuantile } from '../metrics/distributions.js';
