import { describe, expect, it } from 'vitest';
import { CmkdError } from '../util/errors.js';
import { makeRng } from '../util/rng.js';
import { spendingBoundaries, spent } from './spending.js';

describe('spendingBoundaries', () => {
  // The usual Lan–DeMets boundaries for 5 equally spaced looks, one-sided 0.025 (also checked below by simulation at uneven looks).
  it("O'Brien–Fleming-type: 4.877, 3.357, 2.680, 2.290, 2.031", () => {
    const b = spendingBoundaries([0.2, 0.4, 0.6, 0.8, 1], 0.025, 'obrien-fleming');
    expect(b.map((x) => +x.toFixed(3))).toEqual([4.877, 3.357, 2.68, 2.29, 2.031]);
  });
  it('Pocock-type: 2.438, 2.427, 2.410, 2.397, 2.386', () => {
    const b = spendingBoundaries([0.2, 0.4, 0.6, 0.8, 1], 0.025, 'pocock');
    expect(b.map((x) => +x.toFixed(2))).toEqual([2.44, 2.43, 2.41, 2.4, 2.39]);
  });
  it('one look is the fixed-sample z quantile', () => {
    expect(spendingBoundaries([1], 0.025)[0]).toBeCloseTo(1.959964, 5);
  });
  it('spends α by t = 1 and nothing at t = 0', () => {
    for (const name of ['pocock', 'obrien-fleming'] as const) {
      expect(spent(name, 0.05, 0)).toBe(0);
      expect(spent(name, 0.05, 1)).toBe(0.05);
      expect(spent(name, 0.05, 0.5)).toBeLessThan(0.05);
    }
  });
  it('crossing probability of a simulated Brownian motion at uneven looks is α', () => {
    const t = [0.56, 0.72, 0.86, 1];
    const b = spendingBoundaries(t, 0.025, 'obrien-fleming');
    const rng = makeRng(3);
    let crossed = 0;
    const reps = 200_000;
    for (let i = 0; i < reps; i++) {
      let w = 0;
      let prev = 0;
      for (let k = 0; k < t.length; k++) {
        w += Math.sqrt(t[k] - prev) * rng.normal();
        prev = t[k];
        if (w / Math.sqrt(t[k]) >= b[k]) {
          crossed++;
          break;
        }
      }
    }
    // Monte Carlo sd √(0.025·0.975/200000) ≈ 0.00035.
    expect(Math.abs(crossed / reps - 0.025)).toBeLessThan(0.0015);
  });
  it('rejects fractions that do not increase to 1', () => {
    expect(() => spendingBoundaries([0.5, 0.4, 1], 0.025)).toThrow(CmkdError);
    expect(() => spendingBoundaries([0.5, 0.9], 0.025)).toThrow(CmkdError);
  });
});
