/**
 * Summaries over repeated runs (seeds, folds). NaN in the values propagates to the mean and
 * sd (an undefined metric in one run makes the summary undefined; filter first if that is
 * not wanted). Empty input → CmkdError. With n = 1 the sample sd is undefined → NaN.
 */
import { CmkdError } from '../util/errors.js';
import { formatMeanSd as formatMeanSdText } from '../util/format.js';

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
  /** Significant digits (default 3); the sd is written at the mean's decimal places (src/util/format.ts). */
  digits?: number;
  /** Append ' (n=5)'; default false. */
  showN?: boolean;
}

/** '0.912 ± 0.013'; just '0.912' when the sd is undefined (n = 1); 'n/a' when the mean is NaN. */
export function formatMeanSd(s: MeanSd, opts: FormatMeanSdOptions = {}): string {
  const suffix = opts.showN ? ` (n=${s.n})` : '';
  if (Number.isNaN(s.mean)) return `n/a${suffix}`;
  return formatMeanSdText(s.mean, s.sd, { digits: opts.digits ?? 3 }) + suffix;
}

/** Spearman rank correlation (average ranks for ties). */
export function spearman(a: number[], b: number[]): number {
  const rank = (v: number[]) => {
    const idx = v.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]);
    const r = new Array<number>(v.length);
    for (let i = 0; i < idx.length;) {
      let j = i;
      while (j + 1 < idx.length && idx[j + 1][0] === idx[i][0]) j++;
      for (let k = i; k <= j; k++) r[idx[k][1]] = (i + j) / 2;
      i = j + 1;
    }
    return r;
  };
  const ra = rank(a);
  const rb = rank(b);
  const mean = (v: number[]) => v.reduce((t, x) => t + x, 0) / v.length;
  const ma = mean(ra);
  const mb = mean(rb);
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < a.length; i++) {
    num += (ra[i] - ma) * (rb[i] - mb);
    da += (ra[i] - ma) ** 2;
    db += (rb[i] - mb) ** 2;
  }
  return da === 0 || db === 0 ? Number.NaN : num / Math.sqrt(da * db);
}
