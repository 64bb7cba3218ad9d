import { describe, expect, it } from 'vitest';
import { combineRepeats } from '../criteria/index.js';
import { cchResultOf } from '../criteria/testing/results.js';
import { gainSummary } from './summarise.js';
import { agreementLine, agreementOf, teacherOutcomes } from './verdict.js';

/** One repeat's CCH result: a margin per teacher with a small estimator standard error. */
const repeat = (margins: Record<string, number>) => cchResultOf(margins, 0.01);

/** Test-set F1 per repeat of a model, as cell records. */
const records = (f1: number[]) => f1.map((v, r) => ({ repeat: r, test: { f1Weighted: v } }));

describe('from per-repeat records to the verdicts and their words', () => {
  // Three repeats. 'good': margin clearly > 0 and KD clearly gains; 'bad': margin clearly < 0 and
  // KD clearly loses; 'wrong': margin clearly > 0 but KD clearly loses; 'flat': margin clearly
  // > 0, gain noisy around 0; 'unsure': margin flips sign between repeats, KD clearly gains.
  const cch = combineRepeats([
    repeat({ good: 0.3, bad: -0.3, wrong: 0.2, flat: 0.2, unsure: 0.3 }),
    repeat({ good: 0.32, bad: -0.28, wrong: 0.22, flat: 0.21, unsure: -0.3 }),
    repeat({ good: 0.31, bad: -0.31, wrong: 0.19, flat: 0.2, unsure: 0.25 }),
  ]);
  const student = records([0.8, 0.7, 0.75]);
  const kd: Record<string, number[]> = {
    good: [0.85, 0.76, 0.8], // +5, +6, +5 points
    bad: [0.7, 0.61, 0.66],
    wrong: [0.75, 0.64, 0.7],
    flat: [0.85, 0.65, 0.75], // +5, −5, 0
    unsure: [0.84, 0.74, 0.79],
  };
  const outcomes = teacherOutcomes(cch, (t) => gainSummary(records(kd[t]), student, 'f1Weighted', true));
  const of = (t: string) => outcomes.find((o) => o.teacher === t)!;

  it('decides verdicts and effects only where their intervals exclude 0', () => {
    expect(of('good')).toMatchObject({ verdict: 'helps', effect: 'clear gain', agrees: true });
    expect(of('bad')).toMatchObject({ verdict: 'hurts', effect: 'clear loss', agrees: true });
    expect(of('wrong')).toMatchObject({ verdict: 'helps', effect: 'clear loss', agrees: false });
    expect(of('flat')).toMatchObject({ verdict: 'helps', effect: 'no clear effect', agrees: null });
    expect(of('unsure')).toMatchObject({ verdict: 'uncertain', effect: 'clear gain', agrees: null });
    expect(of('good').gain.mean).toBeCloseTo(0.0533, 4);
    expect(of('good').gainCi![0]).toBeGreaterThan(0);
  });

  it('counts a of b agree among decided and clear, c undecided, d no clear effect', () => {
    const a = agreementOf(outcomes);
    expect(a).toEqual({ agree: 2, decidedAndClear: 3, undecided: 1, noClearEffect: 1 });
    expect(agreementLine(a)).toBe('decided and clear: 2 of 3 agree; 1 undecided; 1 no clear effect');
  });
});
