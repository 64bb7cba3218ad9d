import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subsetRows, type MultimodalDataset, type Split } from '../data/index.js';
import { initEngine } from '../engine/index.js';
import { buildModel, makeSpec, saveModel } from '../models/index.js';
import { writePredictions } from './best-student.js';
import { PREDICTIONS_CSV } from './exports.js';

let dir: string;
beforeAll(async () => {
  await initEngine();
  dir = await mkdtemp(path.join(tmpdir(), 'cmkd-best-student-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('predictions.csv', () => {
  it("names each test row by the file's row names when it has them, also in a subsample", async () => {
    const n = 8;
    const loaded: MultimodalDataset = {
      name: 'named',
      n,
      modalities: [{ name: 'x', kind: 'table', shape: [2], data: Float32Array.from({ length: 2 * n }, (_, i) => i % 7) }],
      task: { kind: 'classification', classes: ['a', 'b'] },
      labels: Int32Array.from({ length: n }, (_, i) => i % 2),
      ids: Array.from({ length: n }, (_, i) => `patient-${100 + i}`),
    };
    const kept = Int32Array.from([1, 3, 4, 6]);
    const ds = subsetRows(loaded, kept);
    const model = buildModel(makeSpec('mlp', [2], 2, 'classification', { hidden: [4] }), 0);
    await saveModel(path.join(dir, 'best-student'), model);
    model.dispose();
    const split: Split = { train: Int32Array.from([0, 1]), val: Int32Array.from([2]), test: Int32Array.from([3, 0]), seed: 0 };
    await writePredictions(dir, ds, 'x', split, kept);
    const rows = (await readFile(path.join(dir, PREDICTIONS_CSV), 'utf8')).trim().split('\n');
    expect(rows.slice(1).map((r) => r.split(',')[0])).toEqual(['patient-106', 'patient-101']);
    // Without row names: the rows' numbers in the data as loaded.
    await writePredictions(dir, { ...ds, ids: undefined }, 'x', split, kept);
    const plain = (await readFile(path.join(dir, PREDICTIONS_CSV), 'utf8')).trim().split('\n');
    expect(plain.slice(1).map((r) => r.split(',')[0])).toEqual(['6', '1']);
  });
});
