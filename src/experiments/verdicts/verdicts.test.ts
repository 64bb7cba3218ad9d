import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  VERDICTS_DEFAULTS,
  VERDICTS_QUICK,
  gaussianDataset,
  pairCount,
  parseGrid,
  planVerdicts,
  resolveVerdictsOptions,
  runVerdicts,
  scoreVerdicts,
  verdictsExperiment,
  type VerdictsPairRow,
} from './index.js';
import { checkSources, gaussianSettings, halvesOf, noisyLabels, noisyTable, variantDataset } from './pairs.js';
import { calibrate } from './calibration.js';
import { VERDICTS_TRACK_RECORD } from '../../report/track-record.js';
import type { CalibrationRow } from './calibration.js';

/** A pair row with a margin interval [lo, hi] and a gain interval [glo, ghi]. */
function row(teacher: string, lo: number, hi: number, glo: number, ghi: number, estimator: 'ksg' | 'gaussian' = 'ksg'): VerdictsPairRow {
  const margin = (lo + hi) / 2;
  const gainMean = (glo + ghi) / 2;
  return {
    variant: 'v',
    source: 'v',
    half: 'development',
    student: 's',
    teacher,
    representation: 'embedding',
    estimator,
    margin,
    marginLo: lo,
    marginHi: hi,
    verdict: lo > 0 ? 'helps' : hi < 0 ? 'hurts' : 'uncertain',
    gainMean,
    gainSd: 0.01,
    gainLo: glo,
    gainHi: ghi,
    effect: glo > 0 ? 'clear gain' : ghi < 0 ? 'clear loss' : 'undecided at the cap',
    repeats: 3,
    teacherScore: 0.9,
    studentScore: 0.8,
    miTeacherLabel: 1,
    miStudentLabel: 0.5,
  };
}

