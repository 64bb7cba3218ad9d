import { describe, expect, it } from 'vitest';
import {
  applyStandardizer,
  fitStandardizer,
  repeatedSplits,
  standardizeDataset,
  stratifiedKFoldSplits,
  stratifiedSplit,
  type Modality,
  type MultimodalDataset,
  type Split,
} from './index.js';

/** A dataset whose class c has counts[c] samples, interleaved; one table feature = row index. */
function classDataset(counts: number[]): MultimodalDataset {
  const labels: number[] = [];
  const left = counts.slice();
  while (left.some((c) => c > 0)) left.forEach((c, k) => c > 0 && (labels.push(k), left[k]--));
  const n = labels.length;
  return {
    name: 'classes',
    n,
    modalities: [{ name: 'x', kind: 'table', shape: [1], data: Float32Array.from({ length: n }, (_, i) => i) }],
    task: { kind: 'classification', classes: counts.map((_, k) => `c${k}`) },
    labels: Int32Array.from(labels),
  };
}

function regressionDataset(n: number): MultimodalDataset {
  return {
    name: 'reg',
    n,
    modalities: [{ name: 'x', kind: 'table', shape: [1], data: new Float32Array(n) }],
    task: { kind: 'regression', target: 'y' },
    labels: Float32Array.from({ length: n }, (_, i) => (i * 37) % n), // a permutation of 0..n-1
  };
}

function expectPartition(s: Split, n: number): void {
  const all = [...s.train, ...s.val, ...s.test].sort((a, b) => a - b);
  expect(all).toEqual(Array.from({ length: n }, (_, i) => i)); // disjoint and covering
}

function countByClass(ds: MultimodalDataset, idx: Int32Array): number[] {
  const out = new Array<number>((ds.task as { classes: string[] }).classes.length).fill(0);
  for (const i of idx) out[ds.labels[i]]++;
  return out;
}

describe('stratifiedSplit', () => {
  it('70/10/20 by default, per class exactly when class sizes are multiples of 10', () => {
    const ds = classDataset([100, 50, 30]);
    const s = stratifiedSplit(ds, { seed: 3 });
    expectPartition(s, 180);
    expect([s.train.length, s.val.length, s.test.length]).toEqual([126, 18, 36]);
    expect(countByClass(ds, s.train)).toEqual([70, 35, 21]);
    expect(countByClass(ds, s.val)).toEqual([10, 5, 3]);
    expect(countByClass(ds, s.test)).toEqual([20, 10, 6]);
    expect(s.seed).toBe(3);
  });

  it('global sizes are round(n·fraction) and each class is within one sample of its share', () => {
    const ds = classDataset([17, 9, 23, 5]);
    const s = stratifiedSplit(ds, { seed: 1, fractions: { train: 0.6, val: 0.15, test: 0.25 } });
    expectPartition(s, 54);
    expect(s.val.length).toBe(Math.round(54 * 0.15));
    expect(s.test.length).toBe(Math.round(54 * 0.25));
    const counts = [17, 9, 23, 5];
    countByClass(ds, s.test).forEach((c, k) => expect(Math.abs(c - counts[k] * 0.25)).toBeLessThanOrEqual(1));
    countByClass(ds, s.val).forEach((c, k) => expect(Math.abs(c - counts[k] * 0.15)).toBeLessThanOrEqual(1));
    // Even the 5-sample class is in every part.
    for (const part of [s.train, s.val, s.test]) expect(countByClass(ds, part).every((c) => c >= 1)).toBe(true);
  });

  it('is a function of the seed', () => {
    const ds = classDataset([40, 40]);
    const a = stratifiedSplit(ds, { seed: 7 });
    const b = stratifiedSplit(ds, { seed: 7 });
    const c = stratifiedSplit(ds, { seed: 8 });
    expect(Array.from(a.test)).toEqual(Array.from(b.test));
    expect(Array.from(a.train)).toEqual(Array.from(b.train));
    expect(Array.from(a.test)).not.toEqual(Array.from(c.test));
  });

  it('val may be empty when its fraction is 0', () => {
    const ds = classDataset([10, 10]);
    const s = stratifiedSplit(ds, { fractions: { train: 0.8, val: 0, test: 0.2 } });
    expect([s.train.length, s.val.length, s.test.length]).toEqual([16, 0, 4]);
  });

  it('names the class that is too small and the bad fractions', () => {
    expect(() => stratifiedSplit(classDataset([20, 2]))).toThrow(
      /class 'c1' has 2 samples; a train\/val\/test split needs at least 3 per class/,
    );
    expect(() => stratifiedSplit(classDataset([20, 20]), { fractions: { train: 0.5, val: 0.3, test: 0.3 } })).toThrow(/must sum to 1/);
    expect(() => stratifiedSplit(classDataset([20, 20]), { fractions: { train: 0, val: 0.5, test: 0.5 } })).toThrow(/train must be > 0/);
  });

  it('regression: quantile bins spread the target over all parts; shuffle is plain', () => {
    const ds = regressionDataset(200);
    const s = stratifiedSplit(ds, { seed: 2 });
    expectPartition(s, 200);
    expect([s.train.length, s.val.length, s.test.length]).toEqual([140, 20, 40]);
    // 10 quantile bins of 20: each contributes exactly 4 test samples.
    const testPerDecile = new Array(10).fill(0);
    for (const i of s.test) testPerDecile[Math.floor(ds.labels[i] / 20)]++;
    expect(testPerDecile).toEqual(new Array(10).fill(4));
    const p = stratifiedSplit(ds, { seed: 2, regression: 'shuffle' });
    expectPartition(p, 200);
    expect(p.test.length).toBe(40);
  });
});

