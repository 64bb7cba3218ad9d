/**
 * How a run splits a dataset's rows, and whether there are enough of them (for `cmkd run`, `cch`,
 * `sweep`, and `data validate` / `describe`, which warn with the same floors). Pure functions: the
 * caller reports the warnings; only the floor below which nothing the run measures means anything is
 * an error (overridable with --allow-small).
 */
import { repeatedSplits, stratifiedKFoldSplits } from './split.js';
import type { MultimodalDataset, Split } from './types.js';
import { CmkdError } from '../util/errors.js';

/**
 * Below this many rows the splits are stratified 5-fold instead of random 70/10/20: at 300 rows
 * a random test part has 60 rows (a test accuracy then has a standard error near 6 points), and
 * below it repeats of random splits test the same few rows again while others are never tested;
 * k-fold tests every row once per 5 repeats, so the repeats' mean uses all the data.
 */
export const KFOLD_BELOW = 300;

/** Folds of the small-data splits: with 1/8 of the rest validating, 70/10/20 like the random splits. */
export const KFOLD_K = 5;

/**
 * Folds of k-fold splits from KFOLD_BELOW rows on (--splits kfold, the default): 10, so that the quick budget's
 * looks (3, 5, 8) and the standard budget's (to 10) stay within one round, where the test parts are disjoint and
 * the gains' interval needs no overlap correction (src/metrics/gains.ts varianceFactor). With 1/8 of the rest
 * validating: 79/11/10. Measured against random 70/10/20 splits by gains decided per CPU-minute on `npm start`
 * (docs/decisions.md, "Which splits").
 */
export const KFOLD_K_LARGE = 10;

export type SplitScheme = 'random' | 'kfold';
export const SPLIT_SCHEMES: readonly SplitScheme[] = ['random', 'kfold'];
/** The scheme of a run from KFOLD_BELOW rows on when --splits does not name one. */
export const DEFAULT_SPLITS: SplitScheme = 'kfold';

/**
 * The CCH analysis estimates I(Ht;Hs) with KSG (k = 3) in 16 dimensions (8 PCA components of
 * each embedding) on the first split's held-out rows; KSG's bias grows with dimension and shrinks
 * with n, and below about 100 rows (≈ 6 per joint dimension) the 3rd-neighbour distances span most
 * of the data, so the margins are dominated by bias.
 */
export const MIN_HELD_OUT_FOR_MI = 100;

/** Validation below 30 rows scores in steps of more than 3 points: early stopping and the deployed student's choice follow noise. */
export const MIN_VAL_ROWS = 30;
/** Nor can validation judge a class it sees fewer than 3 times. */
export const MIN_VAL_PER_CLASS = 3;

/**
 * The floor: below 50 rows a 5-fold test part has under 10 rows (a test metric moves 10 points per
 * row) and validation under 5, and the CCH estimate would use under 15 rows.
 */
export const MIN_ROWS = 50;
/** Nor can a class with fewer rows than folds appear in every test fold, so its per-class metrics are undefined in some repeats. */
export const MIN_PER_CLASS = KFOLD_K;

export interface SplitPlan {
  /** 'random' (repeated stratified 70/10/20) or 'kfold' (repeated stratified k-fold, k = `folds`). */
  scheme: SplitScheme;
  /** With 'kfold': the folds k (foldsOf). */
  folds: number;
  splits: Split[];
}

/**
 * The split scheme of `n` rows: stratified 5-fold below KFOLD_BELOW rows whatever is asked (a random
 * test part there is too small, and repeats would test some rows again and others never); from
 * there on the one asked (--splits), DEFAULT_SPLITS without.
 */
export function splitScheme(n: number, asked?: SplitScheme): SplitScheme {
  if (n < KFOLD_BELOW) {
    if (asked === 'random')
      throw new CmkdError(
        `--splits random: below ${KFOLD_BELOW} rows a run splits by stratified ${KFOLD_K}-fold (this dataset has ${n}); expected kfold or no --splits`,
        'invalid-option',
      );
    return 'kfold';
  }
  return asked ?? DEFAULT_SPLITS;
}

/** The folds of a k-fold run on `n` rows: KFOLD_K below KFOLD_BELOW rows, KFOLD_K_LARGE from there on. */
export function foldsOf(n: number): number {
  return n < KFOLD_BELOW ? KFOLD_K : KFOLD_K_LARGE;
}

/** The first `repeats` splits of `scheme` (split r depends on the seed and r alone, never on `repeats`). */
export function planSplits(ds: MultimodalDataset, repeats: number, seed = 0, scheme: SplitScheme = splitScheme(ds.n)): SplitPlan {
  const folds = foldsOf(ds.n);
  if (scheme === 'random') return { scheme, folds, splits: repeatedSplits(ds, repeats, seed) };
  return { scheme, folds, splits: stratifiedKFoldSplits(ds, repeats, seed, folds) };
}

function classCounts(ds: MultimodalDataset, rows: ArrayLike<number>): number[] {
  const classes = ds.task.kind === 'classification' ? ds.task.classes : [];
  const out = new Array<number>(classes.length).fill(0);
  for (let i = 0; i < rows.length; i++) out[ds.labels[rows[i]]]++;
  return out;
}

