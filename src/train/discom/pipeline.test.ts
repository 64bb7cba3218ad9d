import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stratifiedSplit } from '../../data/index.js';
import type { MultimodalDataset } from '../../data/types.js';
import { initEngine } from '../../engine/index.js';
import { loadModel } from '../../models/index.js';
import { predictOutputs } from '../predict.js';
import { CmkdError } from '../../util/errors.js';
import { makeRng } from '../../util/rng.js';
import { discomOnDataset, saveDiscomStudents } from './pipeline.js';

beforeAll(async () => {
  await initEngine();
});

/** A table (class in the mean of some columns, offset 5 so standardisation matters) and a 6×6 image (class in a ring). */
function dataset(n: number): MultimodalDataset {
  const rng = makeRng(3);
  const labels = new Int32Array(n);
  const table = new Float32Array(n * 4);
  const image = new Float32Array(n * 36);
  for (let i = 0; i < n; i++) {
    const y = rng.int(3);
    labels[i] = y;
    for (let j = 0; j < 4; j++) table[i * 4 + j] = 5 + (j === y ? 2 : 0) + rng.normal();
    for (let r = 0; r < 6; r++)
      for (let c = 0; c < 6; c++) image[i * 36 + r * 6 + c] = (Math.min(r, c, 5 - r, 5 - c) === y ? 2 : 0) + rng.normal();
  }
  return {
    name: 'synthetic',
    n,
    modalities: [
      { name: 'tab', kind: 'table', shape: [4], data: table },
      { name: 'img', kind: 'image', shape: [6, 6, 1], data: image },
    ],
    task: { kind: 'classification', classes: ['a', 'b', 'c'] },
    labels,
  };
}

describe('discomOnDataset', () => {
  it('trains on the split, with a ResNet branch, and saves students that cmkd evaluate can load', async () => {
    const ds = dataset(150);
    const split = stratifiedSplit(ds, { seed: 4 });
    const res = await discomOnDataset(ds, {
      modalities: ['tab', 'img'],
      split,
      backbones: { tab: { hidden: [8] }, img: { kind: 'resnet', channels: [4], blocks: 1 } },
      epochs: 2,
      batchSize: 32,
      lr: 1e-2,
      seed: 1,
    });
    expect(res.prepared.tab.train.n).toBe(split.train.length);
    expect(res.meta.tab.standardizer?.mean[0]).toBeGreaterThan(4); // fitted on raw training rows
    expect(res.settings.backbones).toBe('mlp(8),resnet(4)');
    const dir = await mkdtemp(path.join(tmpdir(), 'cmkd-discom-ds-'));
    try {
      await saveDiscomStudents(dir, res);
      for (const name of ['tab', 'img']) {
        const { model, meta } = await loadModel(path.join(dir, name));
        expect(meta.modality).toBe(name);
        expect(meta.classes).toEqual(['a', 'b', 'c']);
        expect(meta.extra).toMatchObject({ splitSeed: 4, method: 'discom', dataset: 'synthetic' });
        const test = res.prepared[name].test;
        const a = await predictOutputs(model, test.x, test.n);
        const b = await predictOutputs(res.branches[name], test.x, test.n);
        expect(a.logits).toEqual(b.logits);
        expect(a.embedding).toEqual(b.embedding);
        model.dispose();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
      for (const m of Object.values(res.branches)) m.dispose();
    }
  });

  it('refuses regression tasks and bad modality lists plainly', async () => {
    const ds = dataset(30);
    const split = stratifiedSplit(ds, { seed: 0 });
    const reg: MultimodalDataset = { ...ds, task: { kind: 'regression', target: 'y' }, labels: new Float32Array(30) };
    await expect(discomOnDataset(reg, { modalities: ['tab', 'img'], split })).rejects.toThrow(/classification task/);
    await expect(discomOnDataset(ds, { modalities: ['tab'], split })).rejects.toBeInstanceOf(CmkdError);
    await expect(discomOnDataset(ds, { modalities: ['tab', 'nope'], split })).rejects.toThrow(/no modality 'nope'/);
    await expect(discomOnDataset(ds, { modalities: ['tab', 'img'], split, backbones: { txt: {} } })).rejects.toThrow(/'txt'/);
  });
});