describe('repeatedSplits', () => {
  it('k splits, split i reproducible alone with seed + i', () => {
    const ds = classDataset([30, 30, 30]);
    const splits = repeatedSplits(ds, 3, 10);
    expect(splits.map((s) => s.seed)).toEqual([10, 11, 12]);
    expect(Array.from(splits[2].test)).toEqual(Array.from(stratifiedSplit(ds, { seed: 12 }).test));
    expect(Array.from(splits[0].test)).not.toEqual(Array.from(splits[1].test));
    expect(() => repeatedSplits(ds, 0)).toThrow(/positive integer/);
  });
});

describe('standardizer', () => {
  const table: Modality = { name: 't', kind: 'table', shape: [2], data: Float32Array.of(1, 5, 3, 5, 100, 5, -50, 5) };

  it('fits mean/std on the training rows only; constant columns are only centred', () => {
    const s = fitStandardizer(table, [0, 1]); // rows 2 and 3 (100, −50) must not count
    expect(Array.from(s.mean)).toEqual([2, 5]);
    expect(Array.from(s.std)).toEqual([1, 1]); // column 0: population std of {1, 3} = 1; column 1 constant
    const z = applyStandardizer(table, s);
    expect(Array.from(z.data)).toEqual([-1, 0, 1, 0, 98, 0, -52, 0]);
    expect(table.data[4]).toBe(100); // input untouched
  });

  it('images are standardised per channel', () => {
    // 2 samples of 1×2 pixels × 2 channels: channel 0 = {0, 2, 4, 6}, channel 1 = {10, 10, 10, 10}.
    const img: Modality = { name: 'i', kind: 'image', shape: [1, 2, 2], data: Float32Array.of(0, 10, 2, 10, 4, 10, 6, 10) };
    const s = fitStandardizer(img, [0, 1]);
    expect(s.per).toBe('channel');
    expect(Array.from(s.mean)).toEqual([3, 10]);
    expect(s.std[0]).toBeCloseTo(Math.sqrt(5), 6);
    expect(s.std[1]).toBe(1);
    const z = applyStandardizer(img, s);
    expect(z.data[0]).toBeCloseTo(-3 / Math.sqrt(5), 6);
    expect(z.data[1]).toBe(0);
    expect(() => applyStandardizer(table, s)).toThrow(/does not fit modality 't'/);
  });

  it('gives the same bits as the per-value formula, (x − mean[k mod groups]) / std[k mod groups] with sums in row order', () => {
    // The formula the loops implement, written out per value (the code before its loops were restructured).
    const reference = (m: Modality, rows: number[]) => {
      const d = m.shape.reduce((a, b) => a * b, 1);
      const groups = m.kind === 'image' ? m.shape[m.shape.length - 1] : d;
      const sum = new Float64Array(groups);
      const sumSq = new Float64Array(groups);
      for (const r of rows) for (let k = 0; k < d; k++) sum[k % groups] += m.data[r * d + k];
      const count = rows.length * (d / groups);
      const mean = Array.from(sum, (x) => x / count);
      for (const r of rows) for (let k = 0; k < d; k++) sumSq[k % groups] += (m.data[r * d + k] - mean[k % groups]) ** 2;
      const m32 = Float32Array.from(mean);
      const s32 = Float32Array.from(sumSq, (x, g) => {
        const sd = Math.sqrt(x / count);
        return sd <= 1e-6 * Math.max(1, Math.abs(mean[g])) ? 1 : sd;
      });
      return { mean: m32, std: s32, data: Float32Array.from(m.data, (x, i) => (x - m32[(i % d) % groups]) / s32[(i % d) % groups]) };
    };
    let seed = 7;
    const next = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 200 - 50;
    const img: Modality = { name: 'i', kind: 'image', shape: [4, 5, 3], data: Float32Array.from({ length: 9 * 60 }, next) };
    const tab: Modality = { name: 't', kind: 'table', shape: [7], data: Float32Array.from({ length: 9 * 7 }, next) };
    for (const m of [img, tab]) {
      const rows = [8, 0, 3, 5, 1];
      const s = fitStandardizer(m, rows);
      const want = reference(m, rows);
      expect(new Uint32Array(s.mean.buffer)).toEqual(new Uint32Array(want.mean.buffer));
      expect(new Uint32Array(s.std.buffer)).toEqual(new Uint32Array(want.std.buffer));
      expect(new Uint32Array(applyStandardizer(m, s).data.buffer)).toEqual(new Uint32Array(want.data.buffer));
    }
  });

  it('standardizeDataset applies train statistics to every row', () => {
    const ds = classDataset([5, 5]);
    const { dataset, standardizers } = standardizeDataset(ds, [0, 1, 2, 3]);
    expect(standardizers[0].mean[0]).toBe(1.5);
    expect(dataset.modalities[0].data[9]).toBeCloseTo((9 - 1.5) / Math.sqrt(1.25), 5);
  });
});

