import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../engine/index.js';
import { CmkdError } from '../util/errors.js';
import {
  formatSweepTable,
  planSweep,
  sweep,
  sweepEntries,
  sweepTable,
  sweepGainDesign,
  sweepGains,
  type SweepCell,
  type SweepCellInputs,
  type SweepOptions,
} from './sweep.js';
import { distillTestDataset } from '../train/testdata.js';
import { stratifiedKFoldSplits } from '../data/index.js';
import { openCandidates } from './decide.js';
import { fromJson } from './cells.js';
import { tinySweepBudget } from './testing.js';

let root = '';
beforeAll(async () => {
  await initEngine();
  root = await mkdtemp(path.join(tmpdir(), 'cmkd-sweep-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const ds = distillTestDataset(90);
const base = (outDir: string): SweepOptions => ({
  dataset: ds,
  student: 'weak',
  teacher: 'strong',
  methods: ['kd', 'dkd+ls', 'feature', 'discom'],
  repeats: 2,
  seed: 5,
  budget: tinySweepBudget(16),
  outDir,
});

describe('sweepEntries', () => {
  it('expands methods, LSKD variants and the temperature / λ grids into rows', () => {
    const e = sweepEntries(['kd', 'dkd+ls', 'ctkd', 'feature'], { temperatures: [2, 4], lambdas: [0.5] });
    expect(e.map((x) => x.id)).toEqual(['kd@T=2,λ=0.5', 'kd@T=4,λ=0.5', 'dkd+ls@T=2', 'dkd+ls@T=4', 'ctkd@λ=0.5', 'feature@λ=0.5']);
    expect(e[0]).toMatchObject({
      method: 'kd',
      lskd: false,
      settings: { temperature: 2, kdWeight: 0.5 },
      label: 'KDv2 (T=2, λ=0.5)',
    }); // CE 0.5 (default) + KD 0.5 is the KDv2 preset
    expect(e[2]).toMatchObject({ method: 'dkd', lskd: true, label: 'DKD+LS (T=2)' });
    expect(sweepEntries(['kd', 'mlkd+ls']).map((x) => x.label)).toEqual(['KDv2', 'MLKD+LS']);
    expect(() => sweepEntries(['kd', 'fitnet'])).toThrow(
      /unknown sweep method 'fitnet'; expected any of: kd, kd\+ls, dkd, .*, feature, discom/,
    );
    expect(() => sweepEntries(['feature+ls'])).toThrow(CmkdError);
    expect(() => sweepEntries(['kd', 'kd'])).toThrow(/listed twice/);
  });

  it('labels feature KD by the mode the task trains it in', () => {
    expect(sweepEntries(['feature']).map((x) => x.label)).toEqual(['FeatKD(emb)']);
    expect(sweepEntries(['feature'], {}, 'regression').map((x) => x.label)).toEqual(['FeatKD(out)']);
    // A row per FeatKD mode: the mode shows in the label, its id keys the row; other methods keep one row.
    const modes = sweepEntries(['kd', 'feature'], { featureModes: ['output', 'embedding'], lambdas: [0.5] });
    expect(modes.map((x) => [x.id, x.label])).toEqual([
      ['kd@λ=0.5', 'KDv2 (λ=0.5)'],
      ['feature@λ=0.5,mode=output', 'FeatKD(out) (λ=0.5)'],
      ['feature@λ=0.5,mode=embedding', 'FeatKD(emb) (λ=0.5)'],
    ]);
    expect(modes[1].settings).toEqual({ kdWeight: 0.5, mode: 'output' });
    expect(() => sweepEntries(['kd'], { featureModes: ['output'] })).toThrow(
      /--feature-modes gives rows of feature KD; --methods has no feature/,
    );
  });

  it('summarises cells as mean ± sd and marks the best student, not the teacher', () => {
    const cell = (row: string, repeat: number, f1: number): SweepCell => ({
      row,
      label: row,
      method: row,
      settings: null,
      repeat,
      splitSeed: repeat,
      test: { f1Weighted: f1, accuracy: f1, f1Macro: f1, auc: f1 },
      val: null,
      bestEpoch: 1,
      seconds: 0,
    });
    const cells = [
      cell('teacher', 0, 0.9),
      cell('teacher', 1, 1),
      cell('student', 0, 0.5),
      cell('student', 1, 0.7),
      cell('kd', 0, 0.6),
      cell('kd', 1, 0.8),
    ];
    const order = [
      { id: 'teacher', label: 'TEACHER', role: 'teacher' as const },
      { id: 'student', label: 'STUDENT', role: 'student' as const },
      { id: 'kd', label: 'KD', role: 'method' as const },
    ];
    const design = { looks: [2], scheme: 'random' as const, folds: 0, nTrain: 70, nTest: 20 };
    const t = sweepTable(cells, order, 'classification', 2, design);
    expect(t.headline).toBe('f1Weighted');
    expect(t.rows[2].metrics.f1Weighted.mean).toBeCloseTo(0.7, 12);
    expect(t.rows[2].metrics.f1Weighted.sd).toBeCloseTo(Math.SQRT2 * 0.1, 12);
    expect(t.rows[2].delta).toBeCloseTo(0.1, 12);
    expect(t.best.f1Weighted).toBe('kd');
    const text = formatSweepTable(t);
    expect(text.header).toEqual(['row', 'f1Weighted', 'accuracy', 'f1Macro', 'auc', 'Δ f1Weighted', 'paired gain, 95% CI', 'outcome', 'n']);
    expect(text.rows[0]).toEqual(['TEACHER', '0.950 ± 0.071', '0.950 ± 0.071', '0.950 ± 0.071', '0.950 ± 0.071', '', '', '', '2']);
    expect(text.rows[2].slice(0, 2)).toEqual(['KD', '0.700 ± 0.141 *']);
    // Paired by repeat: +0.1 in both repeats, so the interval is [0.1, 0.1] and excludes 0.
    expect(t.rows[2].gain?.mean).toBeCloseTo(0.1, 12);
    expect(t.rows[2].gain?.n).toBe(2);
    expect(text.rows[2][6]).toBe('[+0.100, +0.100] !');
    expect(t.rows[1].gain).toBeUndefined();
    expect(t.rows[2].effect).toBe('clear gain');
    // Gains 0.1 and 0.3 over 2 splits: mean 0.2, sd √2·0.1; the independent-splits t half-width t(0.975, 1)·0.1 = 1.2706,
    // widened for overlapping splits by √((1/R + nTest/nTrain)/(1/R)) = √(0.7857/0.5) (Nadeau–Bengio).
    const spread = sweepTable(
      [...cells.filter((c) => c.row !== 'kd'), cell('kd', 0, 0.6), cell('kd', 1, 1.0)],
      order,
      'classification',
      2,
      design,
    );
    expect(spread.rows[2].gain?.ci?.[0]).toBeCloseTo(0.2 - 1.2706204736174706 * Math.sqrt((1 / 2 + 20 / 70) / (1 / 2)), 6);
    expect(formatSweepTable(spread).rows[2].slice(6, 8)).toEqual(['[−1.39, +1.79]', 'undecided at the cap']);
    expect(sweepTable(cells, order, 'classification', 1, design).rows[2].metrics.f1Weighted).toEqual({
      mean: 0.6,
      sd: NaN,
      n: 1,
    });
  });
});

describe('planSweep', () => {
  it('plans per repeat a teacher, a no-KD student and a cell per method, as JSON', () => {
    const plan = planSweep(base(''));
    expect(plan.map((c) => `${c.id}:${c.kind}:${c.dependsOn.join('+')}`)).toEqual(
      [0, 1].flatMap((r) => [
        `r${r}/teacher:train:`,
        `r${r}/student:train:`,
        `r${r}/kd:distill:r${r}/teacher`,
        `r${r}/dkd+ls:distill:r${r}/teacher`,
        `r${r}/feature:distill:r${r}/teacher`,
        `r${r}/discom:distill:`,
      ]),
    );
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
    const dkd = fromJson<SweepCellInputs>(plan[9].inputs);
    expect(dkd).toMatchObject({ row: 'dkd+ls', label: 'DKD+LS', repeat: 1, splitSeed: 6, student: 'weak', teacher: 'strong' });
    expect(dkd).toMatchObject({ methodId: 'dkd+ls', settings: {}, dir: 'models/r1/dkd+ls' });
    expect(plan[9].label).toBe('DKD+LS r2');
    expect(planSweep({ ...base(''), methods: ['kd'], temperatures: [2, 4] }).map((c) => c.id)).toContain('r1/kd@T=4');
    expect(() => planSweep({ ...base(''), student: 'nope' })).toThrow(/nope/);
  });
});

describe('sweep', () => {
  it('writes the papers’ table, and an interrupted sweep resumed gives the same table', async () => {
    const before = tf.memory().numTensors;
    const full = await sweep(base(path.join(root, 'full')));
    expect(tf.memory().numTensors).toBe(before);
    expect(full.table.rows.map((r) => r.label)).toEqual([
      'TEACHER (strong)',
      'STUDENT (weak, no KD)',
      'KDv2',
      'DKD+LS',
      'FeatKD(emb)',
      'DisCoM-KD',
    ]);
    expect(full.table.rows.every((r) => r.metrics.f1Weighted.n === 2)).toBe(true);
    expect(full.trained).toBe(12);
    const teacherF1 = full.table.rows[0].metrics.f1Weighted.mean;
    expect(teacherF1).toBeGreaterThan(full.table.rows[1].metrics.f1Weighted.mean);
    const csv = readFileSync(path.join(root, 'full', 'results.csv'), 'utf8')
      .trim()
      .split('\n');
    expect(csv).toHaveLength(13);
    expect(csv[0]).toBe('row,label,method,repeat,splitSeed,f1Weighted,accuracy,f1Macro,auc,bestEpoch,seconds');
    expect(full.figures.map((f) => path.basename(f)).sort()).toEqual(['methods.png', 'methods.svg']);
    const svg = readFileSync(path.join(root, 'full', 'methods.svg'), 'utf8');
    for (const label of ['KDv2', 'DKD+LS', 'FeatKD(emb)', 'DisCoM-KD', 'student without KD']) expect(svg).toContain(label);
    for (const f of [
      'table.csv',
      'models/r0/teacher/model.json',
      'models/r1/student/model.json',
      'models/r1/dkd+ls/model.json',
      'models/r0/discom/weak/model.json',
    ]) {
      expect(existsSync(path.join(root, 'full', f))).toBe(true);
    }

    // Interrupt after five cells (in repeat 0: teacher, student, KD, DKD+LS, feature), then resume.
    const dir = path.join(root, 'resumed');
    const controller = new AbortController();
    const interrupted = sweep({
      ...base(dir),
      signal: controller.signal,
      onProgress: (ev) => {
        if (ev.task === 'sweep' && ev.done === 5) controller.abort();
      },
    });
    await expect(interrupted).rejects.toMatchObject({ name: 'AbortError' });
    expect(tf.memory().numTensors).toBe(before);
    const partial = JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8'));
    expect(partial.cells).toHaveLength(5);
    await expect(sweep(base(dir))).rejects.toThrow(/already holds a sweep .* --resume/);
    await expect(sweep({ ...base(dir), resume: true, seed: 6 })).rejects.toThrow(/run with different seed/);
    const resumed = await sweep({ ...base(dir), resume: true });
    expect(resumed.reused).toBe(5);
    expect(resumed.trained).toBe(7);
    expect(resumed.table).toEqual(full.table);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reads finished cells back from their stage files, and refuses stage files of other settings', async () => {
    const dir = path.join(root, 'stages');
    const small = { ...base(dir), methods: ['kd'], repeats: 1 };
    expect((await sweep(small)).trained).toBe(3);
    rmSync(path.join(dir, 'results.json'));
    await expect(sweep({ ...small, resume: true, seed: 6 })).rejects.toThrow(
      /r0_teacher\.json was written by a run with different settings/,
    );
    const again = await sweep({ ...small, resume: true });
    expect([again.trained, again.reused]).toEqual([0, 3]);
  });

  it('refuses discom between a modality and itself, and logit methods on regression, before training', async () => {
    const dir = path.join(root, 'bad');
    await expect(sweep({ ...base(dir), teacher: 'weak' })).rejects.toThrow(/discom needs two different modalities/);
    const reg = {
      ...ds,
      task: { kind: 'regression' as const, target: 'y' },
      labels: Float32Array.from(ds.labels),
    };
    await expect(sweep({ ...base(dir), dataset: reg, methods: ['kd'] })).rejects.toThrow(/needs a classification task/);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('sequential sweep', () => {
  it('adds a split only for the methods still open at the first look, and says the deploy decision', async () => {
    const dir = path.join(root, 'auto');
    const looks = [2, 3];
    // δ = 1.5 (F1 units): absurd for a real sweep, here it closes the row whose 2-split interval is the narrowest
    // (FeatKD: upper end 1.09 < δ) and leaves the others open, so both branches are exercised.
    const delta = 1.5;
    const r = await sweep({
      ...base(dir),
      methods: ['kd', 'feature', 'discom'],
      repeats: 'auto',
      budget: tinySweepBudget(16, looks),
      delta,
    });
    // Which rows were open at the first look, recomputed from the first look's records.
    // 90 rows: stratified 5-fold splits, as cmkd run splits data this small.
    const split = stratifiedKFoldSplits(ds, 1, 5, 5)[0];
    const first = r.cells.filter((c) => c.repeat < 2);
    const design = { looks, scheme: 'kfold' as const, folds: 5, nTrain: split.train.length, nTest: split.test.length, delta };
    const d = sweepGainDesign(first, 'classification', design);
    const methods = r.table.rows.filter((row) => row.role === 'method');
    const open = openCandidates(
      methods.map((row) => ({ id: row.label, gains: sweepGains(first, row.id, 'classification') })),
      d,
    ).open;
    expect(open.length).toBeGreaterThan(0);
    expect(open.length).toBeLessThan(methods.length);
    for (const row of methods) expect(row.metrics.f1Weighted.n).toBe(open.includes(row.label) ? 3 : 2);
    expect(r.table.rows[1].metrics.f1Weighted.n).toBe(open.length ? 3 : 2);
    expect(r.trained).toBe(2 * 5 + (open.length ? 2 + open.length : 0));
    expect(r.decision).toMatchObject({ looks, splitsUsed: open.length ? 3 : 2 });
    for (const row of methods) expect(['clear gain', 'clear loss', 'no practical effect', 'undecided at the cap']).toContain(row.effect);
    expect(r.decision.sentence).toMatch(/Deploy|deploy/);
    expect(JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')).decision).toEqual(r.decision);
    // A fixed count trains every row on every split, as before.
    expect(planSweep({ ...base(''), repeats: 3 }).filter((c) => c.id.startsWith('r2/'))).toHaveLength(6);
  });
});
