import { describe, expect, it } from 'vitest';
import { makeRng } from '../util/rng.js';
import {
  allCountsCloser,
  allCountsCloser1D,
  allKthDistances,
  argsortFloat64,
  buildKDTree,
  countCloser,
  countCloser1D,
  kthDistance,
  sortedValues,
} from './kdtree.js';

function maxDist(a: ArrayLike<number>, i: number, b: ArrayLike<number>, j: number, d: number): number {
  let m = 0;
  for (let c = 0; c < d; c++) m = Math.max(m, Math.abs(a[i * d + c] - b[j * d + c]));
  return m;
}

function bruteKth(data: Float64Array, n: number, d: number, k: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const ds: number[] = [];
    for (let j = 0; j < n; j++) if (j !== i) ds.push(maxDist(data, i, data, j, d));
    ds.sort((a, b) => a - b);
    out[i] = ds[k - 1];
  }
  return out;
}

function bruteCounts(data: Float64Array, n: number, d: number, radius: ArrayLike<number>): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (j !== i && maxDist(data, i, data, j, d) < radius[i]) out[i]++;
  return out;
}

/** Random data; with `levels`, values are integers in [0, levels) so ties and duplicates abound. */
function sample(n: number, d: number, seed: number, levels?: number): Float64Array {
  const rng = makeRng(seed);
  const a = new Float64Array(n * d);
  for (let i = 0; i < a.length; i++) a[i] = levels ? rng.int(levels) : rng.normal() * (1 + (i % d));
  return a;
}

describe('k-d tree (max-norm)', () => {
  const cases: [string, number, number, number | undefined][] = [
    ['continuous 1-d', 300, 1, undefined],
    ['continuous 2-d', 500, 2, undefined],
    ['continuous 5-d', 400, 5, undefined],
    ['ties 1-d', 300, 1, 20],
    ['ties 2-d', 500, 2, 6],
    ['ties 3-d', 400, 3, 3],
  ];
  for (const [name, n, d, levels] of cases) {
    it(`k-th distances and radius counts equal brute force: ${name}`, () => {
      const data = sample(n, d, n + d, levels);
      const tree = buildKDTree(data, n, d, 8);
      for (const k of [1, 3, 7]) {
        const kth = allKthDistances(tree, k);
        expect(Array.from(kth)).toEqual(Array.from(bruteKth(data, n, d, k)));
        // Radii exactly at the k-th distance (boundary ties) and just above it.
        expect(Array.from(allCountsCloser(tree, kth))).toEqual(Array.from(bruteCounts(data, n, d, kth)));
        const wider = kth.map((r) => r * 1.5 + 0.25);
        expect(Array.from(allCountsCloser(tree, wider))).toEqual(Array.from(bruteCounts(data, n, d, wider)));
      }
    });
  }

  it('answers queries from points outside the tree', () => {
    const n = 200;
    const data = sample(n, 3, 1);
    const queries = sample(50, 3, 2);
    const tree = buildKDTree(data, n, 3, 4);
    const best = new Float64Array(4);
    for (let q = 0; q < 50; q++) {
      const ds: number[] = [];
      for (let j = 0; j < n; j++) ds.push(maxDist(queries, q, data, j, 3));
      ds.sort((a, b) => a - b);
      expect(kthDistance(tree, queries, q * 3, 4, -1, best)).toBe(ds[3]);
      expect(countCloser(tree, queries, q * 3, 0.7)).toBe(ds.filter((v) => v < 0.7).length);
    }
  });

  it('handles tiny inputs and k beyond the sample', () => {
    const tree = buildKDTree([0, 1, 1], 3, 1);
    expect(Array.from(allKthDistances(tree, 1))).toEqual([1, 0, 0]);
    expect(Array.from(allKthDistances(tree, 2))).toEqual([1, 1, 1]);
    expect(kthDistance(tree, [5], 0, 4, -1, new Float64Array(4))).toBe(Infinity);
    expect(Array.from(allCountsCloser(tree, [1.5, 0, 1]))).toEqual([2, 0, 1]);
  });

  it('radix argsort orders negative, zero, tiny, huge and repeated values as a comparison sort', () => {
    const rng = makeRng(3);
    const special = [0, -0, 1e-300, -1e-300, 5e-324, -5e-324, 1e300, -1e300, 1, -1, 1, -1, 2.5, 2.5];
    const values = Float64Array.from([...special, ...Array.from({ length: 3000 }, () => rng.normal() * 10 ** rng.int(8))]);
    const order = argsortFloat64(values);
    expect(Array.from(order).sort((a, b) => a - b)).toEqual(Array.from(values, (_, i) => i));
    for (let j = 1; j < values.length; j++) expect(values[order[j - 1]] <= values[order[j]]).toBe(true);
    // Stable: equal values keep their input order.
    for (let j = 1; j < values.length; j++) {
      if (values[order[j - 1]] === values[order[j]] && !Object.is(values[order[j - 1]], -0)) expect(order[j - 1]).toBeLessThan(order[j]);
    }
  });

  it('galloping 1-d counts equal the tree counts exactly, ties included', () => {
    for (const levels of [undefined, 10, 2]) {
      const n = 1500;
      const data = sample(n, 1, 19, levels);
      const radius = sample(n, 1, 20).map((v) => Math.abs(v) * (levels ? 3 : 0.3));
      for (let i = 0; i < n; i += 11) radius[i] = 0;
      for (let i = 5; i < n; i += 13) radius[i] = 1; // exactly the spacing of integer data
      expect(Array.from(allCountsCloser1D(data, radius))).toEqual(Array.from(allCountsCloser(buildKDTree(data, n, 1), radius)));
    }
  });

  it('1-d sorted-array counts equal the tree counts exactly', () => {
    for (const levels of [undefined, 10]) {
      const n = 1000;
      const data = sample(n, 1, 9, levels);
      const radius = sample(n, 1, 10).map((v) => Math.abs(v) * (levels ? 2 : 0.3));
      for (let i = 0; i < n; i += 7) radius[i] = 0;
      const sorted = sortedValues(data);
      const viaTree = allCountsCloser(buildKDTree(data, n, 1), radius);
      const viaSort = Array.from(data, (x, i) => countCloser1D(sorted, x, radius[i]));
      expect(viaSort).toEqual(Array.from(viaTree));
    }
  });
});
