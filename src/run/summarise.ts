/**
 * The one summary every plan's results go through: per-repeat cell records → mean ± sd per
 * metric, and the choice of a model on validation (the test rows stay for reporting). Paired
 * gains over the no-KD student and their intervals: src/run/decide.ts.
 */
import { meanSd, type MeanSd } from '../metrics/index.js';

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
