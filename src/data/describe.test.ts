import { describe, expect, it } from 'vitest';
import { columnStats, datasetWarnings, describeDataset, IMBALANCE_RATIO, NEAR_CONSTANT_SHARE, type MultimodalDataset } from './index.js';

/** 20 rows, 3 table columns: c (constant 5), near (19 × 0 and one 1), x (0..19 with row 3 missing). */
function toy(labels: number[]): MultimodalDataset {
  const n = 20;
  const data = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    data[i * 3] = 5;
    data[i * 3 + 1] = i === 7 ? 1 : 0;
    data[i * 3 + 2] = i === 3 ? NaN : i;
  }
  return {
    name: 'toy',
    n,
    modalities: [
      { name: 'tab', kind: 'table', shape: [3], data, columns: ['c', 'near', 'x'] },
      { name: 'img', kind: 'image', shape: [1, 2, 2], data: Float32Array.from({ length: n * 4 }, (_, k) => (k % 4 === 3 ? 9 : k)) },
    ],
    task: { kind: 'classification', classes: ['a', 'b'] },
    labels: Int32Array.from(labels),
  };
}

const balanced = Array.from({ length: 20 }, (_, i) => i % 2);

describe('per-column statistics', () => {
  it('mean, sd (ddof 0), min, max and missing per column, over the finite values', () => {
    const [c, near, x] = columnStats(toy(balanced).modalities[0], 20);
    expect(c).toEqual({ name: 'c', mean: 5, sd: 0, min: 5, max: 5, missing: 0, infinite: 0, constant: true, nearConstant: false });
    expect(near).toMatchObject({ name: 'near', mean: 0.05, min: 0, max: 1, constant: false, nearConstant: true });
    expect(near.sd).toBeCloseTo(Math.sqrt(0.05 * 0.95), 12);
    const xs = Array.from({ length: 20 }, (_, i) => i).filter((i) => i !== 3);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(x).toMatchObject({ name: 'x', min: 0, max: 19, missing: 1, constant: false, nearConstant: false });
    expect(x.mean).toBeCloseTo(mean, 12);
    expect(x.sd).toBeCloseTo(Math.sqrt(xs.reduce((a, v) => a + (v - mean) ** 2, 0) / xs.length), 12);
  });

  it(`near-constant: one value in at least ${100 * NEAR_CONSTANT_SHARE}% of the rows, not more than one row in 20 differing`, () => {
    const col = (values: number[]) =>
      columnStats({ name: 'm', kind: 'table', shape: [1], data: Float32Array.from(values) }, values.length)[0];
    expect(col([...Array<number>(19).fill(0), 1]).nearConstant).toBe(true);
    expect(col([...Array<number>(18).fill(0), 1, 2]).nearConstant).toBe(false);
    // All missing: neither constant nor near-constant.
    expect(col([NaN, NaN])).toMatchObject({ constant: false, nearConstant: false, missing: 2 });
  });

  it("an image's columns are its value positions, named y·x·c", () => {
    const cols = columnStats(toy(balanced).modalities[1], 20);
    expect(cols.map((c) => c.name)).toEqual(['y0x0c0', 'y0x0c1', 'y0x1c0', 'y0x1c1']);
    expect(cols.map((c) => c.constant)).toEqual([false, false, false, true]);
  });

  it('describeDataset counts constant and near-constant columns per modality and carries every column', () => {
    const s = describeDataset(toy(balanced));
    expect(s.modalities.map((m) => [m.constantColumns, m.nearConstantColumns, m.columns.length])).toEqual([
      [1, 1, 3],
      [1, 0, 4],
    ]);
    expect(s.warnings).toEqual(datasetWarnings(toy(balanced)));
    expect(s.warnings).toEqual(["modality 'tab' has 1 constant column of 3: 'c'"]);
  });
});

describe('class imbalance', () => {
  const withCounts = (a: number, b: number) => toy([...Array<number>(a).fill(0), ...Array<number>(b).fill(1)]);
  const imbalance = (ds: MultimodalDataset) => datasetWarnings(ds).filter((w) => w.startsWith('class imbalance'));

  it(`is warned when the largest class has more than ${IMBALANCE_RATIO}× the rows of the smallest`, () => {
    expect(imbalance(withCounts(15, 5))).toEqual([]);
    expect(imbalance(withCounts(16, 4))).toEqual([
      "class imbalance: class 'a' has 16 samples and class 'b' 4 (ratio 4.0, above 3); accuracy mostly rewards the large classes, so read macro F1 (f1Macro) beside it",
    ]);
    expect(describeDataset(withCounts(4, 16)).warnings).toContain(
      "class imbalance: class 'b' has 16 samples and class 'a' 4 (ratio 4.0, above 3); accuracy mostly rewards the large classes, so read macro F1 (f1Macro) beside it",
    );
  });
});