describe('verdicts experiment', () => {
  it('scores decided share, agreement on decided & clear pairs and Spearman by hand', () => {
    const rows = [
      row('a', 0.1, 0.3, 0.01, 0.03), // helps, clear gain: agrees
      row('b', -0.4, -0.2, -0.05, -0.01), // hurts, clear loss: agrees
      row('c', 0.2, 0.4, -0.06, -0.02), // helps, clear loss: disagrees
      row('d', 0.05, 0.15, -0.01, 0.02), // helps, no clear effect
      row('e', -0.1, 0.1, 0.02, 0.04), // undecided, clear gain
      row('f', Number.NaN, Number.NaN, 0.0, 0.01), // no margin interval: undecided
    ];
    const [s] = scoreVerdicts(rows);
    expect(s).toMatchObject({
      representation: 'embedding',
      estimator: 'ksg',
      pairs: 6,
      decided: 4,
      clear: 4,
      agreed: 2,
      checkable: 3,
      undecided: 2,
      noClearEffect: 1,
    });
    expect(s.decidedShare).toBeCloseTo(4 / 6, 12);
    expect(s.clearShare).toBeCloseTo(4 / 6, 12);
    expect(s.agreement).toBeCloseTo(2 / 3, 12);
    // Pairs a–e (f has no margin): margins 0.2, −0.3, 0.3, 0.1, 0 rank 4, 1, 5, 3, 2; gains 0.02, −0.03, −0.04, 0.005, 0.03
    // rank 4, 2, 1, 3, 5; ρ = 1 − 6·Σd²/(n(n²−1)) = 1 − 6·(0 + 1 + 16 + 0 + 9)/120 = −0.3.
    expect(s.spearman).toBeCloseTo(-0.3, 12);
  });

  it('groups by combination', () => {
    const good = [
      row('a', 0.1, 0.3, 0.01, 0.03, 'gaussian'),
      row('b', -0.3, -0.1, -0.03, -0.01, 'gaussian'),
      row('c', -1, 1, 0, 1, 'gaussian'),
    ];
    const bad = [row('a', 0.1, 0.3, -0.03, -0.01), row('b', -1, 1, -0.03, -0.01), row('c', -1, 1, 0, 1)];
    const table = scoreVerdicts([...bad, ...good]);
    expect(table.map((s) => s.estimator)).toEqual(['ksg', 'gaussian']);
    expect(table[0]).toMatchObject({ agreed: 0, checkable: 1, decided: 1 });
    expect(table[1]).toMatchObject({ agreed: 2, checkable: 2, decided: 2, agreement: 1 });
  });

  it('plans the measured calibration by default: 100 pairs in 34 sources, 17 per half, every family in both halves, then 3 replicates of the evaluation half; a few with --quick', () => {
    const all = planVerdicts(VERDICTS_DEFAULTS);
    expect(pairCount(all)).toBe(250);
    const runs = all.filter((r) => r.replicate === undefined);
    expect(runs).toEqual(planVerdicts({ ...VERDICTS_DEFAULTS, replicates: [] }));
    expect(pairCount(runs)).toBe(100);
    // Each replicate: the 17 evaluation sources again (50 pairs), all evaluation, in the plan's order after the first draw.
    const evaluation = runs.filter((r) => r.half === 'evaluation');
    for (const k of [1, 2, 3]) {
      const rep = all.filter((r) => r.replicate === k);
      expect(rep.map((r) => [r.variant, r.source, r.dir, r.student, r.teachers, r.half])).toEqual(
        evaluation.map((r) => [`${r.variant}@r${k}`, `${r.source}@r${k}`, `${r.dir}-r${k}`, r.student, r.teachers, 'evaluation']),
      );
    }
    expect(all.slice(0, runs.length)).toEqual(runs);
    expect(new Set(all.map((r) => r.dir)).size).toBe(all.length);
    expect(new Set(all.map((r) => r.source)).size).toBe(34 + 3 * 17);
    const variants = new Set(runs.map((r) => r.variant.split(':')[0]));
    expect([...variants]).toEqual([
      'digits-textured',
      'digits-noisy-labels',
      'digits-few',
      'digits-weak',
      'digits-weak-pixels',
      'digits-views',
      'digits-degraded',
      'gaussian',
    ]);
    const halves = (half: string) => new Set(runs.filter((r) => r.half === half).map((r) => r.source));
    expect(halves('development').size).toBe(17);
    expect(halves('evaluation').size).toBe(17);
    // The image students: textured from every view, 2,000 digits developing, 1,000 evaluating.
    expect(runs.filter((r) => r.family === 'image').map((r) => [r.variant, r.student, r.teachers.join(','), r.half])).toEqual([
      ['digits-textured:2000', 'textured', 'pixels,blocks,profiles,fourier', 'development'],
      ['digits-textured:1000', 'textured', 'pixels,blocks,profiles,fourier', 'evaluation'],
    ]);
    for (const family of new Set(runs.map((r) => r.family)))
      expect(new Set(runs.filter((r) => r.family === family).map((r) => r.half))).toEqual(new Set(['development', 'evaluation']));
    expect(runs.find((r) => r.student === 'blocks' && r.variant === 'digits-views')?.teachers).toEqual(['pixels', 'profiles', 'fourier']);
    expect(runs.filter((r) => r.variant === 'digits-degraded').flatMap((r) => r.teachers)).toContain('pixels_blur2');
    expect(new Set(runs.map((r) => r.dir)).size).toBe(runs.length);
    expect(resolveVerdictsOptions({ outDir: 'x' }).budget).toMatchObject({ name: 'quick', repeats: 10 });
    const quick = planVerdicts({ ...VERDICTS_DEFAULTS, ...VERDICTS_QUICK });
    expect(pairCount(quick)).toBe(4);
    expect(() => parseGrid('latent:ksg')).toThrow(/latent/);
    expect(parseGrid('output:ksg,latent:latent')).toEqual([
      { representation: 'output', estimator: 'ksg' },
      { representation: 'latent', estimator: 'latent' },
    ]);
  });

  it('draws a replicate on digits no other source has, and Gaussian data with the next seed', async () => {
    const o = {
      ...VERDICTS_DEFAULTS,
      n: 300,
      views: ['blocks', 'profiles'],
      imageRows: [],
      fewRows: [],
      weakPixels: [],
      replicates: [300, 600],
    };
    const first = await variantDataset('digits-views', o);
    const [r1, r2] = await Promise.all([variantDataset('digits-views@r1', o), variantDataset('digits-views@r2', o)]);
    const rowsOf = (ds: typeof first) => {
      const blocks = ds.modalities[0];
      const p = blocks.shape[0];
      return new Set(Array.from({ length: ds.n }, (_, i) => Array.from(blocks.data.subarray(i * p, (i + 1) * p)).join(',')));
    };
    const [a, b, c] = [rowsOf(first), rowsOf(r1), rowsOf(r2)];
    // Identical feature rows are possible for distinct digits (a few), not for the same digits drawn again.
    const shared = (x: Set<string>, y: Set<string>) => [...x].filter((k) => y.has(k)).length;
    expect(shared(a, b)).toBeLessThan(5);
    expect(shared(b, c)).toBeLessThan(5);
    const weak = await variantDataset('digits-weak:1@r1', { ...o, weakNoise: [1], regimeStudents: ['blocks'] });
    expect(weak.modalities.map((m) => m.name)).toEqual(['profiles', 'blocks_noise1']);
    const setting = gaussianSettings(o.gaussianSettings)[0];
    const g = await variantDataset(`gaussian:${setting.id}@r2`, o);
    expect(g.modalities[0].data).toEqual(gaussianDataset(setting, o.gaussianN, o.gaussianP, o.seed + 2).modalities[0].data);
    await expect(variantDataset('digits-views@r3', o)).rejects.toThrow(/unknown replicate/);
    expect(() => checkSources({ ...o, outDir: 'x', replicates: [200] })).toThrow(
      /--replicates must be increasing digits skips, each at least 300/,
    );
    expect(() => checkSources({ ...o, outDir: 'x', replicates: [300, 500] })).toThrow(/--replicates/);
    expect(() => checkSources({ ...o, outDir: 'x', replicates: [9800] })).toThrow(/the last at most 9700/);
  });

  it('builds an image-student source: the textured view beside the teacher views, on the digits count it names', async () => {
    const ds = await variantDataset('digits-textured:300', { ...VERDICTS_DEFAULTS, views: ['blocks', 'profiles'] });
    expect([ds.name, ds.n, ds.modalities.map((m) => m.name)]).toEqual(['digits-textured-300', 300, ['blocks', 'profiles', 'textured']]);
    expect(() => checkSources({ ...VERDICTS_DEFAULTS, outDir: 'x', views: ['pixels', 'textured'] })).toThrow(
      /^verdicts: --image-rows makes textured the student; --views cannot list it$/,
    );
  });

  it('plans the regimes where KD is known to help, each student from the other views, and halves fixed by family', () => {
    const o = {
      ...VERDICTS_DEFAULTS,
      labelNoise: [0.2, 0.4],
      fewRows: [150],
      weakNoise: [1, 2],
      weakPixels: [0.5],
      regimeStudents: ['blocks', 'profiles'],
      replicates: [],
    };
    const runs = planVerdicts(o);
    const regime = runs.filter((r) => ['noisy-labels', 'few', 'weak'].includes(r.family));
    expect(regime.map((r) => [r.variant, r.student, r.half])).toEqual([
      ['digits-noisy-labels:0.2', 'blocks', 'development'],
      ['digits-noisy-labels:0.4', 'profiles', 'evaluation'],
      ['digits-few:150', 'blocks', 'development'],
      ['digits-weak:1', 'blocks_noise1', 'development'],
      ['digits-weak:2', 'profiles_noise2', 'evaluation'],
      ['digits-weak-pixels:0.5', 'pixels_noise0p5', 'development'],
    ]);
    expect(regime[5].teachers).toEqual(o.views);
    expect(regime[0].teachers).toEqual(['pixels', 'profiles', 'fourier']);
    expect(regime[3].teachers).toEqual(['pixels', 'profiles', 'fourier']);
    // Both directions of a Gaussian setting are one source, in one half; sources alternate halves within a family.
    const gaussian = runs.filter((r) => r.family === 'gaussian');
    expect(gaussian[0].source).toBe(gaussian[1].source);
    expect(gaussian.map((r) => r.half)).toEqual(
      gaussianSettings(o.gaussianSettings).flatMap((_, i) => (i % 2 ? ['evaluation', 'evaluation'] : ['development', 'development'])),
    );
    const views = runs.filter((r) => r.family === 'views').map((r) => r.half);
    expect(views).toEqual(['development', 'evaluation', 'development', 'evaluation']);
    // The halves depend on the plan alone: the same sources in the same order give the same halves.
    expect(halvesOf(runs.map(({ half: _h, ...r }) => r))).toEqual(runs);
    expect(() => resolveVerdictsOptions({ outDir: 'x', labelNoise: [0.95] })).toThrow(/--label-noise/);
    expect(() => resolveVerdictsOptions({ outDir: 'x', labelNoise: [0.2], regimeStudents: ['pixels'] })).toThrow(/--regime-students/);
  });

  it('flips exactly a share η of the labels, each to another class, seeded; adds noise in units of each column sd', () => {
    const labels = Int32Array.from({ length: 1000 }, (_, i) => i % 10);
    const noisy = noisyLabels(labels, 10, 0.3, 5);
    expect(noisy.filter((y, i) => y !== labels[i]).length).toBe(300);
    expect(noisy.every((y) => y >= 0 && y < 10)).toBe(true);
    expect(noisyLabels(labels, 10, 0.3, 5)).toEqual(noisy);
    expect(noisyLabels(labels, 10, 0.3, 6)).not.toEqual(noisy);
    // Flipped labels spread over the other classes (symmetric noise): each wrong class gets about 1/9 of the flips.
    const wrong = Array.from(noisy).flatMap((y, i) => (y !== labels[i] ? [(y - labels[i] + 10) % 10] : []));
    for (let shift = 1; shift < 10; shift++) expect(wrong.filter((s) => s === shift).length).toBeGreaterThan(15);
    // Two columns with sds 1 and 100: the added noise has sd r·sd_j per column.
    const n = 4000;
    const data = Float32Array.from({ length: 2 * n }, (_, i) => (i % 2 ? 100 : 1) * (Math.floor(i / 2) % 2 ? 1 : -1));
    const m = noisyTable({ name: 'x', kind: 'table', shape: [2], data, columns: ['a', 'b'] }, 2, 'x_noise2', 1);
    expect(m.name).toBe('x_noise2');
    const noiseSd = (j: number) => {
      const d = Array.from({ length: n }, (_, i) => m.data[2 * i + j] - data[2 * i + j]);
      return Math.sqrt(d.reduce((t, x) => t + x * x, 0) / n);
    };
    expect(noiseSd(0)).toBeGreaterThan(1.9);
    expect(noiseSd(0)).toBeLessThan(2.1);
    expect(noiseSd(1)).toBeGreaterThan(190);
    expect(noiseSd(1)).toBeLessThan(210);
  });

  it('the committed track record is what the scoring code computes from the committed evaluation rows', () => {
    const t = VERDICTS_TRACK_RECORD;
    const revive = (x: unknown) => (x === null ? Number.NaN : x);
    const rows = t.rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, revive(v)])) as unknown as CalibrationRow);
    expect(rows.length).toBe(t.evaluation.pairs);
    expect(JSON.parse(JSON.stringify(calibrate(rows, t.evaluation.bootstrap)))).toEqual(t.evaluation);
    expect(t.rows.every((r) => r.half === 'evaluation' && r.representation === t.representation)).toBe(true);
    expect(new Set(t.rows.map((r) => r.source))).toEqual(new Set(t.halves.evaluation.filter((s) => t.rows.some((r) => r.source === s))));
    expect(t.halves.development.some((s) => t.halves.evaluation.includes(s))).toBe(false);
  });

  it("names each option by commander's camelCase of its flag, so the CLI hands it over", () => {
    for (const o of verdictsExperiment.options) {
      const flag = /^--([a-z-]+)/.exec(o.flags)![1];
      expect(o.key).toBe(flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()));
    }
  });

  it("takes 'none' for every list of sources, as the help says", () => {
    for (const o of verdictsExperiment.options.filter((x) => /none/.test(x.description) && x.parse))
      expect(o.parse!('none'), o.flags).toEqual([]);
    const few = verdictsExperiment.options.find((x) => x.key === 'fewRows')!;
    expect(few.parse!('150,200')).toEqual([150, 200]);
  });

  it('the noisy-labels sources train on flipped labels and test on the true ones', async () => {
    const ds = await variantDataset('digits-noisy-labels:0.4', { ...VERDICTS_DEFAULTS, n: 300, views: ['blocks', 'profiles'] });
    expect(ds.testLabels).toBeDefined();
    const flipped = Array.from(ds.labels).filter((y, i) => y !== ds.testLabels![i]).length;
    expect(flipped).toBe(120);
  });

  it('builds a Gaussian dataset with tercile classes, deterministically', () => {
    const [setting] = gaussianSettings(1);
    const a = gaussianDataset(setting, 300, 4, 0);
    const b = gaussianDataset(setting, 300, 4, 0);
    expect(a.modalities.map((m) => m.name)).toEqual(['x1', 'x2']);
    expect(a.labels).toEqual(b.labels);
    const counts = [0, 1, 2].map((c) => a.labels.filter((y) => y === c).length);
    for (const c of counts) expect(c).toBeGreaterThan(60);
  });

  it('runs tiny Gaussian pairs end to end; the second combination reuses every trained model', async () => {
    const outDir = await mkdtemp(path.join(tmpdir(), 'cmkd-verdicts-'));
    const r = await runVerdicts({ ...VERDICTS_QUICK, views: [], gaussianN: 200, outDir });
    expect(r.pairs).toBe(2);
    expect(r.rows).toHaveLength(2 * 2);
    expect(r.table).toHaveLength(2);
    for (const row of r.rows) expect(row.repeats).toBe(3);
    expect(r.calls.filter((_, i) => i % 2 === 1).every((c) => c.reusedAllModels)).toBe(true);
    const table = await readFile(path.join(outDir, 'table.csv'), 'utf8');
    expect(table.split('\n')[0]).toMatch(/^representation,estimator,pairs,decided,decidedShare/);
    const pairs = await readFile(path.join(outDir, 'pairs.csv'), 'utf8');
    expect(pairs.trim().split('\n')).toHaveLength(1 + 4);
    expect(await readFile(path.join(outDir, 'summary.md'), 'utf8')).toMatch(/# CCH verdict calibration/);
    // One Gaussian setting is one source, in the development half: the choice is made, nothing is left to evaluate.
    expect(r.halves).toEqual({ development: [r.runs[0].source], evaluation: [] });
    expect(r.rows.every((x) => x.half === 'development')).toBe(true);
    expect(r.development.map((s) => s.representation)).toEqual(['output', 'embedding']);
    expect(r.evaluation).toBeNull();
    expect(Object.values(r.gainOutcomes).reduce((a, b) => a + b, 0)).toBe(2);
  }, 120_000);
});
