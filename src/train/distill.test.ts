import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stratifiedSplit } from '../data/index.js';
import { initEngine, tf } from '../engine/index.js';
import { loadModel, saveModel } from '../models/index.js';
import { resolveSettings, scheduleNotes } from '../kd/index.js';
import { CmkdError } from '../util/errors.js';
import { distill, distillDiscom, kindFor, loadTeacher, objectiveSettings } from './distill.js';
import { evaluateModel } from './evaluate.js';
import { prepareModality, trainOnModality } from './pipeline.js';
import { distillTestDataset } from './testdata.js';

let root = '';
beforeAll(async () => {
  await initEngine();
  root = await mkdtemp(path.join(tmpdir(), 'cmkd-distill-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const ds = distillTestDataset(120);
const split = stratifiedSplit(ds, { seed: 2 });
const small = { epochs: 2, batchSize: 16, lr: 0.01, architecture: { hidden: [8] } };

/** Scores a saved model as `cmkd evaluate` does: its saved standardiser, its split's test rows. */
async function evaluateSaved(dir: string) {
  const { model, meta } = await loadModel(dir);
  const s = meta.standardizer!;
  const prepared = prepareModality(ds, meta.modality!, stratifiedSplit(ds, { seed: meta.extra!.splitSeed as number }), {
    modality: meta.modality!,
    per: s.per,
    mean: Float32Array.from(s.mean),
    std: Float32Array.from(s.std),
  });
  const e = await evaluateModel(model, prepared.test.x, prepared.test.y, ds.task);
  model.dispose();
  return { e, meta };
}

describe('distill', () => {
  it('trains a teacher and a KD student, saves both, and the saved student scores the same', async () => {
    const out = path.join(root, 'kd');
    const r = await distill({
      ...small,
      dataset: ds,
      split,
      student: 'weak',
      teacher: { modality: 'strong' },
      method: 'kd',
      settings: { temperature: 2 },
      seed: 1,
      out,
    });
    try {
      expect(r.label).toBe('KDv2');
      expect(r.settings).toMatchObject({ temperature: 2, taskWeight: 0.5, kdWeight: 0.5, lskd: false });
      expect(r.history).toHaveLength(2);
      expect(r.teacher.trained).toBe(true);
      expect(r.teacher.model).toBeNull();
      expect(r.teacher.spec.hidden).toEqual([8]); // the student's architecture
      expect(r.metrics.test?.n).toBe(split.test.length);
      expect(r.teacherMetrics.test?.summary.accuracy).toBeGreaterThan(0.6);
      const saved = await evaluateSaved(out);
      expect(saved.e.summary).toEqual(r.metrics.test?.summary);
      expect(saved.meta.modality).toBe('weak');
      expect(saved.meta.extra).toMatchObject({
        method: 'kd',
        splitSeed: 2,
        teacher: { modality: 'strong', source: 'trained' },
        datasetRows: 120,
      });
      const teacher = await evaluateSaved(path.join(out, 'teacher'));
      expect(teacher.e.summary).toEqual(r.teacherMetrics.test?.summary);
    } finally {
      r.dispose();
    }
  });

  it('MLKD trains on the strong view by default: the teacher runs on it, and the student differs from weak-only MLKD', async () => {
    const base = { ...small, dataset: ds, split, student: 'weak', teacher: { modality: 'strong' }, method: 'mlkd', seed: 1 };
    const both = await distill(base);
    const weak = await distill({ ...base, settings: { strongView: false } });
    const again = await distill(base);
    try {
      expect(both.label).toBe('MLKD');
      expect(weak.label).toBe('MLKD(weak)');
      expect(both.settings).toMatchObject({ strongView: true });
      const losses = (r: typeof both) => r.history.map((h) => h.trainLoss);
      expect(losses(both)).not.toEqual(losses(weak));
      expect(losses(both)).toEqual(losses(again)); // deterministic for a seed
    } finally {
      both.dispose();
      weak.dispose();
      again.dispose();
    }
  });

  it('distils from a saved teacher with its standardiser and refuses one from another split', async () => {
    const dir = path.join(root, 'teacher');
    const t = await trainOnModality(ds, { ...small, modality: 'strong', split, kind: 'mlp', seed: 4 });
    await saveModel(dir, t.model, t.meta);
    t.model.dispose();
    const loaded = await loadTeacher(dir, ds, 2);
    try {
      expect(loaded.modality).toBe('strong');
      expect(loaded.splitSeed).toBe(2);
      const r = await distill({
        ...small,
        dataset: ds,
        split,
        student: 'weak',
        teacher: {
          modality: loaded.modality,
          model: loaded.model,
          standardizer: loaded.standardizer,
          source: dir,
        },
        method: 'dkd',
        lskd: true,
        seed: 1,
      });
      expect(r.teacher.trained).toBe(false);
      expect(r.label).toBe('DKD+LS');
      expect(r.settings).toMatchObject({ lskd: true, warmupEpochs: 20 }); // the reference's 20 epochs, not scaled to this run
      expect(r.meta.extra).toMatchObject({ teacher: { source: dir } });
      r.dispose();
      expect(loaded.model.layers.length).toBeGreaterThan(0); // a given teacher is not disposed
    } finally {
      loaded.model.dispose();
    }
    await expect(loadTeacher(dir, ds, 5)).rejects.toThrow(/split with seed 2, but this run uses split seed 5/);
    await expect(loadTeacher(dir, distillTestDataset(90))).rejects.toThrow(/trained on 120 rows of 'paired'; this dataset has 90/);
    const renamed = {
      ...ds,
      modalities: ds.modalities.map((m) => ({ ...m, name: m.name === 'strong' ? 'other' : m.name })),
    };
    await expect(loadTeacher(dir, renamed)).rejects.toThrow(
      /reads modality 'strong', which dataset 'paired' does not have \(it has: other, weak\)/,
    );
  });

  it('rejects bad methods and options plainly, and allows teacher and student on one modality', async () => {
    const base = { ...small, dataset: ds, split, student: 'weak', teacher: { modality: 'strong' } };
    await expect(distill({ ...base, method: 'fitnet' })).rejects.toThrow(
      /unknown distillation method 'fitnet'; expected one of: kd, dkd, ctkd, mlkd, feature, discom/,
    );
    await expect(distill({ ...base, method: 'discom' })).rejects.toThrow(/use distillDiscom/);
    await expect(distill({ ...base, method: 'feature', lskd: true })).rejects.toThrow(/--lskd .* not 'feature'/);
    await expect(distill({ ...base, method: 'mlkd', settings: { beta: 2 } })).rejects.toThrow(/unknown option 'beta' for KD method 'mlkd'/);
    await expect(distill({ ...base, method: 'kd', teacher: { modality: 'audio' } })).rejects.toBeInstanceOf(CmkdError);
    await expect(distillDiscom({ ...small, dataset: ds, split, modalities: ['weak'] })).rejects.toThrow(/two or more modalities/);
    const self = await distill({ ...base, teacher: { modality: 'weak' }, method: 'feature', epochs: 1 });
    expect(self.settings).toMatchObject({
      mode: 'embedding',
      projection: false,
      studentDim: 8,
      teacherDim: 8,
    });
    self.dispose();
  });

  it('keeps reference schedules in epochs, says when a run stays inside them, and sizes feature projections', () => {
    const ctx = { task: 'classification' as const, studentDim: 8, teacherDim: 16, seed: 3 };
    const dkd = resolveSettings('dkd', objectiveSettings('dkd', {}, ctx));
    expect(dkd).toMatchObject({ warmupEpochs: 20 });
    expect(objectiveSettings('dkd', { warmupEpochs: 7 }, ctx)).toMatchObject({ warmupEpochs: 7 });
    const ctkd = resolveSettings('ctkd', objectiveSettings('ctkd', {}, ctx));
    expect(ctkd).toMatchObject({ lambdaEpochs: 10 });
    // Reference formulas at the last epoch of a 6-epoch run: DKD min(6/20, 1); CTKD (1 − cos(π·6/10))/2.
    expect(scheduleNotes('dkd', dkd, 6)).toEqual([
      'warm-up is 20 epochs (reference) and this run has 6: the run stays in the warm-up, its distillation terms reach 0.30 of full weight',
    ]);
    expect(scheduleNotes('ctkd', ctkd, 6)).toEqual([
      `λ ramp is 10 epochs (reference) and this run has 6: the run stays in the ramp, λ reaches ${((1 - Math.cos((Math.PI * 6) / 10)) / 2).toFixed(2)} of 1`,
    ]);
    expect(scheduleNotes('dkd', dkd, 20)).toEqual([]);
    expect(scheduleNotes('ctkd', ctkd, 30)).toEqual([]);
    expect(scheduleNotes('kd', resolveSettings('kd'), 2)).toEqual([]);
    expect(objectiveSettings('feature', {}, ctx)).toMatchObject({ studentDim: 8, teacherDim: 16, seed: 3 });
    expect(objectiveSettings('feature', { mode: 'output' }, ctx)).not.toHaveProperty('studentDim');
    expect(kindFor({ kind: 'table', shape: [4] }, 'cnn')).toBe('mlp');
    expect(kindFor({ kind: 'image', shape: [6, 6, 1] }, 'resnet')).toBe('resnet');
    expect(kindFor({ kind: 'table', shape: [4] }, 'linear')).toBe('linear');
    expect(kindFor({ kind: 'image', shape: [6, 6, 1] }, 'linear')).toBe('linear');
  });

  it('a linear model trains to high accuracy on linearly separable classes, and distils with FeatKD(emb) through a projection', async () => {
    // Class y shifts column y by 8 sd: the 3 classes are linearly separable (columns 5 sd from the class means in every direction at 120 rows).
    const toy = distillTestDataset(120);
    const strong = toy.modalities[0].data as Float32Array;
    for (let i = 0; i < toy.n; i++) strong[i * 6 + toy.labels[i]] += 5.5;
    const t = await trainOnModality(toy, { epochs: 30, batchSize: 16, lr: 0.01, seed: 0, modality: 'strong', split, kind: 'linear' });
    try {
      expect(t.spec).toMatchObject({ kind: 'linear', hidden: [] });
      expect((await evaluateModel(t.model, t.prepared.test.x, t.prepared.test.y, toy.task)).summary.accuracy).toBe(1);
    } finally {
      t.model.dispose();
    }
    // Student: linear on 'weak' (its embedding: 4 input features); teacher: an MLP on 'strong' (embedding 8).
    const d = await distill({
      ...small,
      dataset: ds,
      split,
      student: 'weak',
      teacher: { modality: 'strong', kind: 'mlp', architecture: { hidden: [8] } },
      method: 'feature',
      kind: 'linear',
      seed: 1,
    });
    try {
      expect(d.spec.kind).toBe('linear');
      expect(d.teacher.spec.kind).toBe('mlp');
      expect(d.settings).toMatchObject({ mode: 'embedding', projection: true, studentDim: 4, teacherDim: 8 });
      expect(d.history).toHaveLength(2);
      expect(Number.isFinite(d.history[1].trainLoss)).toBe(true);
    } finally {
      d.dispose();
    }
  });

  it('regression: the target is standardised on the training rows, so a target far from 0 trains in a short budget', async () => {
    // y = 1000 + 10·(2·x0 − x1) + noise; 'strong' sees x, 'weak' x0 through noise. The no-target-scale
    // MLP started at ŷ ≈ 0 and Adam moves its output bias by about lr a step: far from 1000 in 90 steps.
    const n = 150;
    let seed = 11;
    const rand = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const x = Float32Array.from({ length: n * 4 }, () => rand() * 2 - 1);
    const weak = Float32Array.from({ length: n }, (_, i) => x[i * 4] + (rand() - 0.5));
    const labels = Float32Array.from({ length: n }, (_, i) => 1000 + 10 * (2 * x[i * 4] - x[i * 4 + 1]) + (rand() - 0.5));
    const reg = {
      name: 'far',
      n,
      modalities: [
        { name: 'strong', kind: 'table' as const, shape: [4], data: x },
        { name: 'weak', kind: 'table' as const, shape: [1], data: weak },
      ],
      task: { kind: 'regression' as const, target: 'y' },
      labels,
    };
    const rsplit = stratifiedSplit(reg, { seed: 1 });
    const o = { epochs: 15, batchSize: 16, lr: 1e-3, seed: 0 };
    const t = await trainOnModality(reg, { ...o, modality: 'strong', split: rsplit });
    const r2 = async (model: tf.LayersModel, p: ReturnType<typeof prepareModality>) =>
      (await evaluateModel(model, p.test.x, p.test.y, reg.task)).summary.r2;
    expect(await r2(t.model, t.prepared)).toBeGreaterThan(0.8);
    expect(t.spec.target!.mean).toBeCloseTo(1000, -1);
    // The saved model answers in the target's units.
    const dir = path.join(root, 'far-teacher');
    await saveModel(dir, t.model, t.meta);
    const { model: loaded } = await loadModel(dir);
    expect(await r2(loaded, t.prepared)).toBeCloseTo(await r2(t.model, t.prepared), 6);
    loaded.dispose();
    // The student distilled with the CCH objective (FeatKD(out)) from it learns what 'weak' knows.
    const d = await distill({
      ...o,
      dataset: reg,
      split: rsplit,
      student: 'weak',
      teacher: { modality: 'strong', model: t.model, standardizer: t.prepared.standardizer },
      method: 'feature',
    });
    expect(d.metrics.test!.summary.r2).toBeGreaterThan(0.2);
    d.dispose();
    t.model.dispose();
  });

  it('leaves no tensors behind: teacher, student, objective variables and DisCoM-KD branches released', async () => {
    const before = tf.memory().numTensors;
    const r = await distill({
      ...small,
      dataset: ds,
      split,
      student: 'weak',
      teacher: { modality: 'strong' },
      method: 'feature',
      seed: 0,
    });
    r.dispose();
    const c = await distill({
      ...small,
      dataset: ds,
      split,
      student: 'weak',
      teacher: { modality: 'strong' },
      method: 'ctkd',
      keepTeacher: true,
    });
    expect(c.teacher.model).not.toBeNull();
    c.dispose();
    const m = await distill({ ...small, dataset: ds, split, student: 'weak', teacher: { modality: 'strong' }, method: 'mlkd' });
    expect(m.settings).toMatchObject({ strongView: true });
    m.dispose();
    const d = await distillDiscom({
      ...small,
      dataset: ds,
      split,
      modalities: ['weak', 'strong'],
      out: path.join(root, 'discom'),
    });
    expect(Object.keys(d.students)).toEqual(['weak', 'strong']);
    d.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const saved = await evaluateSaved(path.join(root, 'discom', 'weak'));
    expect(saved.e.summary).toEqual(d.students.weak.metrics.test?.summary);
    expect(saved.meta.extra).toMatchObject({ method: 'discom', partners: ['strong'] });
  });
});
