import { describe, expect, it } from 'vitest';
import { decimalsFor, formatEstimate, formatMeanSd, formatNumber } from './format.js';

describe('the one number format', () => {
  it('gives every number of a cell the decimal places of its largest magnitude', () => {
    expect(decimalsFor([0.959, 4.42e-5])).toBe(3);
    expect(decimalsFor([0.0012, 0.021])).toBe(4);
    expect(decimalsFor([123.4])).toBe(0);
    expect(decimalsFor([0])).toBe(2);
    expect(decimalsFor([7], { digits: 0 })).toBe(0);
    expect(decimalsFor([2e-6])).toBeNull();
  });

  it('writes mean ± sd and estimates with their spread at the value’s places', () => {
    expect(formatMeanSd(0.959, 4.42e-5)).toBe('0.959 ± 0.000');
    expect(formatMeanSd(0.912, Number.NaN)).toBe('0.912');
    expect(formatMeanSd(12.5, 0.31)).toBe('12.5 ± 0.3');
    expect(formatEstimate(1.23, [0.31, 2.2], { signed: true })).toBe('+1.23 [+0.31, +2.20]');
    expect(formatEstimate(0.4, null)).toBe('0.400');
    expect(formatNumber(-0.00049, { digits: 1 })).toBe('−0.0005');
    expect(formatNumber(-0.0004, { digits: 3 })).toBe('−0.000400');
    expect(formatNumber(Infinity)).toBe('∞');
    expect(formatNumber(0.5, { percent: true, digits: 2 })).toBe('50%');
  });
});
