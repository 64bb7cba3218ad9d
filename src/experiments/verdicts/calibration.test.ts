import { describe, expect, it } from 'vitest';
import {
  CALIBRATION_RULES,
  calibrate,
  clusterDraws,
  signScore,
  topOneHitRate,
  withInterval,
  withinStudentSpearman,
  type CalibrationRow,
} from './calibration.js';

/** A pair: its source, student and teacher, a margin interval [lo, hi], a mean gain and its effect, the comparators' inputs. */
function pair(
  source: string,
  teacher: string,
  [lo, hi]: [number, number],
  gainMean: number,
  effect: CalibrationRow['effect'],
  more: Partial<CalibrationRow> = {},
): CalibrationRow {
  return {
    source,
    student: 's',
    teacher,
    margin: (lo + hi) / 2,
    marginLo: lo,
    marginHi: hi,
    gainMean,
    effect,
    teacherScore: 0.9,
    studentScore: 0.8,
    miTeacherLabel: 1,
    miStudentLabel: 0.5,
    ...more,
  };
}

const [criterion, alwaysHurts, alwaysHelps, teacherBetter, miRule] = CALIBRATION_RULES;

describe('verdict calibration', () => {
  it('balanced accuracy: mean of the recalls on clear gains and clear losses, undecided counted wrong', () => {
    const rows = [
      pair('a', 't1', [0.1, 0.2], 0.03, 'clear gain'), // helps: right
      pair('a', 't2', [-0.1, 0.2], 0.02, 'clear gain'), // undecided: wrong
      pair('a', 't3', [-0.3, -0.1], -0.02, 'clear loss'), // hurts: right
      pair('a', 't4', [0.1, 0.3], -0.04, 'clear loss'), // helps: wrong
      pair('a', 't5', [-0.3, -0.2], -0.05, 'clear loss'), // hurts: right
      pair('a', 't6', [0.1, 0.3], 0.0, 'no practical effect'), // not scored
    ];
    const s = signScore(rows, criterion.sign);
    expect(s).toMatchObject({ clearGains: 2, clearLosses: 3 });
    expect(s.recallGain).toBeCloseTo(1 / 2, 12);
    expect(s.recallLoss).toBeCloseTo(2 / 3, 12);
    expect(s.balancedAccuracy).toBeCloseTo((1 / 2 + 2 / 3) / 2, 12);
    expect(s.coverage).toBeCloseTo(4 / 5, 12);
    // A constant answer scores 0.5 whatever the mix; the comparators read their own inputs.
    expect(signScore(rows, alwaysHurts.sign).balancedAccuracy).toBe(0.5);
    expect(signScore(rows, alwaysHelps.sign).balancedAccuracy).toBe(0.5);
    const flipped = rows.map((r, i) => (i % 2 ? { ...r, teacherScore: 0.5, miTeacherLabel: 0.1 } : r));
    // Teacher better on rows 0, 2, 4 (gain, loss, loss) → helps; worse on 1, 3 → hurts: gains 1/2, losses 1/3.
    expect(signScore(flipped, teacherBetter.sign).balancedAccuracy).toBeCloseTo((1 / 2 + 1 / 3) / 2, 12);
    expect(signScore(flipped, miRule.sign).balancedAccuracy).toBeCloseTo((1 / 2 + 1 / 3) / 2, 12);
    // No clear gain: no balanced accuracy.
    expect(signScore(rows.slice(2), criterion.sign).balancedAccuracy).toBeNaN();
  });

  it('ranks within students with ≥ 3 teachers: median Spearman and top-1', () => {
    const rows = [
      // Student a/s: margins order the gains exactly (ρ = 1, top-1 hit).
      pair('a', 't1', [0.0, 0.2], 0.03, 'clear gain'),
      pair('a', 't2', [-0.2, 0.0], 0.01, 'no practical effect'),
      pair('a', 't3', [-0.4, -0.2], -0.02, 'clear loss'),
      // Student b/s: reversed (ρ = −1, miss).
      pair('b', 't1', [0.0, 0.2], -0.03, 'clear loss'),
      pair('b', 't2', [-0.2, 0.0], 0.0, 'no practical effect'),
      pair('b', 't3', [-0.4, -0.2], 0.02, 'clear gain'),
      // Student c/s: margins 3, 1, 2 against gains 3, 2, 1 → ranks (3,1,2) vs (3,2,1): ρ = 0.5; top-1 hit.
      pair('c', 't1', [2.9, 3.1], 0.3, 'clear gain'),
      pair('c', 't2', [0.9, 1.1], 0.2, 'clear gain'),
      pair('c', 't3', [1.9, 2.1], 0.1, 'clear gain'),
      // Two teachers only: not ranked.
      pair('d', 't1', [0.1, 0.2], 0.5, 'clear gain'),
      pair('d', 't2', [0.3, 0.4], -0.5, 'clear loss'),
    ];
    expect(withinStudentSpearman(rows, (r) => r.margin)).toBeCloseTo(0.5, 12);
    expect(topOneHitRate(rows, (r) => r.margin)).toBeCloseTo(2 / 3, 12);
    // Teacher score ranks: all tied within a student → no Spearman; top-1 picks the first listed.
    expect(withinStudentSpearman(rows, (r) => r.teacherScore)).toBeNaN();
    expect(topOneHitRate(rows, (r) => r.teacherScore)).toBeCloseTo(2 / 3, 12);
  });

  it('cluster bootstrap draws whole sources, keeps copies apart, and is seeded', () => {
    const rows = ['a', 'b', 'c'].flatMap((s) => [1, 2, 3].map((t) => pair(s, `t${t}`, [0.1, 0.2], t / 10, 'clear gain')));
    const draws = clusterDraws(rows, { draws: 50, seed: 1 });
    expect(draws).toHaveLength(50);
    for (const d of draws) {
      expect(d).toHaveLength(9);
      const copies = new Set(d.map((r) => r.source));
      expect(copies.size).toBe(3);
      for (const c of copies) expect(d.filter((r) => r.source === c)).toHaveLength(3);
    }
    expect(clusterDraws(rows, { draws: 50, seed: 1 })).toEqual(draws);
    // A statistic that is the same on every draw has a zero-width interval; one that varies does not.
    const constant = withInterval(rows, draws, (rs) => rs.length);
    expect(constant).toEqual({ value: 9, lo: 9, hi: 9 });
    const sources = withInterval(rows, draws, (rs) => rs.filter((r) => r.source.startsWith('a')).length / rs.length);
    expect(sources.value).toBeCloseTo(1 / 3, 12);
    expect(sources.lo!).toBeLessThan(sources.hi!);
    // Drawn by a coarser cluster (a and b one cluster): a draw takes both sources together, each kept apart.
    const byGroup = clusterDraws(rows, { draws: 50, seed: 1 }, (r) => (r.source === 'c' ? 'c' : 'ab'));
    for (const d of byGroup) {
      // Every copy of a comes with its b (same draw index), and each copy keeps its 3 pairs.
      for (const r of d.filter((x) => x.source.startsWith('a#')))
        expect(d.filter((x) => x.source === `b#${r.source.slice(2)}`)).toHaveLength(3);
      expect(d.filter((x) => x.source.startsWith('a#'))).toHaveLength(d.filter((x) => x.source.startsWith('b#')).length);
    }
    // Two clusters a draw: c twice (6 pairs), ab and c (9), ab twice (12).
    expect(new Set(byGroup.map((d) => d.length))).toEqual(new Set([6, 9, 12]));
  });

  it('meets the target only when it beats every comparator on the draws, and can fail', () => {
    // Eight sources, each with a clear gain the criterion calls 'helps' and a clear loss it calls 'hurts'; the teacher is always
    // more accurate (so that comparator says helps: 0.5), I(Ht;Y) is above I(Hs;Y) only on the gain (balanced accuracy 1).
    const good = Array.from({ length: 8 }, (_, k) => [
      pair(`s${k}`, 't1', [0.1, 0.2], 0.03, 'clear gain'),
      pair(`s${k}`, 't2', [-0.2, -0.1], -0.03, 'clear loss', { miTeacherLabel: 0.2 }),
    ]).flat();
    const r = calibrate(good, { draws: 200, seed: 3 });
    expect(r).toMatchObject({ pairs: 16, sources: 8, clearGains: 8, clearLosses: 8, rankedStudents: 0 });
    expect(r.rules.map((x) => x.rule)).toEqual(CALIBRATION_RULES.map((x) => x.name));
    expect(r.rules[0].balancedAccuracy).toEqual({ value: 1, lo: 1, hi: 1 });
    expect(r.rules[3].balancedAccuracy.value).toBe(0.5);
    expect(r.rules[4].balancedAccuracy.value).toBe(1);
    // Tied with I(Ht;Y) > I(Hs;Y): its lead's interval is [0, 0], not above 0.
    expect(r.rules[4].criterionLead).toEqual({ value: 0, lo: 0, hi: 0 });
    expect(r.meetsTarget).toBe(false);
    // Once I(Ht;Y) is above on every pair, the criterion leads every comparator.
    const better = calibrate(
      good.map((x) => ({ ...x, miTeacherLabel: 1 })),
      { draws: 200, seed: 3 },
    );
    expect(better.rules.slice(1).every((x) => x.criterionLead!.lo! > 0)).toBe(true);
    expect(better.meetsTarget).toBe(true);
  });
});
