import { describe, expect, it } from 'vitest';
import { repeatedSplits, type MultimodalDataset } from '../data/index.js';
import { LEAST_SQUARES, NEAREST_CENTROID, runBaselines } from './baseline.js';
import type { ModelRecord } from './types.js';

/** A deterministic stream in [0, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const record = (role: 'student' | 'teacher', modality: string, repeat: number, test: Record<string, number>): ModelRecord => ({
  ...{ role, modality, repeat, test, val: test, history: [], bestEpoch: 1, modelDir: '', seconds: 0 },
});

describe('the run baselines', () => {
  it('regression: least squares and the training mean on each table modality, in MSE over the same splits as the model', () => {
    // y = 5 + 3·x0 − x1 + small noise on modality 'a' (x2 constant); 'b' is noise; 'img' an image.
    const n = 200;
    const rand = lcg(9);
    const a = new Float32Array(n * 3);
    const b = Float32Array.from({ length: n * 2 }, () => rand());
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      a[i * 3] = rand() * 4;
      a[i * 3 + 1] = rand() * 2 + 100;
      a[i * 3 + 2] = 7;
      y[i] = 5 + 3 * a[i * 3] - a[i * 3 + 1] + (rand() - 0.5) * 0.1;
    }
    const ds: MultimodalDataset = {
      name: 'r',
      n,
      modalities: [
        { name: 'a', kind: 'table', shape: [3], data: a },
        { name: 'b', kind: 'table', shape: [2], data: b },
        { name: 'img', kind: 'image', shape: [2, 2, 1], data: new Float32Array(n * 4) },
      ],
      task: { kind: 'regression', target: 'y' },
      labels: y,
    };
    const splits = repeatedSplits(ds, 3);
    const records = [0, 1, 2].flatMap((r) => [
      record('student', 'a', r, { mse: 0.5 + r }),
      record('teacher', 'b', r, { mse: 9 }),
      record('teacher', 'img', r, { mse: 9 }),
    ]);
    const rows = runBaselines(ds, splits, records);
    expect(rows.map((x) => [x.baseline, x.role, x.modality, x.metric])).toEqual([
      [LEAST_SQUARES, 'student', 'a', 'mse'],
      [LEAST_SQUARES, 'teacher', 'b', 'mse'],
    ]);
    const [student, teacher] = rows;
    expect(student.model).toMatchObject({ mean: 1.5, n: 3 });
    // The training mean: the same for every modality, ȳ_train's squared error on each split's test rows.
    const meanMse = splits.map((s) => {
      const m = Array.from(s.train, (r) => y[r]).reduce((p, q) => p + q, 0) / s.train.length;
      return Array.from(s.test, (r) => (y[r] - m) ** 2).reduce((p, q) => p + q, 0) / s.test.length;
    });
    expect(student.trainingMean!.mean).toBeCloseTo(meanMse.reduce((p, q) => p + q) / 3, 6);
    expect(teacher.trainingMean).toEqual(student.trainingMean);
    // A line through 'a' is found to within its noise (variance 0.1²/12 ≈ 0.0008), far below the mean's MSE (about 3²·16/12 = 12);
    // on the noise modality least squares is no better than the mean.
    expect(student.test.mean).toBeLessThan(0.002);
    expect(student.trainingMean!.mean).toBeGreaterThan(5);
    expect(teacher.test.mean).toBeGreaterThan(0.9 * teacher.trainingMean!.mean);
    expect(student.test.n).toBe(3);
  });

  it('classification: nearest centroid, without a training mean', () => {
    const n = 60;
    const rand = lcg(4);
    const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
    const ds: MultimodalDataset = {
      name: 'c',
      n,
      modalities: [{ name: 'a', kind: 'table', shape: [1], data: Float32Array.from(labels, (c) => c * 3 + rand()) }],
      task: { kind: 'classification', classes: ['p', 'q'] },
      labels,
    };
    const rows = runBaselines(ds, repeatedSplits(ds, 2), [
      record('student', 'a', 0, { f1Weighted: 0.5 }),
      record('student', 'a', 1, { f1Weighted: 0.7 }),
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      baseline: NEAREST_CENTROID,
      metric: 'f1Weighted',
      model: { mean: 0.6, n: 2 },
      test: { mean: 1, n: 2 },
    });
    expect(rows[0].trainingMean).toBeUndefined();
  });
});
