import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, planSplits, type MultimodalDataset } from '../data/index.js';
import { initEngine, tf } from '../engine/index.js';
import { loadModel } from '../models/index.js';
import { parse } from 'csv-parse/sync';
import { analyseTeachers, runMainJob, type RunResult } from './index.js';
import { BUDGET_PRESETS, TABLE_FIT } from './budget.js';
import { summaryAgainstTables, tinyBudget } from './testing.js';

const tiny = tinyBudget(['kd', 'dkd+ls', 'feature']);

let ds: MultimodalDataset;
beforeAll(async () => {
  await initEngine();
  ds = await loadDataset('digits?n=300&modalities=profiles,blocks,fourier&cache=false');
});

/**
 * Every column of methods.csv, teachers.csv and predictions.csv read back: a cell is empty only where
 * the result has no such value (a teacher's gain, an interval from fewer than 2 repeats, an undecided
 * agreement), and the numbers are the result's.
 */
async function expectCompleteCsvs(outDir: string, r: RunResult): Promise<void> {
  const read = async (f: string) => parse(await readFile(path.join(outDir, f), 'utf8'), { columns: true }) as Record<string, string>[];
  const num = (s: string) => (s === '' ? null : Number(s));
  const teachers = await read('teachers.csv');
  expect(teachers).toHaveLength(r.outcomes.length);
  teachers.forEach((row, i) => {
    const o = r.outcomes[i];
    const score = r.cch.teachers.find((t) => t.teacher === o.teacher)!;
    const may = new Set<string>();
    if (!o.marginCi) may.add('margin_lo').add('margin_hi');
    if (!o.gainCi) may.add('gain_lo').add('gain_hi');
    if (o.agrees === null) may.add('agrees');
    if (!o.effect) may.add('effect');
    if (!score.miTeacherStudent.ci) may.add('mi_teacher_student_lo').add('mi_teacher_student_hi');
    if (!r.cch.miStudentLabel.ci) may.add('mi_student_label_lo').add('mi_student_label_hi');
    for (const k of ['mi_teacher_label', 'shared_fraction'] as const) {
      const e = score.mfh?.[k === 'mi_teacher_label' ? 'miTeacherLabel' : 'sharedFraction'];
      if (!e) may.add(k);
      if (!e?.ci) may.add(`${k}_lo`).add(`${k}_hi`);
    }
    for (const [col, v] of Object.entries(row)) if (!may.has(col)) expect(v, `teachers.csv row ${i + 1}, column ${col}`).not.toBe('');
    expect(row.teacher).toBe(o.teacher);
    expect(num(row.margin)).toBeCloseTo(o.margin, 12);
    expect(num(row.margin_lo)).toBe(o.marginCi?.[0] ?? null);
    expect(num(row.gain_mean)).toBe(o.gain.mean);
    expect(num(row.gain_lo)).toBe(o.gainCi?.[0] ?? null);
    expect(num(row.gain_hi)).toBe(o.gainCi?.[1] ?? null);
  });
  const methods = await read('methods.csv');
  expect(methods).toHaveLength(r.table.length);
  methods.forEach((row, i) => {
    const m = r.table[i];
    const may = new Set<string>();
    if (m.role !== 'distilled') may.add('teacher').add('method').add('gain_mean').add('gain_sd').add('effect');
    if (!m.gainCi) may.add('gain_lo').add('gain_hi');
    for (const [col, v] of Object.entries(row))
      if (!may.has(col)) expect(v, `methods.csv row ${i + 1} (${m.label}), column ${col}`).not.toBe('');
    expect(num(row.gain_mean)).toBe(m.gain?.mean ?? null);
    expect(num(row.test_f1Weighted_mean)).toBe(m.test.f1Weighted.mean);
    expect(row.deployed).toBe(String(m.label === r.best.label));
  });
  // The deployed student on the first split's test rows: one row each, every class's probability, summing to 1.
  const predictions = await read('predictions.csv');
  const classes = r.dataset.summary.task.kind === 'classification' ? r.dataset.summary.task.classes : [];
  expect(Object.keys(predictions[0])).toEqual(['id', 'label', 'predicted', ...classes.map((c) => `p_${c}`)]);
  const firstTest = planSplits(ds, 2, 0).splits[0].test;
  expect(predictions.map((p) => Number(p.id))).toEqual(Array.from(firstTest));
  for (const p of predictions) {
    for (const v of Object.values(p)) expect(v).not.toBe('');
    expect(classes[ds.labels[Number(p.id)]]).toBe(p.label);
    const probs = classes.map((c) => Number(p[`p_${c}`]));
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(p.predicted).toBe(classes[probs.indexOf(Math.max(...probs))]);
  }
  // The predictions are the deployed model's: their accuracy is the accuracy its model card records.
  const acc = predictions.filter((p) => p.label === p.predicted).length / predictions.length;
  const card = JSON.parse(await readFile(path.join(outDir, 'best-student', 'model-card.json'), 'utf8')) as {
    testMetricsThisModel: { accuracy: number };
  };
  expect(acc).toBeCloseTo(card.testMetricsThisModel.accuracy, 10);
}

