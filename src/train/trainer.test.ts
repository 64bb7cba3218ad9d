import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../engine/index.js';
import type { DistillObjective } from '../kd/types.js';
import { buildModel, loadModel, makeSpec, type ModelSpec } from '../models/index.js';
import { makeRng } from '../util/rng.js';
import { evaluateModel, predictOutputs, trainModel, type TrainData, type TrainOptions } from './index.js';
import { taskLoss } from '../kd/losses.js';
import { createObjective } from '../kd/registry.js';

let dir: string;
beforeAll(async () => {
  await initEngine();
  dir = await mkdtemp(path.join(tmpdir(), 'cmkd-trainer-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Three Gaussian blobs in d dimensions (class c centred at 3·e_c), seeded. */
function blobs(n: number, d: number, seed: number): TrainData {
  const rng = makeRng(seed);
  const x = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 3;
    for (let k = 0; k < d; k++) x[i * d + k] = rng.normal() + (k === y[i] ? 3 : 0);
  }
  return { x, y, n };
}

const mlp = (hidden = [8], dropout = 0): ModelSpec => makeSpec('mlp', [4], 3, 'classification', { hidden, dropout });
const weightsOf = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
const noProgress = (r: { history: { seconds: number }[] }) => r.history.map((h) => ({ ...h, seconds: 0 }));

describe('trainModel', () => {
  it('a tiny MLP learns separable blobs, deterministically for a seed', async () => {
    const train = blobs(120, 4, 1);
    const val = blobs(60, 4, 2);
    const run = async () => {
      const model = buildModel(mlp([8], 0.1), 3);
      const r = await trainModel({ model, train, val, task: 'classification', epochs: 8, batchSize: 16, lr: 0.02, seed: 5 });
      return { r, w: weightsOf(model), model };
    };
    const a = await run();
    const b = await run();
    expect(a.r.history).toHaveLength(8);
    const best = a.r.history[a.r.bestEpoch - 1];
    expect(best.valMetric).toBeGreaterThan(0.9); // chance is 1/3
    // The metrics module, on the restored best weights, agrees with the loop's on-device accuracy.
    const evaluation = await evaluateModel(a.model, val.x, val.y, { kind: 'classification', classes: ['a', 'b', 'c'] });
    expect(evaluation.summary.accuracy).toBeCloseTo(best.valMetric as number, 6);
    expect(evaluation.n).toBe(60);
    expect(a.r.history[7].trainLoss).toBeLessThan(a.r.history[0].trainLoss);
    expect(a.w).toEqual(b.w);
    expect(noProgress(a.r)).toEqual(noProgress(b.r));
    a.model.dispose();
    b.model.dispose();
  });

  it('a different training seed gives different weights', async () => {
    const train = blobs(48, 4, 1);
    const w = async (seed: number) => {
      const model = buildModel(mlp(), 3);
      await trainModel({ model, train, task: 'classification', epochs: 2, batchSize: 16, seed });
      const out = weightsOf(model);
      model.dispose();
      return out;
    };
    expect(await w(1)).not.toEqual(await w(2));
  });

  it('learns a linear regression target', async () => {
    const rng = makeRng(3);
    const n = 96;
    const x = new Float32Array(n * 4);
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < 4; k++) x[i * 4 + k] = rng.normal();
      y[i] = 2 * x[i * 4] - x[i * 4 + 1];
    }
    const model = buildModel(makeSpec('mlp', [4], 1, 'regression', { hidden: [16], dropout: 0 }), 1);
    const r = await trainModel({ model, train: { x, y, n }, val: { x, y, n }, task: 'regression', epochs: 15, batchSize: 16, lr: 0.02 });
    expect(r.metricName).toBe('mse');
    // Var(y) = 5; the fit explains most of it.
    expect(r.history[r.bestEpoch - 1].valMetric).toBeLessThan(0.5);
    model.dispose();
  });

  it('does not leak tensors, and the check catches a per-batch leak', async () => {
    const train = blobs(40, 4, 1);
    const val = blobs(20, 4, 2);
    const model = buildModel(mlp([8], 0.2), 1);
    const base: TrainOptions = { model, train, val, task: 'classification', epochs: 3, batchSize: 8, optimizer: 'adam' };
    const before = tf.memory().numTensors;
    await trainModel(base);
    expect(tf.memory().numTensors).toBe(before);
    await trainModel({ ...base, optimizer: 'sgd', schedule: 'cosine', checkpointDir: path.join(dir, 'leak') });
    expect(tf.memory().numTensors).toBe(before);

    // A loss that keeps one tensor per batch: 3 epochs × 5 batches must show up as 15 extra tensors.
    const leaky: DistillObjective = {
      name: 'leaky',
      settings: {},
      variables: [],
      loss: (b) => {
        tf.keep(tf.scalar(1));
        return taskLoss('classification', b.studentLogits, b.labels);
      },
      dispose: () => undefined,
    };
    const teacher = { logits: new Float32Array(40 * 3), embedding: new Float32Array(40 * 2) };
    const mid = tf.memory().numTensors;
    await trainModel({ ...base, distill: { objective: leaky, teacher } });
    expect(tf.memory().numTensors - mid).toBe(15);
    model.dispose();
  });

  it('optimises a KD objective together with its own variables and sees the teacher rows of each batch', async () => {
    const train = blobs(30, 4, 1);
    const teacher = { logits: new Float32Array(30 * 3), embedding: new Float32Array(30 * 2) };
    // Teacher logits encode the row's own label, so the objective can check the gather alignment.
    for (let i = 0; i < 30; i++) {
      teacher.logits[i * 3 + train.y[i]] = 1;
      teacher.embedding[i * 2] = i;
    }
    const scale = tf.variable(tf.scalar(1), true);
    let misaligned = 0;
    const objective: DistillObjective = {
      name: 'toy',
      settings: { w: 1 },
      variables: [scale],
      loss: (b) => {
        const fromTeacher = tf.argMax(b.teacherLogits, 1).dataSync();
        const labels = b.labels.dataSync();
        fromTeacher.forEach((c, i) => (misaligned += c === labels[i] ? 0 : 1));
        // CE + ‖s·z_student − z_teacher‖² with a learnable scale s.
        const match = tf.mean(tf.square(tf.sub(tf.mul(b.studentLogits, scale), b.teacherLogits)));
        return tf.add(taskLoss('classification', b.studentLogits, b.labels), match) as tf.Scalar;
      },
      dispose: () => scale.dispose(),
    };
    const model = buildModel(mlp(), 1);
    await trainModel({ model, train, task: 'classification', epochs: 2, batchSize: 8, lr: 0.05, distill: { objective, teacher } });
    expect(misaligned).toBe(0);
    expect(scale.dataSync()[0]).not.toBe(1);
    objective.dispose();
    model.dispose();
  });

  it("CTKD's θ is stepped by its own SGD (lr 0.05, weight decay 5e-4), not the student's Adam: its step scales with λ", async () => {
    // One step (8 rows, batch 8) from the same student and θ₀ = 1 at λ = 0, ½, 1 (no ramp).
    const train = blobs(8, 4, 3);
    const rng = makeRng(9);
    const teacher = { logits: Float32Array.from({ length: 8 * 3 }, () => 3 * rng.normal()), embedding: new Float32Array(8 * 2) };
    const thetaAfter = async (lambda: number) => {
      const objective = createObjective('ctkd', { lambdaMax: lambda, lambdaEpochs: 0 });
      const model = buildModel(mlp(), 1);
      await trainModel({
        model,
        train,
        task: 'classification',
        epochs: 1,
        batchSize: 8,
        lr: 0.002,
        seed: 4,
        distill: { objective, teacher },
      });
      const theta = objective.variables[0].dataSync()[0];
      objective.dispose();
      model.dispose();
      return theta;
    };
    const decay = 0.05 * 5e-4; // lr·wd·θ₀: SGD's first step is −lr·(g + wd·θ)
    const [d0, dHalf, d1] = [await thetaAfter(0), await thetaAfter(0.5), await thetaAfter(1)].map((th) => th - 1);
    expect(d0).toBeCloseTo(-decay, 6); // λ = 0: no gradient through the reversal, weight decay only
    expect(Math.abs(d1 + decay)).toBeGreaterThan(1e-4); // θ moves
    expect((d1 + decay) / (dHalf + decay)).toBeCloseTo(2, 2); // the step is proportional to λ (Adam's would not be)
  });

  it('early stopping stops after `patience` bad epochs and restores the best epoch', async () => {
    const train = blobs(60, 4, 1);
    // Validation labels permuted: the better the model fits train, the worse it does here.
    const val = blobs(30, 4, 2);
    val.y = val.y.map((c) => (c + 1) % 3);
    const model = buildModel(mlp(), 1);
    const r = await trainModel({
      model,
      train,
      val,
      task: 'classification',
      epochs: 30,
      batchSize: 10,
      lr: 0.05,
      earlyStopping: { patience: 2 },
    });
    expect(r.stoppedEarly).toBe(true);
    const losses = r.history.map((h) => h.valLoss as number);
    expect(r.bestEpoch).toBe(losses.indexOf(Math.min(...losses)) + 1);
    expect(r.history.length).toBe(r.bestEpoch + 2);
    // The model now holds the best epoch's weights: its validation loss is the recorded one.
    const { logits } = await predictOutputs(model, val.x, val.n);
    const now = tf.tidy(() => taskLoss('classification', tf.tensor2d(logits, [val.n, 3]), tf.tensor1d(val.y, 'int32')).dataSync()[0]);
    expect(now).toBeCloseTo(losses[r.bestEpoch - 1], 5);
    model.dispose();
  });

  it("keep 'last': the last epoch's weights, validation only recorded; refused with early stopping", async () => {
    const train = blobs(60, 4, 1);
    // Validation labels permuted: the best epoch on validation is an early one, not the last.
    const val = blobs(30, 4, 2);
    val.y = val.y.map((c) => (c + 1) % 3);
    const opts = { train, val, task: 'classification' as const, epochs: 12, batchSize: 10, lr: 0.05, earlyStopping: false as const };
    const model = buildModel(mlp(), 1);
    const r = await trainModel({ ...opts, model, keep: 'last' });
    expect(r.history.length).toBe(12);
    expect(r.bestEpoch).toBe(12);
    const losses = r.history.map((h) => h.valLoss as number);
    expect(losses.indexOf(Math.min(...losses)) + 1).toBeLessThan(12);
    const { logits } = await predictOutputs(model, val.x, val.n);
    const now = tf.tidy(() => taskLoss('classification', tf.tensor2d(logits, [val.n, 3]), tf.tensor1d(val.y, 'int32')).dataSync()[0]);
    expect(now).toBeCloseTo(losses[11], 5);
    // The default still restores the best validation epoch, on the same run.
    const best = buildModel(mlp(), 1);
    expect((await trainModel({ ...opts, model: best })).bestEpoch).toBe(losses.indexOf(Math.min(...losses)) + 1);
    await expect(trainModel({ ...opts, model: best, keep: 'last', earlyStopping: { patience: 2 } })).rejects.toThrow(
      /keeping the last epoch stops nothing early: give earlyStopping false with it/,
    );
    model.dispose();
    best.dispose();
  });

  it('minEpochs: training does not stop early before it, and the best epoch is still restored', async () => {
    const train = blobs(60, 4, 1);
    const val = blobs(30, 4, 2);
    val.y = val.y.map((c) => (c + 1) % 3);
    const run = async (minEpochs?: number) => {
      const model = buildModel(mlp(), 1);
      const opts = { model, train, val, task: 'classification' as const, epochs: 30, batchSize: 10, lr: 0.05 };
      const r = await trainModel({ ...opts, earlyStopping: { patience: 2, minEpochs } });
      return { r, model };
    };
    const plain = await run();
    const k = plain.r.history.length;
    expect(plain.r.stoppedEarly).toBe(true);
    const held = await run(k + 4);
    // Same seed, same epochs: the first k epochs are identical, then training goes on to minEpochs.
    expect(noProgress({ history: held.r.history.slice(0, k) })).toEqual(noProgress(plain.r));
    expect(held.r.history.length).toBeGreaterThanOrEqual(k + 4);
    const losses = held.r.history.map((h) => h.valLoss as number);
    expect(held.r.bestEpoch).toBe(losses.indexOf(Math.min(...losses)) + 1);
    expect(held.r.history.length).toBe(Math.max(k + 4, held.r.bestEpoch + 2));
    const { logits } = await predictOutputs(held.model, val.x, val.n);
    const now = tf.tidy(() => taskLoss('classification', tf.tensor2d(logits, [val.n, 3]), tf.tensor1d(val.y, 'int32')).dataSync()[0]);
    expect(now).toBeCloseTo(losses[held.r.bestEpoch - 1], 5);
    await expect(run(-1)).rejects.toThrow(/minEpochs must be an integer ≥ 0, got -1/);
    plain.model.dispose();
    held.model.dispose();
  });

  it('a loss that is no longer finite stops training with its cause, not NaN weights and scores', async () => {
    const model = buildModel(mlp([8], 0), 3);
    try {
      await expect(
        trainModel({ model, train: blobs(32, 4, 1), val: blobs(16, 4, 2), task: 'classification', epochs: 3, batchSize: 8, lr: 1e300 }),
      ).rejects.toThrow(/training diverged in epoch 1 \(loss NaN\); lower the learning rate \(it is 1e\+300\)/);
    } finally {
      model.dispose();
    }
  });

  it('a loss grown over 1000-fold from the first step stops training too: finite, but diverged', async () => {
    const model = buildModel(mlp([8], 0), 3);
    try {
      await expect(
        trainModel({ model, train: blobs(32, 4, 1), val: blobs(16, 4, 2), task: 'classification', epochs: 3, batchSize: 4, lr: 1e4 }),
      ).rejects.toThrow(
        /training diverged in epoch 1 \(loss \d\.\d\de\+\d+, over 1000× the first step's \d\.\d\d\); lower the learning rate \(it is 10000\)/,
      );
    } finally {
      model.dispose();
    }
  });

  it('a timer can abort training mid-run: the loop yields between steps, so Ctrl-C stops within an epoch', async () => {
    const controller = new AbortController();
    let epochs = 0;
    const model = buildModel(mlp([8], 0), 3);
    // The abort comes from the event loop (as SIGINT does), not from inside a callback of the loop.
    const timer = setTimeout(() => controller.abort(), 20);
    try {
      await expect(
        trainModel({
          model,
          train: blobs(64, 4, 1),
          val: blobs(16, 4, 2),
          task: 'classification',
          epochs: 100000,
          batchSize: 4,
          earlyStopping: false,
          signal: controller.signal,
          onProgress: (ev) => void (epochs = ev.done),
        }),
      ).rejects.toThrow(/interrupted/);
    } finally {
      clearTimeout(timer);
      model.dispose();
    }
    expect(epochs).toBeLessThan(100000);
  });

  it('resumes an aborted run from its checkpoint and ends where an uninterrupted run ends', async () => {
    const train = blobs(48, 4, 1);
    const val = blobs(24, 4, 2);
    const opts = (model: tf.LayersModel): TrainOptions => ({
      model,
      train,
      val,
      task: 'classification',
      epochs: 5,
      batchSize: 8,
      optimizer: 'adamw',
      schedule: 'cosine',
      earlyStopping: false,
      seed: 9,
    });
    const full = buildModel(mlp([8], 0.3), 2);
    const ref = await trainModel(opts(full));

    const ckdir = path.join(dir, 'resume');
    const controller = new AbortController();
    const first = buildModel(mlp([8], 0.3), 2);
    await expect(
      trainModel({
        ...opts(first),
        checkpointDir: ckdir,
        signal: controller.signal,
        onProgress: (ev) => {
          if (ev.done === 2) controller.abort();
        },
      }),
    ).rejects.toThrow(/interrupted/);
    const log = JSON.parse(await readFile(path.join(ckdir, 'log.json'), 'utf8'));
    expect(log.history).toHaveLength(2);
    expect((await readdir(ckdir)).sort()).toEqual(['best', 'log.json', 'resume.ckpt']);

    // A fresh process would rebuild the model with a different seed; the checkpoint overrides it.
    const second = buildModel(mlp([8], 0.3), 99);
    const resumed = await trainModel({ ...opts(second), checkpointDir: ckdir, resume: true });
    expect(resumed.resumedFrom).toBe(2);
    expect(resumed.history).toHaveLength(5);
    expect(noProgress(resumed)).toEqual(noProgress(ref));
    expect(resumed.bestEpoch).toBe(ref.bestEpoch);
    expect(weightsOf(second)).toEqual(weightsOf(full));
    // The checkpointed best model is the returned one.
    const { model: best } = await loadModel(path.join(ckdir, 'best'));
    expect(weightsOf(best)).toEqual(weightsOf(second));

    // Resuming a finished run trains nothing more and returns the same model.
    const again = buildModel(mlp([8], 0.3), 5);
    const done = await trainModel({ ...opts(again), checkpointDir: ckdir, resume: true });
    expect(done.resumedFrom).toBe(5);
    expect(weightsOf(again)).toEqual(weightsOf(full));
    again.dispose();

    // Resuming with other settings is refused, naming what differs.
    await expect(trainModel({ ...opts(second), lr: 0.5, checkpointDir: ckdir, resume: true })).rejects.toThrow(/differ in lr/);
    for (const m of [full, first, second, best]) m.dispose();
  });

  it('trains a CNN and a ResNet (batch norm statistics move) on tiny images', async () => {
    const n = 12;
    const rng = makeRng(4);
    const x = Float32Array.from({ length: n * 6 * 6 * 1 }, () => rng.normal());
    const y = Int32Array.from({ length: n }, (_, i) => i % 2);
    for (const spec of [
      makeSpec('cnn', [6, 6, 1], 2, 'classification', { channels: [3], hidden: [4] }),
      makeSpec('resnet', [6, 6, 1], 2, 'classification', { channels: [2, 4] }),
    ]) {
      const model = buildModel(spec, 1);
      const stats = () =>
        model
          .getWeights()
          .filter((_, i) => model.weights[i].name.includes('moving_mean'))
          .map((w) => Array.from(w.dataSync()));
      const before = stats();
      const r = await trainModel({ model, train: { x, y, n }, task: 'classification', epochs: 2, batchSize: 6, augment: true });
      expect(Number.isFinite(r.history[1].trainLoss)).toBe(true);
      if (spec.kind === 'resnet') expect(stats()).not.toEqual(before);
      model.dispose();
    }
  });

  it('rejects inconsistent inputs with messages naming the fault', async () => {
    const model = buildModel(mlp(), 1);
    const train = blobs(10, 4, 1);
    await expect(trainModel({ model, train: { ...train, n: 11 }, task: 'classification', epochs: 1 })).rejects.toThrow(
      /x has 40 values; expected n × \[4\]/,
    );
    const bad = { ...train, y: Int32Array.from(train.y, (c, i) => (i === 3 ? 7 : c)) };
    await expect(trainModel({ model, train: bad, task: 'classification', epochs: 1 })).rejects.toThrow(/label 7 of row 3/);
    await expect(trainModel({ model, train, task: 'classification', epochs: 1, augment: true })).rejects.toThrow(/applies to images/);
    await expect(trainModel({ model, train, task: 'classification', epochs: 1, optimizer: 'lbfgs' as 'sgd' })).rejects.toThrow(
      /unknown optimizer/,
    );
    expect(existsSync(path.join(dir, 'nothing'))).toBe(false);
    model.dispose();
  });
});
