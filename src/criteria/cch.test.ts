import { describe, expect, it } from 'vitest';
import { CmkdError } from '../util/errors.js';
import { makeRng } from '../util/rng.js';
import { cchFromRepresentations, rankByValue, verdictOf } from './cch.js';
import { pairedEstimates } from './resample.js';
import type { ContinuousRepresentation as Representation } from './types.js';

const col = (n: number, f: (i: number) => number): Representation => ({
  data: Float64Array.from({ length: n }, (_, i) => f(i)),
  n,
  d: 1,
});

function cols(n: number, fs: ((i: number) => number)[]): Representation {
  const d = fs.length;
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) fs.forEach((f, c) => (data[i * d + c] = f(i)));
  return { data, n, d };
}

describe('verdictOf / rankByValue', () => {
  it('helps above 0, hurts below, uncertain when the interval straddles 0', () => {
    expect(verdictOf({ value: 0.2, ci: [0.01, 0.4] })).toBe('helps');
    expect(verdictOf({ value: -0.2, ci: [-0.4, -0.01] })).toBe('hurts');
    expect(verdictOf({ value: 0.1, ci: [-0.05, 0.25] })).toBe('uncertain');
    expect(verdictOf({ value: -0.1, ci: [-0.25, 0.05] })).toBe('uncertain');
    expect(verdictOf({ value: 0.1, ci: [0, 0.2] })).toBe('uncertain');
  });

  it('without an interval the sign decides, 0 is uncertain', () => {
    expect(verdictOf({ value: 0.3, ci: null })).toBe('helps');
    expect(verdictOf({ value: -0.3, ci: null })).toBe('hurts');
    expect(verdictOf({ value: 0, ci: null })).toBe('uncertain');
  });

  it('ranks largest first; ties keep input order; NaN last', () => {
    expect(rankByValue([0.1, 0.5, -0.2])).toEqual([2, 1, 3]);
    expect(rankByValue([0.3, 0.3, 0.1])).toEqual([1, 2, 3]);
    expect(rankByValue([Number.NaN, -1, 2])).toEqual([3, 2, 1]);
  });
});

describe('pairedEstimates', () => {
  it('computes every term on the same resamples: a term minus itself has interval [0, 0]', async () => {
    const n = 400;
    const rng = makeRng(4);
    const x = col(n, () => rng.normal());
    const noise = Float64Array.from({ length: n }, () => rng.normal());
    const y = col(n, (i) => x.data[i] + noise[i]);
    const r = await pairedEstimates(
      [
        { key: 'a', x, y },
        { key: 'b', x, y },
      ],
      [
        { key: 'a', f: (v) => v.a, nonNegative: true },
        { key: 'diff', f: (v) => v.a - v.b },
      ],
      { estimator: 'ksg', seed: 1, bootstrap: 5, ci: 0.95 },
    );
    expect(r.interval).toBe('half-split');
    expect(r.estimates.diff).toEqual({ value: 0, ci: [0, 0], se: 0 });
    // The interval of a single term covers I(X; X + N) = ½ log 2 (unit variances).
    const [lo, hi] = r.estimates.a.ci!;
    expect(lo).toBeLessThan(0.5 * Math.log(2));
    expect(hi).toBeGreaterThan(0.5 * Math.log(2));
    expect(hi - lo).toBeLessThan(0.3);
  });

  it('mine / latent: paired reruns give a repeated-split interval', async () => {
    const n = 300;
    const rng = makeRng(9);
    const x = col(n, () => rng.normal());
    const y = col(n, (i) => x.data[i] + rng.normal());
    // One-column inputs are not encoded (latent dimension 8 ≥ 1), so no network is trained.
    const r = await pairedEstimates([{ key: 'a', x, y }], [{ key: 'a', f: (v) => v.a, nonNegative: true }], {
      estimator: 'latent',
      seed: 2,
      bootstrap: 3,
      ci: 0.95,
    });
    expect(r.interval).toBe('repeated-split');
    expect(r.resamples).toBe(3);
    expect(r.estimates.a.ci).not.toBeNull();
    expect(r.estimates.a.value).toBeGreaterThan(0.1);
  });
});