/**
 * The floors below which a run (and cmkd cch) refuses a dataset unless --allow-small: fewer than
 * MIN_ROWS rows, a class with fewer than MIN_PER_CLASS. Each with the refusal, and the warning an
 * allowed run gives instead; `cmkd data validate` and `describe` warn with the refusals.
 */
export function rowFloors(ds: MultimodalDataset): { refusal: string; allowed: string }[] {
  const out: { refusal: string; allowed: string }[] = [];
  if (ds.n < MIN_ROWS)
    out.push({
      refusal: `dataset '${ds.name}' has ${ds.n} rows; cmkd run needs at least ${MIN_ROWS} for its held-out metrics to mean anything (--allow-small to run anyway)`,
      allowed: `The dataset has only ${ds.n} rows, below the ${MIN_ROWS} a run needs: every number in this run is too noisy to act on.`,
    });
  if (ds.task.kind !== 'classification') return out;
  const counts = classCounts(
    ds,
    Array.from({ length: ds.n }, (_, i) => i),
  );
  const smallest = Math.min(...counts.filter((c) => c > 0));
  if (smallest < MIN_PER_CLASS) {
    const c = ds.task.classes[counts.indexOf(smallest)];
    out.push({
      refusal: `class '${c}' of dataset '${ds.name}' has ${smallest} row${smallest === 1 ? '' : 's'}; cmkd run needs at least ${MIN_PER_CLASS} per class, one per test fold (--allow-small to run anyway)`,
      allowed: `Class '${c}' has only ${smallest} rows, fewer than the ${MIN_PER_CLASS} a run needs: some repeats never test it, so its per-class metrics are undefined there.`,
    });
  }
  return out;
}

/**
 * Whether `ds` has rows enough for what a run measures: throws a CmkdError below the floor
 * (fewer than MIN_ROWS rows, or a class with fewer than MIN_PER_CLASS) unless `allowSmall`, and
 * returns a plain sentence for each thing that is too small to trust (empty when all is well).
 */
export function checkRows(
  ds: MultimodalDataset,
  splits: Split[],
  o: {
    allowSmall?: boolean;
    /** The CCH analysis measures predicted classes (plug-in MI) rather than continuous representations. */ predicted?: boolean;
    /** The models keep their last epoch (a fitted run), so no early stopping follows the validation rows. */
    fitted?: boolean;
  } = {},
): string[] {
  const classes = ds.task.kind === 'classification' ? ds.task.classes : [];
  const classification = classes.length > 0;
  const counts = classCounts(
    ds,
    Array.from({ length: ds.n }, (_, i) => i),
  );
  const warnings: string[] = [];
  for (const f of rowFloors(ds)) {
    if (!o.allowSmall) throw new CmkdError(f.refusal, 'invalid-input');
    warnings.push(f.allowed);
  }
  // Even --allow-small cannot measure a split part with no rows (a few rows over many classes leave folds empty).
  splits.forEach((s, r) => {
    if (s.train.length === 0 || s.val.length === 0 || s.test.length === 0)
      throw new CmkdError(
        `dataset '${ds.name}' has ${ds.n} rows: repeat ${r + 1} leaves ${s.train.length} training, ${s.val.length} validation and ${s.test.length} test rows; each part needs at least one, even with --allow-small`,
        'invalid-input',
      );
  });
  const first = splits[0];
  if (first) {
    const heldOut = first.val.length + first.test.length;
    if (heldOut < MIN_HELD_OUT_FOR_MI) {
      const rows = `the ${heldOut} held-out rows (${first.val.length} validation + ${first.test.length} test) of the first split`;
      const k = counts.filter((c) => c > 0).length;
      // Miller (1955): the plug-in MI of a K×K table is biased upward by about (K−1)²/(2n) nats; the MI option millerMadow (Miller–Madow) reduces it.
      warnings.push(
        o.predicted && classification
          ? `The CCH analysis estimates mutual information between predicted classes on ${rows}; the plug-in estimate of a ${k}×${k} table is biased by about (K−1)²/(2n) = ${((k - 1) ** 2 / (2 * heldOut)).toFixed(2)} nats at this size (the MI option millerMadow: true reduces it), so its margins and verdicts are unreliable here.`
          : `The CCH analysis estimates mutual information on ${rows}; KSG in 16 dimensions needs about ${MIN_HELD_OUT_FOR_MI} or more, so its margins and verdicts are unreliable here.`,
      );
    }
  }
  const val = Math.min(...splits.map((s) => s.val.length));
  const nClasses = counts.filter((c) => c > 0).length;
  const valPerClass = classification
    ? Math.min(...splits.map((s) => Math.min(...classCounts(ds, s.val).filter((_, k) => counts[k] > 0))))
    : Infinity;
  const short = [
    ...(val < MIN_VAL_ROWS ? [`only ${val} rows (fewer than ${MIN_VAL_ROWS})`] : []),
    ...(valPerClass < MIN_VAL_PER_CLASS
      ? [
          `as few as ${valPerClass} row${valPerClass === 1 ? '' : 's'} of some class (fewer than ${MIN_VAL_PER_CLASS} of each of ${nClasses})`,
        ]
      : []),
  ];
  if (splits.length && short.length && !o.fitted) {
    warnings.push(
      `Validation has ${short.join(' and ')} in some repeat: early stopping and the choice of the deployed student follow noise at this size.`,
    );
  }
  return warnings;
}