const tables = (r: RunResult) => JSON.stringify({ table: r.table, outcomes: r.outcomes, cch: r.cch, best: r.best });

describe('cmkd run (main job)', () => {
  it('trains, ranks teachers, distills, and writes results and the best student', async () => {
    const outDir = await mkdtemp(path.join(tmpdir(), 'cmkd-run-'));
    const before = tf.memory().numTensors;
    const r = await runMainJob({ dataset: ds, student: 'profiles', budget: tiny, outDir });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.teachers).toEqual(['blocks', 'fourier', 'fusion']);
    expect(r.cch.ranking).toHaveLength(3);
    // TEACHER ×3, STUDENT, KD from each teacher, and the two other methods from the recommended one.
    expect(r.table.filter((row) => row.role === 'teacher')).toHaveLength(3);
    expect(r.table.filter((row) => row.role === 'distilled')).toHaveLength(3 + 2);
    for (const row of r.table) expect(row.test.f1Weighted.n).toBe(2);
    expect(r.outcomes.map((o) => o.teacher).sort()).toEqual(['blocks', 'fourier', 'fusion']);
    expect(r.verdict).toMatch(/Deploy/);
    expect(summaryAgainstTables(r)).toEqual([]);
    // Fixed epochs (the budget's `epochs`); 300 rows: 10-fold splits (236 training rows), 34 + 30 held-out rows, too few for
    // the MI estimate; validation, stratified, has at least 3 rows of each class.
    expect(r.schedule).toMatchObject({ epochs: 2, patience: 2, minEpochs: 2, stepsPerEpoch: 8 });
    expect([r.splits, r.folds]).toEqual(['kfold', 10]);
    expect(r.warnings).toEqual([expect.stringMatching(/on the 64 held-out rows \(34 validation \+ 30 test\)/)]);
    const { model, meta } = await loadModel(path.join(outDir, 'best-student'));
    expect(meta.modality).toBe('profiles');
    expect((meta.extra as { modelCard: { label: string } }).modelCard.label).toBe(r.best.label);
    model.dispose();
    const csv = await readFile(path.join(outDir, 'methods.csv'), 'utf8');
    await expectCompleteCsvs(outDir, r);
    expect(csv.split('\n')[0]).toMatch(/^label,role,modality,teacher,method,test_accuracy_mean/);
    await stat(path.join(outDir, 'best-student', 'MODEL_CARD.md'));
    // The student page's sample inputs show every class.
    const page = await readFile(path.join(outDir, 'student', 'index.html'), 'utf8');
    const config = JSON.parse(/<script type="application\/json" id="cmkd-config">(.*?)<\/script>/s.exec(page)![1]) as {
      samples: { label: number }[];
    };
    expect(new Set(config.samples.map((x) => x.label)).size).toBe(10);
    // settings.json names the estimate that ran: plug-in on predicted classes, whatever the fallback estimator.
    const settings = JSON.parse(await readFile(path.join(outDir, 'settings.json'), 'utf8'));
    expect(settings.analysis).toMatchObject({ representation: 'predicted', estimator: 'ksg', ran: 'plug-in' });
    const report = JSON.parse(await readFile(path.join(outDir, 'report.json'), 'utf8'));
    expect(report.summary[1]).toMatchObject({ kind: 'verdict', tone: 'warning', text: r.warnings.join(' ') });
    // The nearest-centroid baseline of the student's and each teacher's table modality, beside the run's own model on the same splits.
    const baselines = r.baselines!;
    expect(baselines.map((b) => `${b.role} ${b.modality}`)).toEqual([
      'student profiles',
      'teacher blocks',
      'teacher fourier',
      'teacher fusion',
    ]);
    for (const b of baselines) {
      const own = r.table.find((row) => row.role === b.role && row.modality === b.modality)!.test.f1Weighted;
      expect(b.model).toMatchObject({ mean: own.mean, n: 2 });
      expect(b.test.n).toBe(2);
      // Far above chance (0.1 for ten classes).
      expect(b.test.mean).toBeGreaterThan(0.3);
    }
    expect(JSON.parse(await readFile(path.join(outDir, 'results.json'), 'utf8')).baselines).toEqual(baselines);
    expect(JSON.stringify(report)).toMatch(/not a deployable student: the nearest-centroid rule/);
  });

  it('an interrupted run resumed gives the same final tables as an uninterrupted one', async () => {
    const budget = { ...tiny, methods: ['kd'] };
    const whole = await runMainJob({
      dataset: ds,
      student: 'profiles',
      teachers: ['blocks'],
      budget,
      outDir: await mkdtemp(path.join(tmpdir(), 'cmkd-run-a-')),
    });
    const outDir = await mkdtemp(path.join(tmpdir(), 'cmkd-run-b-'));
    const controller = new AbortController();
    let finished = 0;
    await expect(
      runMainJob({
        dataset: ds,
        student: 'profiles',
        teachers: ['blocks'],
        budget,
        outDir,
        signal: controller.signal,
        onProgress: (ev) => {
          if (ev.task === 'cmkd run' && ev.done > finished) {
            finished = ev.done;
            if (finished === 3) controller.abort();
          }
        },
      }),
    ).rejects.toThrow(/interrupted/);
    const resumed = await runMainJob({ dataset: ds, student: 'profiles', teachers: ['blocks'], budget, outDir, resume: true });
    expect(resumed.reusedStages.length).toBeGreaterThanOrEqual(3);
    expect(tables(resumed)).toBe(tables(whole));

    // Killed during the export (every stage finished; writes are atomic, so some export files are whole and the rest
    // absent): --resume trains nothing and writes the export again.
    const exported = ['report.html', 'report.json', 'results.json', 'best-student', 'student'];
    for (const f of exported) await stat(path.join(outDir, f));
    const report = await readFile(path.join(outDir, 'report.html'), 'utf8');
    for (const f of ['report.html', 'best-student', 'student']) await rm(path.join(outDir, f), { recursive: true });
    const again = await runMainJob({ dataset: ds, student: 'profiles', teachers: ['blocks'], budget, outDir, resume: true });
    expect(again.reusedStages.length).toBeGreaterThan(resumed.reusedStages.length);
    expect(again.reusedStages).toEqual(expect.arrayContaining(resumed.reusedStages));
    expect(tables(again)).toBe(tables(whole));
    for (const f of exported) await stat(path.join(outDir, f));
    // The same report but for the run's start time and wall time.
    const clockless = (html: string) => html.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '').replace(/(wall time \(s\)<\/th><td>)[^<]*/g, '$1');
    expect(clockless(await readFile(path.join(outDir, 'report.html'), 'utf8'))).toBe(clockless(report));
  });

  it("cmkd cch is the run's analysis: same numbers on the same data and seed; another representation reuses the models", async () => {
    const budget = { ...tiny, methods: ['kd'] };
    const o = { dataset: ds, student: 'profiles', teachers: ['blocks', 'fourier'], fusion: false, budget };
    const run = await runMainJob({ ...o, outDir: await mkdtemp(path.join(tmpdir(), 'cmkd-run-c-')) });
    const outDir = await mkdtemp(path.join(tmpdir(), 'cmkd-cch-'));
    const alone = await analyseTeachers({ ...o, outDir });
    const {
      dataset: _d,
      task: _t,
      representation: _r,
      budget: _b,
      rows: _rows,
      models: _m,
      warnings: _w,
      reusedStages: _u,
      seconds: _s,
      ...cch
    } = alone;
    expect(cch).toEqual(run.cch);
    expect(run.cch.repeats).toBe(2);
    expect(run.analysis).toMatchObject({ representation: 'predicted', bootstrap: 4 });
    expect(run.cch.settings.method).toBe('plug-in (discrete)');
    // The outputs of the same models: only the analysis cells are computed again.
    const outputs = await analyseTeachers({ ...o, outDir, resume: true, representation: 'output' });
    expect(outputs.reusedStages.sort()).toEqual(
      ['r0-student', 'r0-teacher-blocks', 'r0-teacher-fourier', 'r1-student', 'r1-teacher-blocks', 'r1-teacher-fourier'].sort(),
    );
    expect(outputs.representations[0].d).toBe(10);
    // Naming an estimator of continuous data measures the embedding.
    const embedding = await analyseTeachers({ ...o, outDir, resume: true, estimator: 'gaussian' });
    expect(embedding.representation).toBe('embedding');
    expect(embedding.representations.map((r) => r.d)).toEqual([16, 16, 16]);
    expect(embedding.settings.interval).toMatch(/2 repeats/);
  });

  it('grows: 2 → 3 splits trains only split 3, a new method only its cells, and the tables are those of a fresh run', async () => {
    const o = { dataset: ds, student: 'profiles', teachers: ['blocks'], budget: { ...tiny, methods: ['kd'] } };
    const fresh = await runMainJob({
      ...o,
      repeats: 3,
      methods: ['kd', 'dkd+ls'],
      outDir: await mkdtemp(path.join(tmpdir(), 'cmkd-grow-a-')),
    });
    const outDir = await mkdtemp(path.join(tmpdir(), 'cmkd-grow-b-'));
    const two = await runMainJob({ ...o, repeats: 2, outDir });
    const trained = (r: RunResult) =>
      r.records.map((x) => `r${x.repeat}-${path.basename(x.modelDir)}`).filter((id) => !r.reusedStages.includes(id));
    expect(trained(two).sort()).toEqual([
      'r0-kd-from-blocks',
      'r0-student',
      'r0-teacher-blocks',
      'r1-kd-from-blocks',
      'r1-student',
      'r1-teacher-blocks',
    ]);
    const three = await runMainJob({ ...o, repeats: 3, resume: true, outDir });
    expect(trained(three).sort()).toEqual(['r2-kd-from-blocks', 'r2-student', 'r2-teacher-blocks']);
    const more = await runMainJob({ ...o, repeats: 3, methods: ['kd', 'dkd+ls'], resume: true, outDir });
    expect(trained(more).sort()).toEqual(['r0-dkd+ls-from-blocks', 'r1-dkd+ls-from-blocks', 'r2-dkd+ls-from-blocks']);
    expect(tables(more)).toBe(tables(fresh));
  });

  it('small tables: every model logistic regression fitted to convergence, without FeatKD(emb); --model mlp keeps the MLP', async () => {
    const small = await loadDataset('digits?n=120&modalities=profiles,blocks&cache=false');
    const budget = { ...BUDGET_PRESETS.quick, repeats: 2, looks: [2], bootstrap: 4, methods: ['kd', 'feature'] };
    const o = { dataset: small, student: 'profiles', teachers: ['blocks'], budget };
    const outDir = await mkdtemp(path.join(tmpdir(), 'cmkd-fit-'));
    const fitted = await runMainJob({ ...o, outDir });
    expect(fitted.budget).toMatchObject({ model: 'linear', table: { dropout: 0 }, fit: TABLE_FIT });
    expect(fitted.schedule).toEqual({ epochs: 300, patience: 0, minEpochs: 0, stepsPerEpoch: 1, steps: 300 });
    // Every model ran its 300 steps and kept the last: no early stopping on the few validation rows.
    for (const x of fitted.records) expect([x.bestEpoch, x.history.length]).toEqual([300, 300]);
    expect(fitted.table.filter((row) => row.role === 'distilled').map((row) => row.label)).toEqual(['KDv2 ← blocks']);
    expect(fitted.notes).toContainEqual(expect.stringMatching(/^every model is logistic regression fitted to convergence/));
    expect(fitted.warnings.join(' ')).not.toMatch(/early stopping/);
    // The summary says what the fitted run's tables say.
    expect(summaryAgainstTables(fitted)).toEqual([]);
    const { model } = await loadModel(path.join(outDir, 'best-student'));
    expect(model.layers.filter((l) => l.getClassName() === 'Dense')).toHaveLength(1);
    model.dispose();
    const mlp = await runMainJob({ ...o, model: 'mlp', outDir: await mkdtemp(path.join(tmpdir(), 'cmkd-fit-mlp-')) });
    expect(mlp.budget.fit).toBeUndefined();
    expect(mlp.table.filter((row) => row.role === 'distilled').map((row) => row.label)).toEqual(['KDv2 ← blocks', 'FeatKD(emb) ← blocks']);
  });

  it('rejects a teacher equal to the student and unknown methods, naming them', async () => {
    const outDir = await mkdtemp(path.join(tmpdir(), 'cmkd-run-c-'));
    await expect(runMainJob({ dataset: ds, student: 'profiles', teachers: ['profiles'], budget: tiny, outDir })).rejects.toThrow(
      /student modality 'profiles'/,
    );
    await expect(runMainJob({ dataset: ds, student: 'profiles', methods: ['kdd'], budget: tiny, outDir })).rejects.toThrow(
      /unknown method 'kdd'.*kd, kd\+ls/,
    );
    await expect(runMainJob({ dataset: ds, student: 'audio', budget: tiny, outDir })).rejects.toThrow(/no modality 'audio'/);
    const few = await loadDataset('digits?n=40&modalities=profiles,blocks&cache=false');
    await expect(runMainJob({ dataset: few, student: 'profiles', budget: tiny, outDir })).rejects.toThrow(
      /^dataset '.*' has 40 rows; cmkd run needs at least 50 .*\(--allow-small to run anyway\)$/,
    );
    await expect(runMainJob({ dataset: ds, student: 'profiles', budget: tiny, repeats: 0, outDir })).rejects.toThrow(/^--repeats must be/);
  });

  it('regression: FeatKD(out) from every teacher, the MSE gain decided, a deploy decision, the regression baselines', async () => {
    // y = 10 + 3·(b0 + b1) + b2 + noise: 'b' knows it, the student 'a' sees b0 through noise (a1 is noise); target not standardised.
    const n = 200;
    let seed = 7;
    const rand = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const b = Float32Array.from({ length: n * 3 }, () => rand() * 2 - 1);
    const a = new Float32Array(n * 2);
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      a[i * 2] = b[i * 3] + (rand() - 0.5);
      a[i * 2 + 1] = rand();
      y[i] = 10 + 3 * (b[i * 3] + b[i * 3 + 1]) + b[i * 3 + 2] + (rand() - 0.5) * 0.2;
    }
    const reg: MultimodalDataset = {
      name: 'reg',
      n,
      modalities: [
        { name: 'a', kind: 'table', shape: [2], data: a },
        { name: 'b', kind: 'table', shape: [3], data: b },
      ],
      task: { kind: 'regression', target: 'y' },
      labels: y,
    };
    const outDir = await mkdtemp(path.join(tmpdir(), 'cmkd-run-r-'));
    // The budget's methods that take regression: of kd, dkd+ls and feature, only feature.
    const r = await runMainJob({ dataset: reg, student: 'a', budget: tiny, repeats: 2, outDir });
    expect(r.headline).toEqual({ metric: 'mse', higherIsBetter: false });
    expect(r.methods).toEqual(['feature']);
    expect(r.analysis).toMatchObject({ representation: 'embedding', estimator: 'ksg' });
    expect(r.table.map((row) => row.label)).toEqual(['STUDENT (a, no KD)', 'TEACHER (b)', 'FeatKD(out) ← b']);
    expect(Object.keys(r.table[0].test)).toEqual(['mse', 'rmse', 'mae', 'r2']);
    const distilled = r.table[2];
    expect(distilled.methodId).toBe('feature');
    expect(distilled.test.mse.n).toBe(2);
    // The gain is the MSE decrease (s = −1), paired by split: student − distilled.
    const mse = (role: string) =>
      r.records
        .filter((x) => x.role === role)
        .sort((x, y) => x.repeat - y.repeat)
        .map((x) => x.test.mse);
    const gains = mse('student').map((m, i) => m - mse('distilled')[i]);
    expect(distilled.gain!.mean).toBeCloseTo((gains[0] + gains[1]) / 2, 10);
    expect(['clear gain', 'clear loss', 'no practical effect', 'undecided', 'undecided at the cap']).toContain(distilled.effect);
    expect(r.outcomes).toHaveLength(1);
    expect(r.outcomes[0]).toMatchObject({ teacher: 'b', effect: distilled.effect });
    // δ for MSE: src/metrics/gains.ts PRACTICAL_MARGINS, relative to the no-KD student's mean MSE.
    expect(r.decision.delta).toBeGreaterThan(0);
    expect(r.decision.sentence).toMatch(/^Deploy /);
    expect([r.table[0].label, r.table[2].label]).toContain(r.best.label);
    expect(r.verdict).toMatch(/Measured FeatKD\(out\) \(paired MSE gain, /);
    expect(r.verdict).not.toMatch(/plain KD/);
    expect(summaryAgainstTables(r)).toEqual([]);
    expect(r.baselines!.map((x) => [x.baseline, x.role, x.modality, x.metric])).toEqual([
      ['least squares', 'student', 'a', 'mse'],
      ['least squares', 'teacher', 'b', 'mse'],
    ]);
    const report = await readFile(path.join(outDir, 'report.html'), 'utf8');
    expect(report).toContain('FeatKD(out) distills from every teacher');
    expect(report).not.toMatch(/plain KD|plain-KD/i);
    await stat(path.join(outDir, 'best-student'));
  });

  it('refuses a classification-only method on regression data in one line, naming the method and the task', async () => {
    const outDir = await mkdtemp(path.join(tmpdir(), 'cmkd-run-r-'));
    // The digits' class number as a regression target.
    const reg: typeof ds = { ...ds, task: { kind: 'regression', target: 'digit' }, labels: Float32Array.from(ds.labels) };
    for (const m of ['kd', 'dkd+ls', 'discom']) {
      const progress: string[] = [];
      const run = runMainJob({
        dataset: reg,
        student: 'profiles',
        methods: ['feature', m],
        budget: tiny,
        outDir,
        onProgress: (e) => progress.push(JSON.stringify(e)),
      });
      await expect(run).rejects.toThrow(
        new RegExp(
          `^--methods: method '${m.replace('+', '\\+')}' needs a classification task; dataset '.*' is regression \\(methods for regression: feature\\)$`,
        ),
      );
      expect(progress.filter((e) => /student|teacher/.test(e))).toEqual([]);
    }
  });
});
