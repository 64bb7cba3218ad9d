/**
 * Seeded train/val/test partitions. Classification splits are stratified by class;
 * regression splits by quantile bins of the target (or a plain shuffle). Default fractions
 * 70/10/20 follow the DisCoM-KD evaluation protocol.
 */
import { makeRng } from '../util/rng.js';
import { CmkdError } from '../util/errors.js';
import type { MultimodalDataset, Split } from './types.js';

export interface SplitFractions {
  train: number;
  val: number;
  test: number;
}

export const DEFAULT_FRACTIONS: SplitFractions = { train: 0.7, val: 0.1, test: 0.2 };

export interface SplitOptions {
  seed?: number;
  fractions?: Partial<SplitFractions>;
  /** Regression only: stratify by quantile bins of the target (default) or shuffle plainly. */
  regression?: 'quantile' | 'shuffle';
  /** Regression quantile bins (default min(10, floor(n / 10)), at least 1). */
  bins?: number;
}

function checkFractions(f: Partial<SplitFractions> | undefined): SplitFractions {
  const val = f?.val ?? (f?.train !== undefined && f?.test !== undefined ? 1 - f.train - f.test : DEFAULT_FRACTIONS.val);
  const test = f?.test ?? (f?.train !== undefined ? 1 - f.train - val : DEFAULT_FRACTIONS.test);
  const train = f?.train ?? 1 - val - test;
  for (const [k, v] of Object.entries({ train, val, test })) {
    if (!Number.isFinite(v) || v < -1e-9 || v > 1 + 1e-9) {
      throw new CmkdError(`split fraction ${k} = ${v}; expected a number in [0, 1]`, 'invalid-option');
    }
  }
  if (Math.abs(train + val + test - 1) > 1e-6) {
    throw new CmkdError(`split fractions train ${train} + val ${val} + test ${test} must sum to 1`, 'invalid-option');
  }
  if (train <= 0) throw new CmkdError('split fraction train must be > 0', 'invalid-option');
  return { train, val: Math.max(0, val), test: Math.max(0, test) };
}

/** Strata (groups of row indices) the split preserves proportions over, with a name for messages. */
function strata(ds: MultimodalDataset, opts: SplitOptions): { name: string; rows: number[] }[] {
  if (ds.task.kind === 'classification') {
    const groups = ds.task.classes.map((c) => ({ name: `class '${c}'`, rows: [] as number[] }));
    for (let i = 0; i < ds.n; i++) groups[ds.labels[i]].rows.push(i);
    return groups.filter((g) => g.rows.length > 0);
  }
  const all = Array.from({ length: ds.n }, (_, i) => i);
  if (opts.regression === 'shuffle') return [{ name: 'all samples', rows: all }];
  const bins = Math.max(1, Math.floor(opts.bins ?? Math.min(10, Math.floor(ds.n / 10))));
  // Quantile bins: consecutive blocks of the samples sorted by target (ties broken by index).
  all.sort((a, b) => ds.labels[a] - ds.labels[b] || a - b);
  return Array.from({ length: bins }, (_, b) => ({
    name: `target quantile bin ${b + 1}/${bins}`,
    rows: all.slice(Math.floor((b * ds.n) / bins), Math.floor(((b + 1) * ds.n) / bins)),
  })).filter((g) => g.rows.length > 0);
}

/**
 * A seeded stratified split. Per-stratum counts use cumulative rounding, so the global sizes
 * are round(n·fraction) (up to the minimum below) and each stratum is within one sample of its
 * proportional share; every stratum gets at least one sample in each part with a non-zero fraction.
 */
export function stratifiedSplit(ds: MultimodalDataset, opts: SplitOptions = {}): Split {
  const seed = opts.seed ?? 0;
  const f = checkFractions(opts.fractions);
  const rng = makeRng(seed);
  const groups = strata(ds, opts);
  const parts = (['val', 'test'] as const).filter((p) => f[p] > 0);
  const minPerGroup = 1 + parts.length;
  for (const g of groups) {
    if (g.rows.length < minPerGroup) {
      throw new CmkdError(
        `${g.name} has ${g.rows.length} sample${g.rows.length === 1 ? '' : 's'}; a train/${parts.join('/')} split needs at least ${minPerGroup} per ${ds.task.kind === 'classification' ? 'class' : 'bin'} (add samples${ds.task.kind === 'classification' ? ' or merge classes' : ''})`,
        'invalid-input',
      );
    }
  }
  const out = { train: [] as number[], val: [] as number[], test: [] as number[] };
  let cumN = 0;
  let cumVal = 0;
  let cumTest = 0;
  for (const g of groups) {
    const rows = rng.shuffle(g.rows.slice()) as number[];
    cumN += rows.length;
    let nVal = Math.round(cumN * f.val) - cumVal;
    let nTest = Math.round(cumN * f.test) - cumTest;
    if (f.val > 0) nVal = Math.max(1, nVal);
    if (f.test > 0) nTest = Math.max(1, nTest);
    // Keep at least one training sample; take the excess from the larger held-out part.
    while (nVal + nTest > rows.length - 1) {
      if (nVal >= nTest && nVal > (f.val > 0 ? 1 : 0)) nVal--;
      else nTest--;
    }
    cumVal += nVal;
    cumTest += nTest;
    out.val.push(...rows.slice(0, nVal));
    out.test.push(...rows.slice(nVal, nVal + nTest));
    out.train.push(...rows.slice(nVal + nTest));
  }
  const sorted = (a: number[]) => Int32Array.from(a).sort();
  return { train: sorted(out.train), val: sorted(out.val), test: sorted(out.test), seed };
}

