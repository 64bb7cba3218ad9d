import { describe, expect, it } from 'vitest';
import type { MultimodalDataset } from './index.js';
import { CmkdError } from '../util/errors.js';
import { checkRows, KFOLD_BELOW, KFOLD_K_LARGE, planSplits, splitScheme } from './rows.js';

/** n rows dealt round-robin over `classes` classes (or a regression target), one table feature. */
function dataset(n: number, classes = 10, regression = false): MultimodalDataset {
  return {
    name: 'tiny',
    n,
    modalities: [{ name: 'x', kind: 'table', shape: [1], data: Float32Array.from({ length: n }, (_, i) => i) }],
    task: regression
      ? { kind: 'regression', target: 'y' }
      : { kind: 'classification', classes: Array.from({ length: classes }, (_, k) => `c${k}`) },
    labels: regression ? Float32Array.from({ length: n }, (_, i) => i) : Int32Array.from({ length: n }, (_, i) => i % classes),
  };
}

describe('planSplits', () => {
  it('uses stratified 10-fold (or random 70/10/20 when asked) from KFOLD_BELOW rows on, stratified 5-fold below', () => {
    const big = planSplits(dataset(KFOLD_BELOW), 10, 1);
    expect([big.scheme, big.folds]).toEqual(['kfold', KFOLD_K_LARGE]);
    // One round of 10 folds: disjoint test parts, every row tested once; 1/8 of the rest validates.
    const all = big.splits.flatMap((s) => Array.from(s.test)).sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: KFOLD_BELOW }, (_, i) => i));
    expect(big.splits[0].test.length).toBe(KFOLD_BELOW / 10);
    expect(big.splits[0].val.length).toBe(Math.round((KFOLD_BELOW * 9) / 10 / 8));
    // Split r does not depend on how many splits are planned.
    expect(planSplits(dataset(KFOLD_BELOW), 3, 1).splits[2]).toEqual(big.splits[2]);
    const random = planSplits(dataset(KFOLD_BELOW), 2, 1, 'random');
    expect(random.scheme).toBe('random');
    expect(random.splits[0].test.length).toBe(KFOLD_BELOW / 5);
    const small = planSplits(dataset(KFOLD_BELOW - 1), 5, 1);
    expect(small.scheme).toBe('kfold');
    // 5-fold: every row tested exactly once over 5 repeats.
    const tested = small.splits.flatMap((s) => Array.from(s.test)).sort((a, b) => a - b);
    expect(tested).toEqual(Array.from({ length: KFOLD_BELOW - 1 }, (_, i) => i));
  });

  it('keeps small data on 5-fold, and refuses --splits random there in one line', () => {
    expect(splitScheme(KFOLD_BELOW - 1)).toBe('kfold');
    expect(splitScheme(KFOLD_BELOW - 1, 'kfold')).toBe('kfold');
    expect(splitScheme(KFOLD_BELOW, 'random')).toBe('random');
    expect(() => splitScheme(KFOLD_BELOW - 1, 'random')).toThrow(
      /^--splits random: below 300 rows a run splits by stratified 5-fold \(this dataset has 299\); expected kfold or no --splits$/,
    );
  });
});

describe('checkRows', () => {
  it('says nothing on a digits-sized run', () => {
    const ds = dataset(2000);
    expect(checkRows(ds, planSplits(ds, 2, 0).splits)).toEqual([]);
  });

  it('warns, with the numbers, when held-out rows are too few for MI or validation for model choice', () => {
    const ds = dataset(80, 4);
    const w = checkRows(ds, planSplits(ds, 2, 0).splits);
    // 80 rows, 5-fold: 16 test, round(64 / 8) = 8 validation.
    expect(w).toEqual([
      'The CCH analysis estimates mutual information on the 24 held-out rows (8 validation + 16 test) of the first split; KSG in 16 dimensions needs about 100 or more, so its margins and verdicts are unreliable here.',
      'Validation has only 8 rows (fewer than 30) and as few as 2 rows of some class (fewer than 3 of each of 4) in some repeat: early stopping and the choice of the deployed student follow noise at this size.',
    ]);
    // Predicted classes: the plug-in estimate's bias, (K − 1)² / (2n) = 9 / 48 nats.
    expect(checkRows(ds, planSplits(ds, 2, 0).splits, { predicted: true })[0]).toBe(
      'The CCH analysis estimates mutual information between predicted classes on the 24 held-out rows (8 validation + 16 test) of the first split; the plug-in estimate of a 4×4 table is biased by about (K−1)²/(2n) = 0.19 nats at this size (the MI option millerMadow: true reduces it), so its margins and verdicts are unreliable here.',
    );
    // Enough rows overall, but validation too thin per class (40 classes: 1 or 2 validation rows each).
    const many = dataset(400, 40);
    const warnings = checkRows(many, planSplits(many, 1, 0, 'random').splits);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^Validation has as few as 1 row of some class \(fewer than 3 of each of 40\) in some repeat:/);
    // Regression: no per-class clause.
    const reg = dataset(120, 1, true);
    expect(checkRows(reg, planSplits(reg, 1, 0).splits).at(-1)).toMatch(/^Validation has only 12 rows \(fewer than 30\) in some repeat:/);
  });

  it('refuses below the floor with one line naming the override, unless allowSmall', () => {
    const ds = dataset(40, 4);
    const splits = planSplits(ds, 1, 0).splits;
    expect(() => checkRows(ds, splits)).toThrow(CmkdError);
    expect(() => checkRows(ds, splits)).toThrow(
      /^dataset 'tiny' has 40 rows; cmkd run needs at least 50 .*\(--allow-small to run anyway\)$/,
    );
    const w = checkRows(ds, splits, { allowSmall: true });
    expect(w[0]).toBe('The dataset has only 40 rows, below the 50 a run needs: every number in this run is too noisy to act on.');
    // A class with fewer rows than folds.
    const rare = { ...dataset(60, 3), labels: Int32Array.from({ length: 60 }, (_, i) => (i < 4 ? 2 : i % 2)) };
    expect(() => checkRows(rare, planSplits(rare, 1, 0).splits)).toThrow(
      /^class 'c2' of dataset 'tiny' has 4 rows; cmkd run needs at least 5 per class/,
    );
    expect(checkRows(rare, planSplits(rare, 1, 0).splits, { allowSmall: true })[0]).toMatch(/^Class 'c2' has only 4 rows/);
  });
});
