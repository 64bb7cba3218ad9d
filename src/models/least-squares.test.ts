import { describe, expect, it } from 'vitest';
import { fitLeastSquares, predictLeastSquares } from './least-squares.js';

describe('least squares', () => {
  it('recovers a line through centred features, with the training mean as intercept', () => {
    // y = 10 + 2·x1 − x2 exactly, on centred columns.
    const x = [-1, 0, 1, 0, 0, -1, 0, 1];
    const y = [8, 12, 11, 9];
    const fit = fitLeastSquares(x, 2, y);
    expect(fit.intercept).toBe(10);
    expect(fit.weights[0]).toBeCloseTo(2, 5);
    expect(fit.weights[1]).toBeCloseTo(-1, 5);
    expect([...predictLeastSquares(fit, [0.5, 0.5, 0, 0])].map((v) => +v.toFixed(4))).toEqual([10.5, 10]);
  });

  it('solves with a constant (zero) column and with fewer rows than features', () => {
    const constant = fitLeastSquares([-1, 0, 1, 0], 2, [1, 3]);
    expect(constant.weights[1]).toBe(0);
    expect(constant.weights[0]).toBeCloseTo(1, 5);
    // 2 rows, 3 features: the smallest weights that fit (the minimum-norm solution), y − ȳ = ±1 on x = ±(1, 1, 1).
    const wide = fitLeastSquares([1, 1, 1, -1, -1, -1], 3, [5, 3]);
    for (const w of wide.weights) expect(w).toBeCloseTo(1 / 3, 5);
  });

  it('refuses features that do not fit the rows', () => {
    expect(() => fitLeastSquares([1, 2, 3], 2, [0, 1])).toThrow(/3 values for 2 rows of 2 features/);
  });
});
