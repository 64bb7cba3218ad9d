/**
 * Summaries over repeated runs (seeds, folds). NaN in the values propagates to the mean and
 * sd (an undefined metric in one run makes the summary undefined; filter first if that is
 * not wanted). Empty input → CmkdError. With n = 1 the sample sd is undefined → NaN.
 */
import { CmkdError } from '../util/errors.js';

export interface MeanSd {
  mean: number;
  /** Sample standard deviation (n − 1 denominator); NaN when n = 1. */
  sd: number;
  n: number;
}

export function meanSd(values: ArrayLike<number>): MeanSd {
  const n = values.length;
  if (n === 0) throw new CmkdError('mean ± sd: no values');
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - mean) ** 2;
  return { mean, sd: n > 1 ? Math.sqrt(ss / (n - 1)) : NaN, n };
}

export interface FormatMeanSdOptions {
  /** Digits after the decimal point; default 3. */
  digits?: number;
  /** Append ' (n=5)'; default false. */
  showN?: boolean;
}

/** '0.912 ± 0.013'; just '0.912' when the sd is undefined (n = 1); 'n/a' when the mean is NaN. */
export function formatMeanSd(s: MeanSd, opts: FormatMeanSdOptions = {}): string {
  const digits = opts.digits ?? 3;
  const suffix = opts.showN ? ` (n=${s.n})` : '';
  if (Number.isNaN(s.mean)) return `n/a${suffix}`;
  const mean = s.mean.toFixed(digits);
  return (Number.isNaN(s.sd) ? mean : `${mean} ± ${s.sd.toFixed(digits)}`) + suffix;
}
