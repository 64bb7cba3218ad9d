import { describe, expect, it } from 'vitest';
import { normalQuantile, studentQuantile } from '../mi/index.js';
import { combineEstimates, combineRepeats, heldOutOverlap } from './repeats.js';
import { simulateRepeatsCoverage } from './repeats-coverage.js';
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

  it('with identical repeats, is the estimator interval of the mean scaled by the overlap (normal, SE² = ρ·mean se²)', () => {
    const e = combineEstimates(
      [
        { value: 0.5, ci: null, se: 0.4 },
        { value: 0.5, ci: null, se: 0.2 },
      ],
      0.9,
      { overlap: 0.3 },
    );
    const se = Math.sqrt(0.3 * ((0.16 + 0.04) / 2));
    expect(e.se).toBeCloseTo(se, 12);
    expect(e.ci![1] - e.value).toBeCloseTo(normalQuantile(0.95) * se, 4);
  });

  it('adds both parts, with Welch–Satterthwaite degrees of freedom between R − 1 and ∞', () => {
    const es: Estimate[] = [0.1, 0.3, 0.2].map((value) => ({ value, ci: null, se: 0.1 }));
    const e = combineEstimates(es, 0.95, { overlap: 0.5 });
    const a = 0.01 / 3; // s² = 0.01
    const b = 0.5 * 0.01;
    expect(e.se).toBeCloseTo(Math.sqrt(a + b), 12);
    expect(e.df).toBeCloseTo((a + b) ** 2 / (a ** 2 / 2), 8);
    expect(e.df!).toBeGreaterThan(2);
  });

  it('disjoint held-out rows (ρ = 0) leave s²/R: the repeats already hold the estimator noise; unknown ρ is taken as 1', () => {
    const es: Estimate[] = [0.1, 0.3, 0.2].map((value) => ({ value, ci: null, se: 0.1 }));
    expect(combineEstimates(es, 0.95, { overlap: 0 }).se).toBeCloseTo(Math.sqrt(0.01 / 3), 12);
    expect(combineEstimates(es, 0.95).se).toBeCloseTo(Math.sqrt(0.01 / 3 + 0.01), 12);
    expect(() => combineEstimates(es, 0.95, { overlap: 1.5 })).toThrow(/overlap ρ must be in \[0, 1\]/);
  });

  it('a repeat without an se does not count as se = 0: σ²_e comes from the others, and the estimate says so', () => {
    const es: Estimate[] = [
      { value: 0.1, ci: null, se: 0.2 },
      { value: 0.3, ci: null },
      { value: 0.2, ci: null, se: Number.NaN },
    ];
    const e = combineEstimates(es, 0.95, { overlap: 0.3 });
    expect(e.se).toBeCloseTo(Math.sqrt(0.01 / 3 + 0.3 * 0.04), 12); // not √(0.01/3 + 0.3·0.04/3)
    expect(e.note).toMatch(/2 of 3 repeats without an estimator se: se² from the other 1/);
    const none = combineEstimates(
      es.map((x) => ({ value: x.value, ci: null })),
      0.95,
      { overlap: 0.3 },
    );
    expect(none.se).toBeCloseTo(Math.sqrt(0.01 / 3), 12);
    expect(none.note).toMatch(/no repeat has an estimator se: the interval leaves out the shared-rows part/);
  });

  it('counts the repeats it used: one finite repeat of three is labelled 1, not 3', () => {
    const one: Estimate = { value: 0.2, ci: [0.1, 0.3], se: 0.05 };
    const e = combineEstimates([one, { value: Number.NaN, ci: null }, { value: Number.POSITIVE_INFINITY, ci: null }], 0.95, {
      overlap: 0.3,
    });
    expect(e.repeats).toBe(1);
    expect(e.ci).toEqual([0.1, 0.3]);
    expect(e.note).toMatch(/2 of 3 repeats not finite, left out; one finite repeat: its own interval, training variance not included/);
    expect(combineEstimates([one, one, { value: Number.NaN, ci: null }], 0.95).repeats).toBe(2);
  });

  it('passes a single repeat through and clips MI intervals at 0', () => {
    const one: Estimate = { value: 0.2, ci: [0.1, 0.3], se: 0.05 };
    expect(combineEstimates([one], 0.95)).toEqual({ ...one, repeats: 1 });
    const mi = combineEstimates(
      [
        { value: 0.01, ci: null, se: 0.05 },
        { value: 0.03, ci: null, se: 0.05 },
      ],
      0.95,
      { nonNegative: true },
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

describe('heldOutOverlap', () => {
  it('is the mean over pairs of shared rows / √(|A|·|B|)', () => {
    expect(
      heldOutOverlap([
        [0, 1, 2, 3],
        [2, 3, 4, 5],
      ]),
    ).toBeCloseTo(0.5, 12);
    expect(
      heldOutOverlap([
        [0, 1],
        [2, 3],
        [4, 5],
      ]),
    ).toBe(0);
    // Pairs: (A,B) 2/√(4·2), (A,C) 0, (B,C) 0.
    expect(heldOutOverlap([[0, 1, 2, 3], [0, 1], [9]])).toBeCloseTo(2 / Math.sqrt(8) / 3, 12);
  });
});

describe('the interval over repeats, by simulation (repeats-coverage.ts)', () => {
  // 95% intervals; 500 seeded trials per case on 200 rows (a coverage's own standard error ≈ 0.01).
  const cases = [3, 5, 10].flatMap((repeats) =>
    (['random', 'kfold'] as const).flatMap((scheme) => [0, 1].map((trainingSd) => ({ repeats, scheme, trainingSd }))),
  );
  it.each(cases)('covers at 95% ± 3 points: R = $repeats, $scheme splits, σ_t = $trainingSd·σ_e', ({ repeats, scheme, trainingSd }) => {
    const r = simulateRepeatsCoverage({ repeats, scheme, trainingSd, trials: 500, rows: 200, seed: 11 });
    expect(r.coverage).toBeGreaterThan(0.92);
    expect(r.coverage).toBeLessThan(0.98);
  });
  it('where the earlier SE² = s²/R + mean(se²)/R (ρ = 1/R) did not: under 90% for 10 random splits and for 5-fold', () => {
    const random = simulateRepeatsCoverage({ repeats: 10, scheme: 'random', trainingSd: 0, trials: 500, rows: 200, seed: 11 });
    expect(random.overlap).toBeCloseTo(0.3, 2);
    expect(random.coverageBefore).toBeLessThan(0.9);
    // cmkd's 5-fold splits validate on much the same rows in every fold: ρ ≈ 0.42.
    const kfold = simulateRepeatsCoverage({ repeats: 5, scheme: 'kfold', trainingSd: 0, trials: 500, rows: 200, seed: 11 });
    expect(kfold.overlap).toBeGreaterThan(0.35);
    expect(kfold.coverageBefore).toBeLessThan(0.9);
  });
});
