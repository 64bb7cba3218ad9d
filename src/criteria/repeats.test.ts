import { describe, expect, it } from 'vitest';
import { normalQuantile, studentQuantile } from '../mi/index.js';
import { combineEstimates, combineRepeats } from './repeats.js';
import { cchResultOf } from './testing/results.js';
import type { Estimate } from './types.js';

describe('combineEstimates', () => {
  it('with no estimator error, is the t-interval of the repeats (R − 1 df)', () => {
    const e = combineEstimates(
      [
        { value: 1, ci: [1, 1], se: 0 },
        { value: 3, ci: [3, 3], se: 0 },
      ],
      0.95,
    );
    // mean 2, s² = 2, SE² = s²/R = 1, df = 1.
    const half = studentQuantile(0.975, 1);
    expect(e.value).toBe(2);
    expect(e.ci![0]).toBeCloseTo(2 - half, 10);
    expect(e.ci![1]).toBeCloseTo(2 + half, 10);
    expect(e.df).toBeCloseTo(1, 10);
  });

  it('with identical repeats, is the estimator interval of the mean (normal, SE² = mean se²/R)', () => {
    const e = combineEstimates(
      [
        { value: 0.5, ci: null, se: 0.4 },
        { value: 0.5, ci: null, se: 0.2 },
      ],
      0.9,
    );
    const se = Math.sqrt((0.16 + 0.04) / 2 / 2);
    expect(e.se).toBeCloseTo(se, 12);
    expect(e.ci![1] - e.value).toBeCloseTo(normalQuantile(0.95) * se, 4);
  });

  it('adds both parts, with Welch–Satterthwaite degrees of freedom between R − 1 and ∞', () => {
    const es: Estimate[] = [0.1, 0.3, 0.2].map((value) => ({ value, ci: null, se: 0.1 }));
    const e = combineEstimates(es, 0.95);
    const a = 0.01 / 3; // s² = 0.01
    const b = 0.01 / 3;
    expect(e.se).toBeCloseTo(Math.sqrt(a + b), 12);
    expect(e.df).toBeCloseTo((a + b) ** 2 / (a ** 2 / 2), 8); // = 8
    expect(e.df!).toBeGreaterThan(2);
  });

  it('passes a single repeat through and clips MI intervals at 0', () => {
    const one: Estimate = { value: 0.2, ci: [0.1, 0.3], se: 0.05 };
    expect(combineEstimates([one], 0.95)).toBe(one);
    const mi = combineEstimates(
      [
        { value: 0.01, ci: null, se: 0.05 },
        { value: 0.03, ci: null, se: 0.05 },
      ],
      0.95,
      true,
    );
    expect(mi.ci![0]).toBe(0);
  });
});

describe('combineRepeats', () => {
  it('decides only where the interval over repeats excludes 0, and ranks by the mean margin', () => {
    const r = combineRepeats([
      cchResultOf({ a: 0.5, b: -0.02, c: -0.4 }, 0.03),
      cchResultOf({ b: 0.03, a: 0.6, c: -0.5 }, 0.03),
      cchResultOf({ a: 0.55, b: 0.0, c: -0.45 }, 0.03),
    ]);
    expect(r.repeats).toBe(3);
    expect(r.ranking).toEqual(['a', 'b', 'c']);
    expect(r.teachers.map((t) => t.verdict)).toEqual(['helps', 'uncertain', 'hurts']);
    expect(r.teachers[0].marginByRepeat).toEqual([0.5, 0.6, 0.55]);
    expect(r.teachers[0].margin.value).toBeCloseTo(0.55, 12);
    expect(String(r.settings.interval)).toMatch(/3 repeats/);
  });

  it('a margin decided on every repeat is undecided when the repeats disagree in sign', () => {
    // Each repeat alone is far from 0 (±0.3 with se 0.03), but training moves it from one side to the other.
    const r = combineRepeats([cchResultOf({ a: 0.3 }, 0.03), cchResultOf({ a: -0.3 }, 0.03)]);
    expect(r.teachers[0].verdict).toBe('uncertain');
  });

  it('says when training variance is not included (one repeat)', () => {
    const r = combineRepeats([cchResultOf({ a: 0.5 }, 0.03)]);
    expect(r.repeats).toBe(1);
    expect(String(r.settings.interval)).toMatch(/training variance not included/);
  });
});