describe('stratifiedKFoldSplits', () => {
  it('over k repeats tests every row exactly once, with stratified folds and a stratified 1/8 validation', () => {
    const counts = [12, 9, 7, 4];
    const ds = classDataset(counts);
    const splits = stratifiedKFoldSplits(ds, 5, 2);
    const tested = new Array<number>(ds.n).fill(0);
    for (const s of splits) {
      expectPartition(s, ds.n);
      for (const i of s.test) tested[i]++;
      // 32 rows in 5 folds: 6 or 7 test rows; each class within one row of its fifth.
      expect([6, 7]).toContain(s.test.length);
      countByClass(ds, s.test).forEach((c, k) => expect(Math.abs(c - counts[k] / 5)).toBeLessThanOrEqual(1));
      // Validation: every class, about an eighth of the other rows.
      expect(countByClass(ds, s.val).every((c) => c >= 1)).toBe(true);
      expect(Math.abs(s.val.length - (ds.n - s.test.length) / 8)).toBeLessThanOrEqual(counts.length);
    }
    expect(tested.every((t) => t === 1)).toBe(true);
    expect(splits.map((s) => s.seed)).toEqual([2, 3, 4, 5, 6]);
  });

  it('is a function of (seed, repeat); repeats beyond k reshuffle', () => {
    const ds = classDataset([30, 30, 20]);
    const a = stratifiedKFoldSplits(ds, 7, 1);
    const b = stratifiedKFoldSplits(ds, 3, 1);
    expect(b.map((s) => Array.from(s.test))).toEqual(a.slice(0, 3).map((s) => Array.from(s.test)));
    expect(Array.from(b[2].val)).toEqual(Array.from(a[2].val));
    expect(Array.from(a[5].test)).not.toEqual(Array.from(a[0].test));
    expect(Array.from(stratifiedKFoldSplits(ds, 1, 2)[0].test)).not.toEqual(Array.from(a[0].test));
    expectPartition(a[6], ds.n);
  });

  it('splits regression targets by quantile bins', () => {
    const ds = regressionDataset(50);
    const splits = stratifiedKFoldSplits(ds, 5, 0);
    for (const s of splits) {
      expectPartition(s, 50);
      expect(s.test.length).toBe(10);
      // Each of the 5 quantile bins (10 rows each) puts 2 rows in each fold.
      const bins = Array.from(s.test, (i) => Math.floor(ds.labels[i] / 10));
      expect(bins.sort()).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
    }
  });

  it('rejects bad arguments naming them', () => {
    const ds = classDataset([5, 4]);
    expect(() => stratifiedKFoldSplits(ds, 0)).toThrow(/positive integer; got 0/);
    expect(() => stratifiedKFoldSplits(ds, 2, 0, 1)).toThrow(/k ≥ 2; got 1/);
    expect(() => stratifiedKFoldSplits(ds, 2, 0, 5)).toThrow(/need at least 10 rows; dataset 'classes' has 9/);
  });
});
