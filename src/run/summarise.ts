/**
 * The one summary every plan's results go through: per-repeat cell records → mean ± sd per
 * metric, the paired gain over the no-KD student (same split, same initial weights), and the
 * choice of a model on validation (the test rows stay for reporting).
 */
import { meanSd, type MeanSd } from '../metrics/index.js';
import { studentQuantile } from '../mi/index.js';

/** What a trained model's cell record holds for summaries: its repeat and its metrics. */
export interface ScoredRecord {
  repeat: number;
  test: Record<string, number>;
  val?: Record<string, number> | null;
}

/** Mean ± sd of the finite values; n = 0 (mean and sd NaN) when there are none. */
export function summariseValues(values: readonly number[]): MeanSd {
  const finite = values.filter(Number.isFinite);
  return finite.length ? meanSd(finite) : { mean: NaN, sd: NaN, n: 0 };
}

/** Mean ± sd over repeats of each metric on the test (and validation) rows. */
export function summariseRecords(
  records: readonly ScoredRecord[],
  metrics: readonly string[],
): { test: Record<string, MeanSd>; val: Record<string, MeanSd> } {
  const pick = (which: 'test' | 'val') =>
    Object.fromEntries(metrics.map((m) => [m, summariseValues(records.map((r) => r[which]?.[m] ?? NaN))]));
  return { test: pick('test'), val: pick('val') };
}

// gain_r = s·(m_r − m_r^no-KD), s = +1 if higher is better else −1, paired by repeat r; summarised as mean ± sd over r
export function pairedGain(
  records: readonly ScoredRecord[],
  baseline: readonly ScoredRecord[],
  metric: string,
  higherIsBetter: boolean,
): MeanSd {
  const sign = higherIsBetter ? 1 : -1;
  const base = (r: number) => baseline.find((b) => b.repeat === r)?.test[metric] ?? NaN;
  return summariseValues(records.map((x) => sign * (x.test[metric] - base(x.repeat))));
}

/** The row with the best mean validation `metric` (the first on ties). */
export function bestOnValidation<R extends { val: Record<string, MeanSd> }>(
  rows: readonly R[],
  metric: string,
  higherIsBetter: boolean,
): R {
  const sign = higherIsBetter ? 1 : -1;
  return rows.reduce((a, b) => (sign * b.val[metric].mean > sign * a.val[metric].mean ? b : a));
}

// mean ± t_{(1+level)/2, n−1}·sd/√n: the interval of a mean over n repeats; null with fewer than 2
export function meanInterval(s: MeanSd, level = 0.95): [number, number] | null {
  if (s.n < 2 || !Number.isFinite(s.sd)) return null;
  const half = (studentQuantile(0.5 + level / 2, s.n - 1) * s.sd) / Math.sqrt(s.n);
  return [s.mean - half, s.mean + half];
}

