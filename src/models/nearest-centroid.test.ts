import { describe, expect, it } from 'vitest';
import { fitNearestCentroid, predictNearestCentroid } from './nearest-centroid.js';

describe('nearest centroid', () => {
  it('takes each class mean of the training rows and predicts the nearest', () => {
    // Class 0 around (0, 0), class 1 around (4, 2); class 2 has no training rows.
    const x = [0, 0, 2, 0, 4, 2, 6, 2, 5, 4];
    const fit = fitNearestCentroid(x, 2, [0, 0, 1, 1, 1], 3);
    expect([...fit.centroids.slice(0, 4)]).toEqual([1, 0, 5, 8 / 3]);
    expect(fit.centroids.slice(4).every(Number.isNaN)).toBe(true);
    // (2.9, 1.3): 3.61 + 1.69 = 5.30 from (1, 0) against 4.41 + 1.87 = 6.28 from (5, 8/3); (3.1, 1.4): 6.37 against 5.21.
    expect([...predictNearestCentroid(fit, [2.9, 1.3, 3.1, 1.4, -1, -1, 9, 9])]).toEqual([0, 1, 0, 1]);
  });

  it('refuses features that do not fit the rows', () => {
    expect(() => fitNearestCentroid([1, 2, 3], 2, [0, 1], 2)).toThrow(/3 values for 2 rows of 2 features/);
  });
});
