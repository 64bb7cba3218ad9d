/**
 * How well the CCH verdict is calibrated, per representation × estimator, from pair rows alone
 * (pure: no training, no files). A pair's verdict is *decided* when its margin interval excludes
 * 0; its gain is *clear* when the gain interval over repeats excludes 0; a decided verdict on a
 * clear gain *agrees* when 'helps' goes with a gain > 0 and 'hurts' with a gain < 0. Pairs that
 * are undecided or without a clear effect cannot be checked and are counted apart.
 */
import { spearman } from '../../metrics/index.js';
import type { VerdictsPairRow, VerdictsScore } from './types.js';

/** +1 when the margin interval lies above 0, −1 below, 0 when it contains 0 or is missing. */
export function decidedSign(r: Pick<VerdictsPairRow, 'marginLo' | 'marginHi'>): -1 | 0 | 1 {
  if (!Number.isFinite(r.marginLo) || !Number.isFinite(r.marginHi)) return 0;
  return r.marginLo > 0 ? 1 : r.marginHi < 0 ? -1 : 0;
}

/** +1 for a clear gain, −1 for a clear loss, 0 otherwise (no clear effect, or no interval). */
export function clearSign(r: Pick<VerdictsPairRow, 'effect'>): -1 | 0 | 1 {
  return r.effect === 'clear gain' ? 1 : r.effect === 'clear loss' ? -1 : 0;
}

const share = (a: number, b: number) => (b > 0 ? a / b : Number.NaN);

/** The score of one combination's rows (all of the same representation and estimator). */
export function scoreRows(rows: readonly VerdictsPairRow[]): VerdictsScore {
  const decided = rows.filter((r) => decidedSign(r) !== 0);
  const clear = rows.filter((r) => clearSign(r) !== 0);
  const checkable = decided.filter((r) => clearSign(r) !== 0);
  const agreed = checkable.filter((r) => decidedSign(r) === clearSign(r)).length;
  const finite = rows.filter((r) => Number.isFinite(r.margin) && Number.isFinite(r.gainMean));
  const agreement = share(agreed, checkable.length);
  const decidedShare = share(decided.length, rows.length);
  return {
    representation: rows[0].representation,
    estimator: rows[0].estimator,
    pairs: rows.length,
    decided: decided.length,
    decidedShare,
    clear: clear.length,
    clearShare: share(clear.length, rows.length),
    agreed,
    checkable: checkable.length,
    agreement,
    undecided: rows.length - decided.length,
    noClearEffect: decided.length - checkable.length,
    spearman:
      finite.length >= 3
        ? spearman(
            finite.map((r) => r.margin),
            finite.map((r) => r.gainMean),
          )
        : Number.NaN,
  };
}

/** One score per representation × estimator, in the order the rows first name them. */
export function scoreVerdicts(rows: readonly VerdictsPairRow[]): VerdictsScore[] {
  const groups = new Map<string, VerdictsPairRow[]>();
  for (const r of rows) {
    const key = `${r.representation}|${r.estimator}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map(scoreRows);
}
