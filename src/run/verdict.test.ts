import { describe, expect, it } from 'vitest';
import { combineRepeats } from '../criteria/index.js';
import { cchResultOf } from '../criteria/testing/results.js';
import {
  DEPLOY_RULE,
  couldDecide,
  deployChoice,
  gainDesign,
  gainUnits,
  nextStep,
  pairedGains,
  projectedHalfWidth,
  summariseGain,
  schemeLooks,
} from './decide.js';
import { summaryAgainstTables } from './testing.js';
import type { RunResult } from './types.js';
import { agreementLine, agreementOf, nextStepSentence, plainVerdict, teacherOutcomes } from './verdict.js';

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
  // Three fixed random 70/10/20 splits of 1000 rows: the Nadeau–Bengio-corrected interval at one look.
  const design = gainDesign({ scheme: 'random', folds: 0, nTrain: 700, nTest: 200, looks: [3], metric: 'f1Weighted', baselineMean: 0.75 });
  const outcomes = teacherOutcomes(cch, (t) => summariseGain(pairedGains(records(kd[t]), student, 'f1Weighted', true), design));
  const of = (t: string) => outcomes.find((o) => o.teacher === t)!;

  it('decides verdicts and effects only where their intervals exclude 0', () => {
    expect(of('good')).toMatchObject({ verdict: 'helps', effect: 'clear gain', agrees: true });
    expect(of('bad')).toMatchObject({ verdict: 'hurts', effect: 'clear loss', agrees: true });
    expect(of('wrong')).toMatchObject({ verdict: 'helps', effect: 'clear loss', agrees: false });
    expect(of('flat')).toMatchObject({ verdict: 'helps', effect: 'undecided at the cap', agrees: null });
    expect(of('unsure')).toMatchObject({ verdict: 'uncertain', effect: 'clear gain', agrees: null });
    expect(of('good').gain.mean).toBeCloseTo(0.0533, 4);
    expect(of('good').gainCi![0]).toBeGreaterThan(0);
  });

  it('counts a of b agree among decided and clear, c undecided, d without a clear gain or loss', () => {
    const a = agreementOf(outcomes);
    expect(a).toEqual({ agree: 2, decidedAndClear: 3, undecided: 1, noClearEffect: 1 });
    expect(agreementLine(a)).toBe('decided and clear: 2 of 3 agree; 1 undecided; 1 without a clear gain or loss');
  });

  // The run's words for these numbers: plain KD from each teacher is a distilled student, the deploy rule picks among them.
  const gainsOf = (t: string) => pairedGains(records(kd[t]), student, 'f1Weighted', true);
  const summaryOf = (chooseFrom: string[]) => {
    const deploy = deployChoice(
      chooseFrom.map((t) => ({ id: `KD ← ${t}`, gains: gainsOf(t) })),
      design,
      gainUnits('f1Weighted'),
    );
    const mean = (xs: number[]) => ({ mean: xs.reduce((a, b) => a + b, 0) / xs.length, sd: 0, n: xs.length });
    const r = {
      student: 'x',
      dataset: { summary: { task: { kind: 'classification' } } },
      headline: { metric: 'f1Weighted', higherIsBetter: true },
      cch,
      outcomes,
      agreement: agreementOf(outcomes),
      table: [
        { label: 'STUDENT (x, no KD)', role: 'student', test: { f1Weighted: mean(student.map((s) => s.test.f1Weighted)) } },
        ...chooseFrom.map((t) => ({ label: `KD ← ${t}`, role: 'distilled', teacher: t, ...summariseGain(gainsOf(t), design) })),
      ],
      decision: {
        rule: DEPLOY_RULE,
        sentence: deploy.sentence,
        chosen: deploy.chosen,
        looks: [3],
        delta: design.delta,
        splitsUsed: 3,
        undecided: 1,
        next: null,
      },
      best: { label: deploy.chosen ?? 'STUDENT (x, no KD)' },
    } as unknown as RunResult;
    r.verdict = plainVerdict(r);
    return r;
  };

  it('says in the summary what the tables show: each outcome with its interval, the deployed student and why', () => {
    const all = summaryOf(Object.keys(kd));
    expect(all.decision.chosen).toBe('KD ← good');
    expect(all.verdict).toMatch(
      /Deploy KD ← good: its gain over the no-KD student, \+5\.33 pts \[.*\] over 3 splits, is above 0 after Holm's correction for the 5 distilled students/,
    );
    expect(summaryAgainstTables(all)).toEqual([]);
    // 'unsure' gains +4 pts, clear on its own; alone among the losers it is deployed.
    const one = summaryOf(['unsure', 'bad']);
    expect(summaryAgainstTables(one)).toEqual([]);
    // The check can fail: a summary that names the wrong interval, or deploys against the table.
    const tampered = { ...all, verdict: all.verdict.replace("'good' +5.33", "'good' +6.33") };
    expect(summaryAgainstTables(tampered)).toEqual([expect.stringMatching(/^good: the summary does not show \+5\.33 pts/)]);
    const contradicting = { ...all, decision: { ...all.decision, chosen: null }, best: { ...all.best, label: 'STUDENT (x, no KD)' } };
    expect(summaryAgainstTables(contradicting)).toContain('the summary does not deploy the student alone');
  });

  it('projects an open gain to a larger cap from its present spread, and says when more splits cannot decide it', () => {
    const g = gainsOf('flat');
    const ci = summariseGain(g, design).gainCi!;
    // At the run's own cap the projection is the interval it has.
    expect(projectedHalfWidth(g, design, 3)).toBeCloseTo((ci[1] - ci[0]) / 2, 12);
    // Overlapping splits: the factor 1/R + 2/7 has a floor, so even 1000 splits leave at least z·√(2/7)·s.
    const sd = Math.sqrt(g.reduce((a, x) => a + (x - g.reduce((b, y) => b + y, 0) / 3) ** 2, 0) / 2);
    expect(projectedHalfWidth(g, design, 1000)).toBeGreaterThan(1.96 * Math.sqrt(2 / 7) * sd);
    expect(projectedHalfWidth(g, design, 1000)).toBeLessThan(projectedHalfWidth(g, { ...design, looks: [3, 8] }, 8));
    // 'flat' (+5, −5, 0 points) cannot be decided however many splits; +5.3 points with 0.5 points of spread can.
    expect(couldDecide(g, design, 20)).toBe(false);
    expect(couldDecide([0.05, 0.055, 0.06], design, 5)).toBe(true);
  });

  it('on k-fold splits: looks stay within one round of 10 folds, and the next step finishes the round', () => {
    // The budgets' looks on 2,000 rows: quick unchanged, standard and full capped at the round's 10 folds.
    expect(schemeLooks([3, 5, 8], 'kfold', 2000, false)).toEqual([3, 5, 8]);
    expect(schemeLooks([3, 5, 8, 12], 'kfold', 2000, false)).toEqual([3, 5, 8, 10]);
    expect(schemeLooks([5, 8, 12, 20], 'kfold', 2000, false)).toEqual([5, 8, 10]);
    // A cap the user gave is kept (past 10 the test rows repeat: the corrected factor applies); random splits keep the budget's.
    expect(schemeLooks([3, 5, 8, 13], 'kfold', 2000, true)).toEqual([3, 5, 8, 13]);
    expect(schemeLooks([3, 5, 8, 12], 'random', 2000, false)).toEqual([3, 5, 8, 12]);
    // Small data: the first look tests every one of the 5 folds.
    expect(schemeLooks([3, 5, 8], 'kfold', 120, false)).toEqual([5, 8]);
    expect(schemeLooks([3, 5, 8], 'kfold', 120, true)).toEqual([5, 8]);
    const kfold = { ...design, scheme: 'kfold' as const, folds: 10, looks: [3, 5, 8] };
    const gains = [[0.05, 0.01, 0.03, 0.04, 0.0, 0.02, 0.06, 0.01]];
    const next = nextStep(gains, kfold, { looks: [3, 5, 8], planned: [3, 5, 8], modelsPerSplit: 4, pace: 2 });
    expect([next.maxRepeats, next.models, next.overlapping]).toEqual([10, 8, false]);
    // The sentence names the overlap floor only where the splits share test rows.
    const closed = { ...next, decidable: 0 };
    const sentence = (o: boolean) =>
      nextStepSentence({
        decision: { ...summaryOf(['good']).decision, looks: [3, 5, 8], undecided: 1, next: { ...closed, overlapping: o } },
      });
    expect(sentence(false)).toMatch(/from each split's test rows\.$/);
    expect(sentence(true)).toMatch(/cannot shrink it below a floor \(docs\/decisions\.md\)\.$/);
    // Within the round the factor is 1/R: 10 folds are narrower than 8; past it (13 splits) the overlap floor comes back.
    expect(projectedHalfWidth(gains[0], kfold, 10)).toBeLessThan(projectedHalfWidth(gains[0], kfold, 8));
    expect(projectedHalfWidth(gains[0], kfold, 13)).toBeGreaterThan(projectedHalfWidth(gains[0], kfold, 10));
  });

  it('gives the next step after a single split (no interval to project from) instead of refusing its looks', () => {
    const one = { ...design, looks: [1] };
    const next = nextStep([[0.05], [-0.02]], one, { looks: [1], planned: [3, 5, 8], modelsPerSplit: 4, pace: 2 });
    expect(next).toEqual({ maxRepeats: 3, models: 8, seconds: 16, decidable: 2, halfWidth: { now: NaN, next: NaN }, overlapping: true });
    const decision = { ...summaryOf(['good']).decision, looks: [1], undecided: 2, next };
    expect(nextStepSentence({ decision })).toBe(
      '2 distilled students are undecided at the cap of 1 split: 2 of them could be decided with --max-repeats 3 --resume (about 8 more models; one split gives no interval yet).',
    );
  });
});
