import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../../engine/index.js';
import { IMAGE, synthetic, TABLE } from '../../kd/testing/discom-data.js';
import { loadModel, saveModel, type Representation } from '../../models/index.js';
import { CmkdError } from '../../util/errors.js';
import { predictClasses, trainDiscom, type DiscomModalityInput } from './train.js';

beforeAll(async () => {
  await initEngine();
});

describe('trainDiscom', () => {
  const train = synthetic(240, 11);
  const val = synthetic(90, 12);
  const modalities = (): DiscomModalityInput[] => [
    { ...TABLE, train: train.table, val: val.table },
    { ...IMAGE, train: train.image, val: val.image },
  ];
  const base = {
    trainLabels: train.labels,
    valLabels: val.labels,
    numClasses: 3,
    embeddingDim: 8,
    lr: 1e-2,
    batchSize: 32,
    seed: 7,
  };

  it('learns both single-modality students well above chance, without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    const events: number[] = [];
    const res = await trainDiscom({ ...base, modalities: modalities(), epochs: 8, onProgress: (e) => events.push(e.done) });
    expect(events).toEqual(Array.from({ length: 8 }, (_, i) => i + 1));
    expect(Object.keys(res.branches)).toEqual(['tab', 'img']);
    const last = res.history[res.history.length - 1];
    expect(Object.keys(last.terms).sort()).toEqual(['adv', 'aux', 'cl', 'mod', 'orth']);
    expect(res.history[0].loss).toBeGreaterThan(last.loss);
    for (const [name, shape, data] of [
      ['tab', [10], val.table],
      ['img', [6, 6, 1], val.image],
    ] as const) {
      const pred = await predictClasses(res.branches[name], data, [...shape]);
      const acc = pred.reduce((s, p, i) => s + (p === val.labels[i] ? 1 : 0), 0) / pred.length;
      expect(acc, name).toBeGreaterThan(0.85); // chance is 1/3
      expect(res.best[name].f1).toBeGreaterThan(0.85);
    }
    for (const m of Object.values(res.branches)) m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is reproducible for a seed, and ablations/representations/unpaired batches run without leaks', async () => {
    const before = tf.memory().numTensors;
    const run = (extra: object) => trainDiscom({ ...base, modalities: modalities(), epochs: 2, ...extra });
    const a = await run({});
    const b = await run({});
    expect(b.history).toEqual(a.history);
    const c = await run({ representation: 'inv', lossWeights: { orth: 0, adv: 0 }, pairing: 'unpaired' });
    expect(Object.keys(c.history[0].terms).sort()).toEqual(['aux', 'cl', 'mod']);
    expect(c.settings.representation).toBe('inv');
    for (const r of [a, b, c]) for (const m of Object.values(r.branches)) m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('exported students round-trip through saveModel/loadModel with identical predictions', async () => {
    const res = await trainDiscom({ ...base, modalities: modalities(), epochs: 1 });
    const dir = await mkdtemp(path.join(tmpdir(), 'cmkd-discom-'));
    try {
      const inputs: Record<string, tf.Tensor> = { tab: tf.tensor2d(val.table, [90, 10]), img: tf.tensor4d(val.image, [90, 6, 6, 1]) };
      for (const [name, model] of Object.entries(res.branches)) {
        await saveModel(path.join(dir, name), model, { modality: name, extra: { method: 'discom' } });
        const { model: loaded, meta } = await loadModel(path.join(dir, name));
        expect(meta.modality).toBe(name);
        expect(meta.spec.inputShape).toEqual(name === 'tab' ? [10] : [6, 6, 1]);
        expect((loaded.getUserDefinedMetadata() as { discom: { representation: string } }).discom.representation).toBe('inv+inf');
        const [l0, e0] = model.predict(inputs[name]) as tf.Tensor[];
        const [l1, e1] = loaded.predict(inputs[name]) as tf.Tensor[];
        expect(e1.shape).toEqual([90, 2 * Number(res.settings.embeddingDim)]);
        expect(Array.from(l1.dataSync())).toEqual(Array.from(l0.dataSync()));
        expect(Array.from(e1.dataSync())).toEqual(Array.from(e0.dataSync()));
        tf.dispose([l0, e0, l1, e1]);
        loaded.dispose();
        model.dispose();
      }
      tf.dispose(Object.values(inputs));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stops early when no branch improves for `patience` epochs, and keeps the best epoch', async () => {
    // 64 training rows (two batches per epoch) and a negligible learning rate: the scores stall at once.
    const small = modalities().map((m) => ({ ...m, train: m.train.subarray(0, 64 * (m.shape[0] === 10 ? 10 : 36)) }));
    const res = await trainDiscom({
      ...base,
      modalities: small,
      trainLabels: train.labels.subarray(0, 64),
      lr: 1e-9,
      epochs: 20,
      patience: 2,
    });
    expect(res.history.length).toBeLessThan(20);
    const lastBest = Math.max(...Object.values(res.best).map((b) => b.epoch));
    expect(res.history.length).toBe(lastBest + 2);
    for (const m of Object.values(res.branches)) m.dispose();
  });

  it('minEpochs keeps training past the epoch at which patience alone stops', async () => {
    const small = modalities().map((m) => ({ ...m, train: m.train.subarray(0, 64 * (m.shape[0] === 10 ? 10 : 36)) }));
    const opts = { ...base, modalities: small, trainLabels: train.labels.subarray(0, 64), lr: 1e-9, epochs: 20, patience: 2 };
    const plain = await trainDiscom(opts);
    const k = plain.history.length;
    expect(k).toBeLessThan(12);
    const held = await trainDiscom({ ...opts, minEpochs: 12 });
    expect(held.history.length).toBeGreaterThanOrEqual(12);
    const lastBest = Math.max(...Object.values(held.best).map((b) => b.epoch));
    expect(held.history.length).toBe(Math.max(12, lastBest + 2));
    for (const m of [...Object.values(plain.branches), ...Object.values(held.branches)]) m.dispose();
  });

  it('stops on abort without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const run = trainDiscom({
      ...base,
      modalities: modalities(),
      epochs: 5,
      onProgress: () => controller.abort(),
      signal: controller.signal,
    });
    await expect(run).rejects.toThrow(/interrupted/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad input with a CmkdError naming the field', async () => {
    const bad = modalities();
    bad[1] = { ...bad[1], train: bad[1].train.subarray(0, 100) };
    await expect(trainDiscom({ ...base, modalities: bad })).rejects.toThrow(/modality 'img' train data has 100 values; expected 240 rows/);
    await expect(trainDiscom({ ...base, modalities: modalities().slice(0, 1) })).rejects.toBeInstanceOf(CmkdError);
    await expect(trainDiscom({ ...base, modalities: modalities(), representation: 'zirr' as Representation })).rejects.toThrow(
      /unknown discom representation 'zirr'/,
    );
    await expect(trainDiscom({ ...base, modalities: modalities(), lossWeights: { adv: -1 } })).rejects.toThrow(/loss weight 'adv'/);
    await expect(trainDiscom({ ...base, modalities: modalities(), trainLabels: train.labels.map((y) => y + 1) })).rejects.toThrow(
      /trainLabels\[\d+\] = 3/,
    );
  });
});
