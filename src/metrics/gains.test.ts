import { describe, expect, it } from 'vitest';
import { CmkdError } from '../util/errors.js';
import { formatEstimate } from '../util/format.js';
import { makeRng } from '../util/rng.js';
import { studentQuantile } from './distributions.js';
import {
  criticalValues,
  decideCandidates,
  decideGain,
  deployDecision,
  nextSplits,
  practicalMargin,
  varianceFactor,
  type GainCandidate,
  type GainDesign,
} from './gains.js';
import { meanSd } from './stats.js';

/** 70/10/20 random splits of 1000 rows. */
const design = (o: Partial<GainDesign> = {}): GainDesign => ({
  scheme: 'random',
  nTrain: 700,
  nTest: 200,
  looks: [3, 5, 8, 12],
  delta: 0.01,
  ...o,
});

describe('varianceFactor (Nadeau–Bengio)', () => {
  it('random splits: 1/R + n_test/n_train', () => {
    expect(varianceFactor(3, design())).toBeCloseTo(1 / 3 + 2 / 7, 12);
  });
  it('one round of k-fold: the plain 1/R; past one round: corrected', () => {
    expect(varianceFactor(5, design({ scheme: 'kfold', folds: 5, looks: [3, 5] }))).toBeCloseTo(0.2, 12);
    expect(varianceFactor(5, design({ scheme: 'kfold', folds: 5, looks: [3, 5, 8] }))).toBeCloseTo(0.2 + 2 / 7, 12);
  });
});

describe('decideGain', () => {
  it('with one look its interval is the corrected t-interval at that R', () => {
    const g = [0.02, 0.01, 0.035, 0.0, 0.015];
    const d = decideGain(g, design({ looks: [5] }));
    const s = meanSd(g);
    const half = studentQuantile(0.975, 4) * Math.sqrt(1 / 5 + 2 / 7) * s.sd;
    expect(d.ci![0]).toBeCloseTo(s.mean - half, 9);
    expect(d.ci![1]).toBeCloseTo(s.mean + half, 9);
    expect(d.splits).toBe(5);
  });
  it('is wider at an interim look than a fixed-R interval, and the critical values fall towards the cap', () => {
    const c = criticalValues(design(), 0.025);
    expect(c[0]).toBeGreaterThan(studentQuantile(0.975, 2));
    for (let k = 1; k < c.length; k++) expect(c[k]).toBeLessThan(c[k - 1]);
  });
  it('gives the four outcomes', () => {
    expect(decideGain([0.05, 0.051, 0.052], design()).outcome).toBe('clear gain');
    expect(decideGain([-0.05, -0.051, -0.052], design()).outcome).toBe('clear loss');
    expect(decideGain([0.0001, -0.0001, 0.0002], design()).outcome).toBe('no practical effect');
    expect(decideGain([0.03, -0.02, 0.01], design()).outcome).toBe('undecided');
    expect(decideGain([0.03, -0.02, 0.01, 0.02, -0.03], design({ looks: [3, 5] })).outcome).toBe('undecided at the cap');
  });
  it('has no interval before the first look', () => {
    const d = decideGain([0.05, 0.05], design());
    expect(d).toMatchObject({ ci: null, outcome: 'undecided', splits: 0, look: 0 });
    expect(d.mean).toBeCloseTo(0.05, 12);
  });
  it('waits for the next look: splits past the latest look reached do not count yet', () => {
    const g = [0.03, -0.02, 0.01, 0.5];
    expect(decideGain(g, design())).toEqual(decideGain(g.slice(0, 3), design()));
  });
  it('keeps a decision once reached (the interval intersects the looks)', () => {
    const g = [0.05, 0.051, 0.052, -0.05, -0.04];
    const d = decideGain(g, design());
    expect(d.outcome).toBe('clear gain');
    expect(d.ci![0]).toBeGreaterThan(0);
    expect(d.splits).toBe(5);
  });
  it('rejects a non-finite gain and a bad design with CmkdError', () => {
    expect(() => decideGain([0.1, NaN, 0.2], design())).toThrow(CmkdError);
    expect(() => decideGain([0.1, 0.2, 0.3], design({ looks: [3, 3] }))).toThrow(CmkdError);
    expect(() => decideGain([0.1, 0.2, 0.3], design({ looks: [1, 3] }))).toThrow(CmkdError);
    expect(() => decideGain([0.1, 0.2, 0.3], design({ delta: 0 }))).toThrow(CmkdError);
    expect(() => decideGain([0.1, 0.2, 0.3], design({ scheme: 'kfold' }))).toThrow(/folds/);
  });
});

/** Candidates with per-split gains mean + sd·z (seeded). */
function family(means: number[], sd: number, R: number, seed: number): GainCandidate[] {
  const rng = makeRng(seed);
  return means.map((m, i) => ({ id: `kd${i}`, gains: Array.from({ length: R }, () => m + sd * rng.normal()) }));
}

