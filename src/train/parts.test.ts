import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { initEngine, tf } from '../engine/index.js';
import { simdAdam } from '../engine/kernels/simd.js';
import { makeRng } from '../util/rng.js';
import { gatherAugmented, symmetryOf, transformImage } from './batches.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { Optimizer, resolveOptimizer, type OptimizerSettings } from './optim.js';
import { learningRateAt } from './schedule.js';
import { prepareModality } from './pipeline.js';
import { subsetRows, testLabelsOf, type Modality, type MultimodalDataset, type Split } from '../data/index.js';

let dir: string;
beforeAll(async () => {
  await initEngine();
  dir = await mkdtemp(path.join(tmpdir(), 'cmkd-train-parts-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('batches', () => {
  it('flips and rotates a 2×2 image as hand-computed', () => {
    // [[1, 2], [3, 4]]
    const img = Float32Array.from([1, 2, 3, 4]);
    const t = (h: boolean, v: boolean, tr: boolean) => {
      const out = new Float32Array(4);
      transformImage(img, 0, out, 0, 2, 2, 1, h, v, tr);
      return Array.from(out);
    };
    expect(t(false, false, false)).toEqual([1, 2, 3, 4]);
    expect(t(true, false, false)).toEqual([2, 1, 4, 3]); // horizontal flip
    expect(t(false, true, false)).toEqual([3, 4, 1, 2]); // vertical flip
    expect(t(true, false, true)).toEqual([2, 4, 1, 3]); // quarter turn anticlockwise
    expect(t(true, true, false)).toEqual([4, 3, 2, 1]); // half turn
  });

  it('keeps channels together and covers all 8 symmetries of the square', () => {
    // 2×2 image with 2 channels; channel 1 = 10 × channel 0.
    const img = Float32Array.from([1, 10, 2, 20, 3, 30, 4, 40]);
    const seen = new Set<string>();
    const rng = makeRng(1);
    for (let k = 0; k < 200; k++) {
      const out = gatherAugmented(img, [2, 2, 2], [0], 0, 1, { flips: true, rotations: true }, rng);
      for (let p = 0; p < 4; p++) expect(out[2 * p + 1]).toBe(10 * out[2 * p]);
      seen.add(Array.from(out).join(','));
    }
    expect(seen.size).toBe(8);
    const rotOnly = new Set<string>();
    for (let k = 0; k < 100; k++)
      rotOnly.add(Array.from(gatherAugmented(img, [2, 2, 2], [0], 0, 1, { flips: false, rotations: true }, rng)).join(','));
    expect(rotOnly.size).toBe(4); // the four rotations, no reflections
  });

  it('symmetryOf(h, v, k) is the flips followed by k quarter turns, as two passes of transformImage give', () => {
    const img = Float32Array.from({ length: 9 }, (_, i) => i); // 3×3, all pixels distinct
    const apply = (x: Float32Array, flipH: boolean, flipV: boolean, transpose: boolean) => {
      const out = new Float32Array(9);
      transformImage(x, 0, out, 0, 3, 3, 1, flipH, flipV, transpose);
      return out;
    };
    const quarter = (k: number) => symmetryOf(false, false, k);
    for (const h of [false, true])
      for (const v of [false, true])
        for (let k = 0; k < 4; k++) {
          const q = quarter(k);
          const twoPasses = apply(apply(img, h, v, false), q.flipH, q.flipV, q.transpose);
          const s = symmetryOf(h, v, k);
          expect(Array.from(apply(img, s.flipH, s.flipV, s.transpose))).toEqual(Array.from(twoPasses));
        }
    // k = 1 is the quarter turn anticlockwise of the hand-computed test above.
    expect(quarter(1)).toEqual({ flipH: true, flipV: false, transpose: true });
  });

  it("gates each sample as DisCoM-KD's reference does: 19/32 ≈ 0.59 come out unchanged, not 1/8", () => {
    // [[1, 2], [3, 4]]: every symmetry of the square gives a different arrangement.
    const img = Float32Array.from([1, 2, 3, 4]);
    const n = 20000;
    const counts = new Map<string, number>();
    const rng = makeRng(7);
    const out = gatherAugmented(img, [2, 2, 1], new Int32Array(n), 0, n, { flips: true, rotations: true }, rng);
    for (let i = 0; i < n; i++) {
      const key = Array.from(out.subarray(4 * i, 4 * i + 4)).join(',');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const p = (key: string) => (counts.get(key) ?? 0) / n;
    // Gate off (½), or on with no flip and k = 0 (¼·⅝) or both flips and k = 2 (¼·⅛): ½ + ½·3/16.
    expect(p('1,2,3,4')).toBeCloseTo(19 / 32, 2);
    expect(p('4,3,2,1')).toBeCloseTo(3 / 32, 2); // half turn
    expect(p('2,1,4,3')).toBeCloseTo(3 / 32, 2); // horizontal flip
    expect(p('3,4,1,2')).toBeCloseTo(3 / 32, 2); // vertical flip
    expect(p('2,4,1,3')).toBeCloseTo(1 / 32, 2); // quarter turn
    expect(counts.size).toBe(8);
    // Deterministic for a seed.
    expect(Array.from(gatherAugmented(img, [2, 2, 1], new Int32Array(50), 0, 50, { flips: true, rotations: true }, makeRng(7)))).toEqual(
      Array.from(out.subarray(0, 200)),
    );
  });
});

describe('learning-rate schedules', () => {
  it('cosine goes from lr to the floor, step decays by gamma', () => {
    expect(learningRateAt({ name: 'constant' }, 0.1, 7, 10, 3, 5)).toBe(0.1);
    expect(learningRateAt({ name: 'cosine' }, 0.1, 0, 10, 0, 5)).toBeCloseTo(0.1, 12);
    expect(learningRateAt({ name: 'cosine' }, 0.1, 5, 10, 2, 5)).toBeCloseTo(0.05, 12);
    expect(learningRateAt({ name: 'cosine', minFactor: 0.1 }, 0.1, 10, 10, 5, 5)).toBeCloseTo(0.01, 12);
    expect(learningRateAt({ name: 'step', gamma: 0.5, stepEpochs: 2 }, 0.1, 0, 10, 3, 6)).toBeCloseTo(0.05, 12);
    expect(learningRateAt({ name: 'step', gamma: 0.5, stepEpochs: 2 }, 0.1, 0, 10, 4, 6)).toBeCloseTo(0.025, 12);
  });
});

describe('optimisers', () => {
  const run = (name: 'adam' | 'adamw' | 'sgd', grads: number[], lr: number, extra: object = {}): number[] => {
    const w = tf.variable(tf.tensor2d([[1]]));
    const opt = new Optimizer(resolveOptimizer({ name, ...extra }), [w], [true]);
    const out: number[] = [];
    for (const g of grads) {
      const gt = tf.tensor2d([[g]]);
      opt.apply([gt], lr);
      gt.dispose();
      out.push(w.dataSync()[0]);
    }
    opt.dispose();
    w.dispose();
    return out;
  };

  it('SGD with momentum follows v ← μv + g, w ← w − lr·v', () => {
    const [w1, w2] = run('sgd', [1, 1], 0.1, { momentum: 0.5 });
    expect(w1).toBeCloseTo(1 - 0.1, 6);
    expect(w2).toBeCloseTo(0.9 - 0.1 * 1.5, 6);
  });

  it('Adam moves by lr on its first step whatever the gradient scale', () => {
    expect(run('adam', [1000], 0.01)[0]).toBeCloseTo(0.99, 5);
    expect(run('adam', [-0.001], 0.01)[0]).toBeCloseTo(1.01, 4);
  });

  it('AdamW decays the weight itself: w(1 − lr·λ) − lr·m̂/(√v̂ + ε)', () => {
    expect(run('adamw', [1], 0.1, { weightDecay: 0.5 })[0]).toBeCloseTo(1 * (1 - 0.05) - 0.1, 5);
    // Adam with weight decay adds λw to the gradient instead; on the first step that is invisible.
    expect(run('adam', [1], 0.1, { weightDecay: 0.5 })[0]).toBeCloseTo(0.9, 5);
  });

  it('the one-pass Adam/AdamW on wasm gives the op-by-op update bit for bit, over many steps', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(simdAdam(tf.backend() as unknown as BackendWasm)).not.toBeNull(); // the SIMD loop runs here
    const rng = makeRng(5);
    const values = (n: number, scale: number) => Float32Array.from({ length: n }, () => (rng.next() - 0.5) * scale);
    const cases: [OptimizerSettings, boolean[]][] = [
      [{ name: 'adam' }, [true, false]],
      [{ name: 'adamw', weightDecay: 0.05 }, [true, false]],
      [{ name: 'adam', weightDecay: 0.01 }, [true, false]],
    ];
    for (const [settings, decay] of cases) {
      // 24 values: six groups of four for wasm SIMD; 37: nine groups and a tail of one for the scalar loop.
      const init = [values(24, 2), values(37, 0.2)];
      const grads = Array.from({ length: 12 }, (_, k) => [values(24, 10 ** ((k % 5) - 3)), values(37, 10 ** ((k % 3) - 2))]);
      const run = (fused: boolean): Float32Array[] => {
        const vars = [tf.variable(tf.tensor2d(init[0], [4, 6])), tf.variable(tf.tensor1d(init[1]))];
        const x = tf.tensor2d(values(8, 1), [2, 4]);
        const opt = new Optimizer(resolveOptimizer(settings), vars, decay, [], fused);
        grads.forEach((gs, k) => {
          const g = [tf.tensor2d(gs[0], [4, 6]), tf.tensor1d(gs[1])];
          opt.apply(g, 0.003 * (1 + (k % 4)));
          // A matMul between steps reads w through wasm's XNNPACK cache: an update in place would leave it stale.
          tf.dispose([...g, tf.matMul(x, vars[0])]);
        });
        const out = [...vars, ...opt.stateTensors()].map((t) => t.dataSync() as Float32Array);
        opt.dispose();
        tf.dispose([...vars, x]);
        return out;
      };
      const fused = run(true);
      const reference = run(false);
      fused.forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(reference[i])));
      // and it moved
      expect(Array.from(fused[0])).not.toEqual(Array.from(init[0]));
    }
  });

  it('rejects bad settings by name', () => {
    expect(() => resolveOptimizer({ name: 'sgd', momentum: 1.5 })).toThrow(/momentum = 1.5/);
    expect(() => resolveOptimizer({ name: 'rmsprop' as 'sgd' })).toThrow(/unknown optimizer 'rmsprop'/);
  });
});

