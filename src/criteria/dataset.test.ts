import { beforeAll, describe, expect, it } from 'vitest';
import { stratifiedSplit } from '../data/split.js';
import type { MultimodalDataset } from '../data/types.js';
import { initEngine } from '../engine/index.js';
import { CmkdError } from '../util/errors.js';
import { makeRng } from '../util/rng.js';
import { cchFromRepresentations } from './cch.js';
import { cch, rawRepresentation } from './dataset.js';

beforeAll(async () => {
  await initEngine();
});

/**
 * Three classes, n rows. 'student' = class signal + its own latent z; 'copy' = noisy copy of
 * the student; 'other' = fresh class signal; 'image' = a 6×6 image whose top-left block holds
 * the class signal.
 */
function toy(n: number, seed = 1): MultimodalDataset {
  const rng = makeRng(seed);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  const student = new Float32Array(n * 3);
  const copy = new Float32Array(n * 3);
  const other = new Float32Array(n * 3);
  const image = new Float32Array(n * 36);
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    const s = [2 * c + rng.normal(), rng.normal(), -2 * c + rng.normal()];
    for (let j = 0; j < 3; j++) {
      student[i * 3 + j] = s[j] + 10;
      copy[i * 3 + j] = s[j] + 0.3 * rng.normal();
      other[i * 3 + j] = (j === 1 ? 0 : 2 * c) + rng.normal();
    }
    for (let p = 0; p < 36; p++) image[i * 36 + p] = (p < 9 ? c : 0) + 0.5 * rng.normal();
  }
  return {
    name: 'toy',
    n,
    modalities: [
      { name: 'student', kind: 'table', shape: [3], data: student },
      { name: 'copy', kind: 'table', shape: [3], data: copy },
      { name: 'other', kind: 'table', shape: [3], data: other },
      { name: 'image', kind: 'image', shape: [6, 6, 1], data: image },
    ],
    task: { kind: 'classification', classes: ['a', 'b', 'c'] },
    labels,
  };
}

describe('cch on a dataset', () => {
  const ds = toy(600);

  it('raw: every other modality is a candidate; MI on the split test rows, same as the precomputed path', async () => {
    const r = await cch(ds, { student: 'student', representation: 'raw', seed: 4, bootstrap: 4 });
    const split = stratifiedSplit(ds, { seed: 4 });
    expect(r.rows).toEqual({
      train: split.train.length,
      val: split.val.length,
      estimation: split.test.length,
      splitSeed: 4,
    });
    expect(r.n).toBe(split.test.length);
    expect([...r.ranking].sort()).toEqual(['copy', 'image', 'other']);
    expect(r.ranking[0]).toBe('copy');
    expect(r.teachers[0].verdict).toBe('helps');
    expect(r.representations.find((x) => x.name === 'image')).toMatchObject({ d: 36, dEstimated: 8 });
    expect(r.encoders).toBeUndefined();

    const rep = (m: string) => rawRepresentation(ds, m, split.train, split.test);
    const direct = await cchFromRepresentations({
      student: { name: 'student', h: rep('student') },
      teachers: ['copy', 'other', 'image'].map((name) => ({ name, h: rep(name) })),
      labels: Int32Array.from(split.test, (i) => ds.labels[i]),
      seed: 4,
      bootstrap: 4,
    });
    const { dataset: _d, representation: _r, rows: _rows, ...rest } = r;
    expect(rest).toEqual(direct);
  });

  it('raw features are standardised with the train rows only', () => {
    const split = stratifiedSplit(ds, { seed: 0 });
    const h = rawRepresentation(ds, 'student', split.train, split.train);
    let mean = 0;
    for (let i = 0; i < h.n; i++) mean += h.data[i * 3] / h.n;
    expect(mean).toBeCloseTo(0, 5);
    const test = rawRepresentation(ds, 'student', split.train, split.test);
    let testMean = 0;
    for (let i = 0; i < test.n; i++) testMean += test.data[i * 3] / test.n;
    expect(Math.abs(testMean)).toBeGreaterThan(1e-4); // a test-only fit would centre it exactly
  });

  it('embedding: trains one encoder per modality and estimates on held-out rows only', async () => {
    const events: string[] = [];
    const r = await cch(ds, {
      student: 'student',
      teachers: ['copy', 'image'],
      representation: 'embedding',
      seed: 2,
      bootstrap: 2,
      samples: 100,
      encoder: { epochs: 2, table: { hidden: [8] }, image: { channels: [2], hidden: [8] } },
      onProgress: (e) => {
        if (!events.includes(e.task)) events.push(e.task);
      },
    });
    expect(r.encoders!.map((e) => [e.modality, e.kind, e.embeddingSize, e.epochs])).toEqual([
      ['student', 'mlp', 8, 2],
      ['copy', 'mlp', 8, 2],
      ['image', 'cnn', 8, 2],
    ]);
    expect(r.n).toBe(100);
    expect(r.rows.estimation).toBe(100);
    expect(events).toEqual(['encoder student', 'encoder copy', 'encoder image', 'ksg MI terms']);
    expect(r.teachers).toHaveLength(2);
  });

  describe('validation', () => {
    const fails = async (opts: unknown, message: RegExp) => {
      const p = cch(ds, opts as Parameters<typeof cch>[1]);
      await expect(p).rejects.toThrow(CmkdError);
      await expect(p).rejects.toThrow(message);
    };
    it('names the modalities the dataset has', async () => {
      await fails({ student: 'audio' }, /dataset 'toy' has no modality 'audio'; it has: student, copy, other, image/);
      await fails({ student: 'student', teachers: ['copy', 'video'] }, /no modality 'video'; it has: student, copy, other, image/);
    });
    it('rejects the student among the teachers and duplicate teachers', async () => {
      await fails(
        { student: 'student', teachers: ['copy', 'student'] },
        /student 'student' is also listed as a teacher; teachers must be other modalities \(copy, other, image\)/,
      );
      await fails({ student: 'student', teachers: ['copy', 'copy'] }, /a teacher is listed twice/);
    });
    it('rejects unknown representations and bad sample counts', async () => {
      await fails({ student: 'student', representation: 'pixels' }, /unknown representation 'pixels'; expected one of: raw, embedding/);
      await fails({ student: 'student', samples: 1 }, /samples must be an integer ≥ 2/);
    });
    it('needs a second modality', async () => {
      const lone = { ...ds, modalities: [ds.modalities[0]] };
      await expect(cch(lone, { student: 'student' })).rejects.toThrow(/no modality other than the student/);
    });
  });
});