/** k independent splits; split i uses seed `seed + i`, so any one can be reproduced alone. */
export function repeatedSplits(ds: MultimodalDataset, k: number, seed = 0, opts: Omit<SplitOptions, 'seed'> = {}): Split[] {
  if (!Number.isInteger(k) || k < 1)
    throw new CmkdError(`number of repeated splits must be a positive integer; got ${k}`, 'invalid-option');
  return Array.from({ length: k }, (_, i) => stratifiedSplit(ds, { ...opts, seed: seed + i }));
}

/**
 * Repeated stratified k-fold splits for small datasets, where a 20% random test part is a
 * handful of rows and repeats would reuse the same few rows. Each shuffle round deals the rows
 * of every stratum (class, or target bin), in a seeded order, round-robin into k folds, so fold
 * sizes differ by at most one and each stratum is spread evenly. Repeat r tests on fold r mod k
 * of round floor(r / k): over k repeats every row is tested exactly once. Of the other rows a
 * stratified 1/8 validates (with k = 5: 70/10/20 as the random splits), at least one per
 * stratum that has two or more of them; the rest train. Each repeat is a function of (seed, r);
 * its `seed` field is seed + r, naming the repeat (it is not a stratifiedSplit seed).
 */
export function stratifiedKFoldSplits(
  ds: MultimodalDataset,
  repeats: number,
  seed = 0,
  k = 5,
  opts: Pick<SplitOptions, 'regression' | 'bins'> = {},
): Split[] {
  if (!Number.isInteger(repeats) || repeats < 1)
    throw new CmkdError(`number of repeated splits must be a positive integer; got ${repeats}`, 'invalid-option');
  if (!Number.isInteger(k) || k < 2) throw new CmkdError(`k-fold needs an integer k ≥ 2; got ${k}`, 'invalid-option');
  if (ds.n < 2 * k) throw new CmkdError(`${k}-fold splits need at least ${2 * k} rows; dataset '${ds.name}' has ${ds.n}`, 'invalid-input');
  const groups = strata(ds, opts);
  const rng = makeRng(seed);
  // Per shuffle round: each stratum's rows in a seeded order, and each row's fold.
  const rounds: { order: number[][]; fold: Int32Array }[] = [];
  const out: Split[] = [];
  for (let r = 0; r < repeats; r++) {
    const round = Math.floor(r / k);
    const f = r % k;
    while (rounds.length <= round) {
      const order = groups.map((g) => rng.shuffle(g.rows.slice()) as number[]);
      const fold = new Int32Array(ds.n);
      let at = 0;
      // Dealt on from where the previous stratum stopped, so fold sizes differ by at most one.
      for (const rows of order) for (const row of rows) fold[row] = at++ % k;
      rounds.push({ order, fold });
    }
    const { order, fold } = rounds[round];
    const parts = { train: [] as number[], val: [] as number[], test: [] as number[] };
    let cumN = 0;
    let cumVal = 0;
    for (const rows of order) {
      const rest = rows.filter((row) => fold[row] !== f);
      parts.test.push(...rows.filter((row) => fold[row] === f));
      cumN += rest.length;
      // Cumulative rounding: val has round(rest / 8) rows overall, each stratum within one row of its share.
      let nVal = Math.round(cumN / 8) - cumVal;
      if (rest.length >= 2) nVal = Math.max(1, nVal);
      nVal = Math.max(0, Math.min(nVal, rest.length - 1));
      cumVal += nVal;
      parts.val.push(...rest.slice(0, nVal));
      parts.train.push(...rest.slice(nVal));
    }
    const sorted = (a: number[]) => Int32Array.from(a).sort();
    out.push({ train: sorted(parts.train), val: sorted(parts.val), test: sorted(parts.test), seed: seed + r });
  }
  return out;
}