describe('cchFromRepresentations', () => {
  /**
   * Jointly Gaussian regression case with closed forms. Y ~ N(0, 1), Hs = Y + e_s (var 1).
   * Teachers: copy = Hs + e (var 0.2); indep = Y + e_t (var 1), conditionally independent of Hs
   * given Y; noise = pure noise. For observations Y + e_i of Y, I(obs; Y) = ½ log(1 + Σ 1/σᵢ²).
   */
  const n = 4000;
  const rng = makeRng(11);
  const y = Float64Array.from({ length: n }, () => rng.normal());
  const hs = col(n, (i) => y[i] + rng.normal());
  const copy = col(n, (i) => hs.data[i] + Math.sqrt(0.2) * rng.normal());
  const indep = col(n, (i) => y[i] + rng.normal());
  const noise = col(n, () => rng.normal());
  const half = 0.5;
  const exact = {
    miStudentLabel: half * Math.log(2),
    // I(copy; Hs) = ½ log(1 + var(Hs) / 0.2), var(Hs) = 2.
    copy: { miTeacherStudent: half * Math.log(11), miTeacherLabel: half * Math.log(1 + 1 / 1.2) },
    // corr(indep, Hs) = 1/2.
    indep: { miTeacherStudent: -half * Math.log(0.75), miJointLabel: half * Math.log(3) },
  };

  it('takes discrete representations (predicted classes): plug-in terms, pairs of classes for the joint', async () => {
    const n = 600;
    const rng = makeRng(9);
    const y = Int32Array.from({ length: n }, (_, i) => i % 3);
    // The student predicts y with 30% errors; 'same' repeats the student's predictions, 'truth' is y itself.
    const s = Int32Array.from(y, (v) => (rng.next() < 0.3 ? rng.int(3) : v));
    const r = await cchFromRepresentations({
      student: { name: 's', h: { labels: s, n } },
      teachers: [
        { name: 'same', h: { labels: Int32Array.from(s), n } },
        { name: 'truth', h: { labels: Int32Array.from(y), n } },
      ],
      labels: y,
      bootstrap: 4,
    });
    const [same, truth] = ['same', 'truth'].map((t) => r.teachers.find((x) => x.teacher === t)!);
    // I(S;S) = H(S) > I(S;Y): 'same' helps; with the truth as teacher the margin is exactly I(Y;S) − I(S;Y) = 0.
    expect(same.verdict).toBe('helps');
    expect(truth.margin.value).toBeCloseTo(0, 12);
    expect(truth.mfh!.miJointLabel.value).toBeCloseTo(truth.mfh!.miTeacherLabel.value, 12);
    expect(r.representations.map((x) => x.d)).toEqual([1, 1, 1]);
  });

  it('matches the closed-form margins, verdicts and ranking (gaussian estimator, regression labels)', async () => {
    const r = await cchFromRepresentations({
      student: { name: 'student', h: hs },
      teachers: [
        { name: 'noise', h: noise },
        { name: 'indep', h: indep },
        { name: 'copy', h: copy },
      ],
      labels: Float32Array.from(y),
      estimator: 'gaussian',
      seed: 1,
      bootstrap: 10,
    });
    expect(r.ranking).toEqual(['copy', 'indep', 'noise']);
    expect(r.interval).toBe('half-split');
    expect(r.n).toBe(n);
    expect(r.miStudentLabel.value).toBeCloseTo(exact.miStudentLabel, 1);
    const [copyScore, indepScore, noiseScore] = r.teachers;
    expect(copyScore.rank).toBe(1);
    expect(copyScore.miTeacherStudent.value).toBeCloseTo(exact.copy.miTeacherStudent, 1);
    expect(copyScore.margin.value).toBeCloseTo(exact.copy.miTeacherStudent - exact.miStudentLabel, 1);
    expect(copyScore.verdict).toBe('helps');
    // CCH margin of a conditionally independent teacher: I(Ht;Hs) − I(Hs;Y) = 0.1438 − 0.3466.
    expect(indepScore.margin.value).toBeCloseTo(exact.indep.miTeacherStudent - exact.miStudentLabel, 1);
    expect(indepScore.verdict).toBe('hurts');
    expect(noiseScore.margin.value).toBeCloseTo(-exact.miStudentLabel, 1);
    expect(noiseScore.verdict).toBe('hurts');
    for (const t of r.teachers) {
      expect(t.margin.ci![0]).toBeLessThan(t.margin.value);
      expect(t.margin.ci![1]).toBeGreaterThan(t.margin.value);
    }

    // MFH: the copy adds no label information to Hs, so everything it knows about Y is shared.
    const copyMfh = copyScore.mfh!;
    expect(copyMfh.miTeacherLabel.value).toBeCloseTo(exact.copy.miTeacherLabel, 1);
    expect(copyMfh.miJointLabel.value).toBeCloseTo(exact.miStudentLabel, 1);
    expect(copyMfh.shared.value).toBeCloseTo(exact.copy.miTeacherLabel, 1);
    expect(copyMfh.sharedFraction.value).toBeGreaterThan(0.85);
    // Conditionally independent views: co-information = I(Ht;Hs) = ½ log 2 + ½ log 2 − ½ log 3.
    const indepMfh = indepScore.mfh!;
    expect(indepMfh.miJointLabel.value).toBeCloseTo(exact.indep.miJointLabel, 1);
    expect(indepMfh.shared.value).toBeCloseTo(2 * exact.miStudentLabel - exact.indep.miJointLabel, 1);
    expect(indepMfh.sharedFraction.value).toBeCloseTo((2 * exact.miStudentLabel - exact.indep.miJointLabel) / exact.miStudentLabel, 0);
    expect(indepMfh.redundancyBound.value).toBeCloseTo(exact.miStudentLabel, 1);
    expect(Math.abs(noiseScore.mfh!.shared.value)).toBeLessThan(0.03);
  });

  it('KSG on class labels: a noisy copy of the student latent helps, an independent teacher hurts', async () => {
    // Binary Y; Hs = (1.5·(2Y − 1) + e, z) with a student-specific latent z.
    const m = 800;
    const g = makeRng(21);
    const labels = Int32Array.from({ length: m }, (_, i) => i % 2);
    const hsLabel = Float64Array.from(labels, (l) => 1.5 * (2 * l - 1) + g.normal());
    const z = Float64Array.from({ length: m }, () => g.normal());
    const student = cols(m, [(i) => hsLabel[i], (i) => z[i]]);
    const teachers = [
      // Carries label information but nothing of the student's own latent: Ht — Y — Hs.
      { name: 'independent', h: cols(m, [(i) => 1.5 * (2 * labels[i] - 1) + g.normal(), () => g.normal()]) },
      {
        name: 'noisy-copy',
        h: cols(m, [(i) => hsLabel[i] + 0.3 * g.normal(), (i) => z[i] + 0.3 * g.normal()]),
      },
    ];
    const r = await cchFromRepresentations({
      student: { name: 's', h: student },
      teachers,
      labels,
      estimator: 'ksg',
      seed: 3,
    });
    expect(r.ranking).toEqual(['noisy-copy', 'independent']);
    expect(r.teachers[0].verdict).toBe('helps');
    expect(r.teachers[0].margin.ci![0]).toBeGreaterThan(0.5);
    expect(r.teachers[1].verdict).toBe('hurts');
    // Data processing: I(Ht;Hs) ≤ I(Hs;Y) for Ht — Y — Hs.
    expect(r.teachers[1].miTeacherStudent.value).toBeLessThan(r.miStudentLabel.value);
    expect(r.resamples).toBe(10);
    expect(r.settings).toMatchObject({ estimator: 'ksg', dims: 8, mfh: true });
  });

  it('reduces wide representations by PCA and reports it; bits scale every MI', async () => {
    const m = 300;
    const g = makeRng(5);
    const labels = Int32Array.from({ length: m }, (_, i) => i % 3);
    const wide = (): Representation => {
      const d = 20;
      const data = new Float32Array(m * d);
      for (let i = 0; i < m; i++) for (let c = 0; c < d; c++) data[i * d + c] = (c < 3 ? labels[i] : 0) + g.normal();
      return { data, n: m, d };
    };
    const common = {
      student: { name: 's', h: wide() },
      teachers: [{ name: 't', h: wide() }],
      labels,
      seed: 2,
      bootstrap: 0,
    };
    const nats = await cchFromRepresentations({ ...common, dims: 4 });
    const bits = await cchFromRepresentations({ ...common, dims: 4, units: 'bits' });
    expect(nats.representations).toEqual([
      expect.objectContaining({ name: 's', d: 20, dEstimated: 4 }),
      expect.objectContaining({ name: 't', d: 20, dEstimated: 4 }),
    ]);
    expect(nats.representations[0].explained).toBeLessThan(1);
    expect(nats.interval).toBe('none');
    expect(nats.teachers[0].margin.ci).toBeNull();
    expect(bits.teachers[0].margin.value).toBeCloseTo(nats.teachers[0].margin.value / Math.LN2, 10);
    expect(bits.teachers[0].mfh!.sharedFraction.value).toBeCloseTo(nats.teachers[0].mfh!.sharedFraction.value, 10);
    const noMfh = await cchFromRepresentations({ ...common, dims: false, mfh: false });
    expect(noMfh.representations[0].dEstimated).toBe(20);
    expect(noMfh.teachers[0].mfh).toBeUndefined();
  });

  it('floors I(Ht,Hs;Y) at max(I(Ht;Y), I(Hs;Y)), keeping the co-information within the redundancy bound', async () => {
    // One label column (classes 4 sd apart) and five noise columns per side: in the 12-d joint
    // space Ross underestimates I(Ht,Hs;Y) below the marginal terms.
    const m = 300;
    const g = makeRng(8);
    const labels = Int32Array.from({ length: m }, (_, i) => i % 3);
    const view = (): Representation => cols(m, [(i) => 4 * labels[i] + g.normal(), ...Array(5).fill(() => g.normal())]);
    const r = await cchFromRepresentations({
      student: { name: 's', h: view() },
      teachers: [{ name: 't', h: view() }],
      labels,
      seed: 1,
      bootstrap: 0,
    });
    const v = r.teachers[0].mfh!;
    expect(v.miJointLabel.value).toBe(Math.max(v.miTeacherLabel.value, r.miStudentLabel.value));
    expect(v.shared.value).toBeCloseTo(v.redundancyBound.value, 12);
  });

  it('stops when the signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const h = col(50, (i) => i % 7);
    const p = cchFromRepresentations({
      student: { name: 's', h },
      teachers: [{ name: 't', h }],
      labels: Int32Array.from({ length: 50 }, (_, i) => i % 2),
      signal: controller.signal,
    });
    await expect(p).rejects.toThrow(expect.objectContaining({ name: 'AbortError' }));
  });

  describe('input validation', () => {
    const h = col(10, (i) => i);
    const labels = new Int32Array(10);
    const base = { student: { name: 's', h }, teachers: [{ name: 't', h }], labels };
    const fails = async (input: unknown, message: RegExp) => {
      const p = cchFromRepresentations(input as Parameters<typeof cchFromRepresentations>[0]);
      await expect(p).rejects.toThrow(CmkdError);
      await expect(p).rejects.toThrow(message);
    };
    it('rejects the student among the teachers, duplicates and no teachers', async () => {
      await fails({ ...base, teachers: [{ name: 's', h }] }, /student 's' is also listed as a teacher/);
      await fails(
        {
          ...base,
          teachers: [
            { name: 't', h },
            { name: 't', h },
          ],
        },
        /teacher 't' is listed twice/,
      );
      await fails({ ...base, teachers: [] }, /at least one teacher/);
    });
    it('rejects mismatched rows, labels and options', async () => {
      await fails(
        { ...base, teachers: [{ name: 't', h: col(9, (i) => i) }] },
        /teacher 't' has 9 rows but the student representation has 10/,
      );
      await fails({ ...base, labels: new Int32Array(3) }, /3 labels for 10 representation rows/);
      await fails({ ...base, labels: [1, 2] }, /labels must be an Int32Array/);
      await fails({ ...base, estimator: 'knn' }, /unknown estimator 'knn'; expected one of: gaussian, ksg, mine, latent/);
      await fails({ ...base, dims: 0 }, /dims must be a positive integer or false/);
      await fails({ ...base, student: { name: 's', h: { data: new Float32Array(5), n: 10, d: 1 } } }, /student 's'.data has 5 values/);
      await fails(
        { ...base, teachers: [{ name: 't', h: col(10, (i) => (i === 3 ? Number.NaN : i)) }] },
        /teacher 't' has a non-finite value \(NaN\) at sample 3/,
      );
    });
  });
});