describe('checkpoint file', () => {
  it('round-trips header and tensor groups', async () => {
    const file = path.join(dir, 'a.ckpt');
    const a = tf.tensor2d([[1, 2, 3]]);
    const b = tf.scalar(7);
    await writeCheckpoint(file, { epoch: 3, note: 'é' }, { one: [a, b], empty: [] });
    const ck = await readCheckpoint<{ epoch: number; note: string }>(file);
    expect(ck?.header).toEqual({ epoch: 3, note: 'é' });
    expect(ck?.groups.one.map((t) => Array.from(t.dataSync()))).toEqual([[1, 2, 3], [7]]);
    expect(ck?.groups.one[0].shape).toEqual([1, 3]);
    expect(ck?.groups.empty).toEqual([]);
    tf.dispose([a, b, ...(ck?.groups.one ?? [])]);
    expect(await readCheckpoint(path.join(dir, 'missing.ckpt'))).toBeNull();
  });

  it('rejects a truncated or foreign file with a message naming it', async () => {
    const file = path.join(dir, 'bad.ckpt');
    await writeFile(file, 'hello');
    await expect(readCheckpoint(file)).rejects.toThrow(/bad\.ckpt is not a usable cmkd checkpoint/);
  });
});

describe('test labels apart from training labels', () => {
  const x: Modality = { name: 'x', kind: 'table', shape: [1], data: Float32Array.from([0, 1, 2, 3, 4, 5]) };
  const ds: MultimodalDataset = {
    name: 'noisy',
    n: 6,
    modalities: [x],
    // Rows 1 and 4 carry flipped labels for training; the test scores them against the true ones.
    labels: Int32Array.from([0, 0, 1, 1, 1, 1]),
    testLabels: Int32Array.from([0, 1, 1, 1, 0, 1]),
    ids: ['a', 'b', 'c', 'd', 'e', 'f'],
    task: { kind: 'classification', classes: ['p', 'q'] },
  };

  it('a subset keeps labels, test labels and row names aligned', () => {
    const s = subsetRows(ds, [4, 1, 5]);
    expect(Array.from(s.labels)).toEqual([1, 0, 1]);
    expect(Array.from(s.testLabels!)).toEqual([0, 1, 1]);
    expect(s.ids).toEqual(['e', 'b', 'f']);
    expect(Array.from(testLabelsOf(s))).toEqual([0, 1, 1]);
    expect(testLabelsOf({ ...ds, testLabels: undefined })).toBe(ds.labels);
  });

  it('a split trains and validates on the labels and tests on the test labels', () => {
    const split: Split = { train: Int32Array.from([0, 2, 3]), val: Int32Array.from([1]), test: Int32Array.from([4, 5]), seed: 0 };
    const p = prepareModality(ds, 'x', split);
    expect(Array.from(p.train.y)).toEqual([0, 1, 1]);
    expect(Array.from(p.val.y)).toEqual([0]);
    expect(Array.from(p.test.y)).toEqual([0, 1]);
    expect(Array.from(prepareModality({ ...ds, testLabels: undefined }, 'x', split).test.y)).toEqual([1, 1]);
  });
});