describe('deployDecision', () => {
  it('deploys the largest gain among those cleared after correction', () => {
    const c = [
      { id: 'a', gains: [0.05, 0.051, 0.052] },
      { id: 'b', gains: [0.08, 0.081, 0.079] },
      { id: 'c', gains: [0.1, -0.1, 0.2] },
    ];
    const r = deployDecision(c, design());
    expect(r.chosen).toBe('b');
    const b = r.perCandidate.find((x) => x.id === 'b')!;
    expect(r.sentence).toBe(
      `Deploy b: its gain over the no-KD student, ${formatEstimate(b.mean, b.ci, { signed: true })} over 3 splits, is above 0 after Holm's correction for the 3 distilled students (one-sided, family-wise error 2.5%), and it is the largest of the 2 that are.`,
    );
  });
  it('says when a gain is clear on its own but not after the correction', () => {
    // One gain just clear at α/2 = 0.025 but not at 0.025/9: t between the two critical values.
    const d = design({ looks: [5] });
    const c1 = criticalValues(d, 0.025)[0];
    const c9 = criticalValues(d, 0.025 / 9)[0];
    const base = [1, -1, 0.5, -0.5, 0];
    const s = meanSd(base);
    const se = Math.sqrt(varianceFactor(5, d)) * s.sd;
    const shift = ((c1 + c9) / 2) * se;
    const cands = [{ id: 'x', gains: base.map((v) => v + shift) }, ...family(Array(8).fill(0), 1, 5, 4)];
    const r = deployDecision(cands, d);
    expect(r.perCandidate[0].outcome).toBe('clear gain');
    expect(r.perCandidate[0].cleared).toBe(false);
    expect(r.chosen).toBeNull();
    expect(r.sentence).toMatch(
      /^Deploy the student alone: no distilled student's gain is above 0 after Holm's correction for the 9 distilled students .*; the gain of x, .* is clear on its own but not after the correction\.$/,
    );
    // Alone it is deployed.
    expect(deployDecision(cands.slice(0, 1), d).chosen).toBe('x');
  });
  it('never contradicts its numbers', () => {
    const rng = makeRng(11);
    for (let trial = 0; trial < 60; trial++) {
      const m = 1 + rng.int(9);
      const means = Array.from({ length: m }, () => (rng.next() - 0.3) * 0.06);
      const R = [3, 5, 8, 12][rng.int(4)];
      const r = deployDecision(family(means, 0.02, R, trial), design());
      const cleared = r.perCandidate.filter((c) => c.cleared);
      for (const c of cleared) expect(c.outcome).toBe('clear gain');
      if (r.chosen === null) {
        expect(cleared).toHaveLength(0);
        expect(r.sentence.startsWith('Deploy the student alone:')).toBe(true);
      } else {
        const chosen = r.perCandidate.find((c) => c.id === r.chosen)!;
        expect(chosen.cleared).toBe(true);
        expect(chosen.ci![0]).toBeGreaterThan(0);
        expect(Math.max(...cleared.map((c) => c.mean))).toBe(chosen.mean);
        expect(r.sentence).toContain(formatEstimate(chosen.mean, chosen.ci, { signed: true }));
        expect(r.sentence.startsWith(`Deploy ${r.chosen}:`)).toBe(true);
      }
    }
  });
  it('deploys the student alone without candidates, and rejects a repeated id', () => {
    expect(deployDecision([], design()).chosen).toBeNull();
    expect(() =>
      deployDecision(
        [
          { id: 'a', gains: [1, 2, 3] },
          { id: 'a', gains: [1, 2, 3] },
        ],
        design(),
      ),
    ).toThrow(CmkdError);
  });
});

describe('nextSplits', () => {
  it('keeps open only the undecided that could still be the largest cleared gain', () => {
    const c = [
      { id: 'cleared', gains: [0.05, 0.051, 0.052] },
      { id: 'loss', gains: [-0.05, -0.051, -0.052] },
      { id: 'none', gains: [0.0001, -0.0001, 0.0002] },
      { id: 'small', gains: [0.004, -0.004, 0.001] },
      { id: 'wide', gains: [0.2, -0.2, 0.1] },
    ];
    const per = decideCandidates(c, design());
    const floor = per[0].ci![0];
    expect(per[3].ci![1]).toBeLessThan(floor);
    expect(per[4].ci![1]).toBeGreaterThan(floor);
    expect(nextSplits(c, design())).toEqual({ open: ['wide'], splits: 5, stopped: ['small'] });
    // Stopped because it cannot be the largest cleared gain: its outcome says so, not 'undecided'.
    expect(per.map((x) => x.outcome)).toEqual([
      'clear gain',
      'clear loss',
      'no practical effect',
      'stopped: cannot be deployed',
      'undecided',
    ]);
  });
  it('closes a candidate whose gain is surely below δ, though undecided', () => {
    const d = design();
    const c0 = criticalValues(d, 0.025)[0];
    // Interval −0.02 ± 0.025 = [−0.045, 0.005]: neither a clear loss nor inside ±δ = ±0.01, but no gain of δ.
    const k = 0.025 / (c0 * Math.sqrt(varianceFactor(3, d)));
    const c = [{ id: 'sub-delta', gains: [-0.02 - k, -0.02, -0.02 + k] }, ...family([0], 0.05, 3, 2)];
    const per = decideCandidates(c, d);
    // Alone its interval is undecided; as a candidate of the sequential plan it is stopped, and says so.
    expect(decideGain(c[0].gains, d).outcome).toBe('undecided');
    expect(per[0].outcome).toBe('stopped: cannot be deployed');
    expect(per[0].ci![1]).toBeCloseTo(0.005, 9);
    expect(nextSplits(c, d)).toMatchObject({ open: ['kd0'], stopped: ['sub-delta'] });
  });
  it('closes everything at the cap', () => {
    expect(nextSplits(family([0, 0], 0.1, 12, 1), design())).toEqual({ open: [], splits: null, stopped: [] });
  });
});

describe('practicalMargin', () => {
  it('is absolute for scores and relative to the no-KD student for errors', () => {
    expect(practicalMargin('accuracy', 0.9)).toBe(0.01);
    expect(practicalMargin('mse', 4)).toBeCloseTo(0.08, 12);
    expect(practicalMargin('mae', -2)).toBeCloseTo(0.02, 12);
    expect(practicalMargin('custom', 1, { kind: 'absolute', value: 0.5 })).toBe(0.5);
    expect(() => practicalMargin('custom', 1)).toThrow(CmkdError);
  });
});
