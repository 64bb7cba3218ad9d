import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from './index.js';
import { batchOrder, gatherRows, LossMeter, trainStep } from './step.js';

beforeAll(async () => {
  await initEngine();
});

describe('trainStep', () => {
  it('takes one optimizer step and returns the loss before it', () => {
    const w = tf.variable(tf.scalar(0));
    const opt = tf.train.sgd(0.1);
    // f(w) = (w − 3)²: f(0) = 9, f'(0) = −6, so w ← 0 − 0.1·(−6) = 0.6.
    const loss = trainStep(opt, () => tf.square(tf.sub(w, 3)) as tf.Scalar);
    expect(loss.dataSync()[0]).toBeCloseTo(9, 6);
    expect(w.dataSync()[0]).toBeCloseTo(0.6, 6);
    loss.dispose();
    const loss2 = trainStep(opt, () => tf.square(tf.sub(w, 3)) as tf.Scalar, [w]);
    expect(loss2.dataSync()[0]).toBeCloseTo(2.4 * 2.4, 5);
    loss2.dispose();
    w.dispose();
    opt.dispose();
  });

  it('leaves only the returned loss behind', () => {
    const w = tf.variable(tf.ones([4, 3]));
    const x = tf.ones([2, 4]);
    const opt = tf.train.adam(0.01);
    trainStep(opt, () => tf.mean(tf.square(tf.matMul(x, w))) as tf.Scalar).dispose();
    const before = tf.memory().numTensors;
    trainStep(opt, () => tf.mean(tf.square(tf.matMul(x, w))) as tf.Scalar).dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([w, x]);
    opt.dispose();
  });
});

describe('LossMeter', () => {
  it('keeps a weighted mean and owns the losses it is given', () => {
    const before = tf.memory().numTensors;
    const meter = new LossMeter();
    expect(meter.mean()).toBeNaN();
    meter.add(tf.scalar(2));
    meter.add(tf.scalar(5), 3);
    expect(meter.mean()).toBeCloseTo((2 + 15) / 4, 6);
    meter.reset();
    meter.add(tf.scalar(1), 2);
    expect(meter.mean()).toBeCloseTo(1, 6);
    meter.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('batchOrder', () => {
  it('covers every row once, in order without a seed', () => {
    const b = batchOrder(10, { batchSize: 4 });
    expect(b.map((r) => Array.from(r))).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    expect(batchOrder(10, { batchSize: 4, dropRemainder: true }).length).toBe(2);
  });

  it('shuffles reproducibly with a seed', () => {
    const a = batchOrder(50, { batchSize: 8, seed: 3 }).map((r) => Array.from(r));
    const b = batchOrder(50, { batchSize: 8, seed: 3 }).map((r) => Array.from(r));
    const c = batchOrder(50, { batchSize: 8, seed: 4 }).map((r) => Array.from(r));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.flat().sort((p, q) => p - q)).toEqual([...Array(50).keys()]);
    expect(a.map((r) => r.length)).toEqual([8, 8, 8, 8, 8, 8, 2]);
  });

  it('rejects a bad batch size', () => {
    expect(() => batchOrder(10, { batchSize: 0 })).toThrow(/batch size must be a positive integer, got 0/);
  });
});

describe('gatherRows', () => {
  it('gathers the chosen rows of a flat array into a batch tensor', () => {
    const data = Float32Array.from({ length: 5 * 6 }, (_, i) => i);
    const t = gatherRows(data, [2, 3], [4, 0, 4]);
    expect(t.shape).toEqual([3, 2, 3]);
    expect(t.dtype).toBe('float32');
    expect(Array.from(t.dataSync())).toEqual([24, 25, 26, 27, 28, 29, 0, 1, 2, 3, 4, 5, 24, 25, 26, 27, 28, 29]);
    t.dispose();
  });

  it('gathers int32 labels', () => {
    const t = gatherRows(Int32Array.from([7, 8, 9]), [], Int32Array.from([2, 1]));
    expect(t.dtype).toBe('int32');
    expect(t.shape).toEqual([2]);
    expect(Array.from(t.dataSync())).toEqual([9, 8]);
    t.dispose();
  });

  it('names out-of-range rows and mismatched shapes', () => {
    expect(() => gatherRows(new Float32Array(6), [3], [2])).toThrow(/row 2 out of range: the data has 2 rows/);
    expect(() => gatherRows(new Float32Array(7), [3], [0])).toThrow(/data length 7 is not a multiple of the sample size 3/);
  });
});
