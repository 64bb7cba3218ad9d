import { beforeAll, describe, expect, it } from 'vitest';
import { FusedAdam, adam } from './adam.js';
import { initEngine, tf } from './index.js';

beforeAll(async () => {
  await initEngine({ backend: 'wasm' });
});

/** Runs `steps` Adam steps on a fixed least-squares problem; returns the final weights. */
function train(optimizer: tf.Optimizer, steps: number): number[][] {
  const w = tf.variable(tf.tensor2d([0.5, -0.2, 0.1, 0.3, -0.4, 0.2], [3, 2]));
  const b = tf.variable(tf.tensor1d([0.05, -0.05]));
  const x = tf.tensor2d([1, 2, 3, -1, 0.5, 2, 0, 1, -2, 3, 1, 1], [4, 3]);
  const y = tf.tensor2d([1, 0, 0, 1, 1, 1, 0.5, -0.5], [4, 2]);
  for (let s = 0; s < steps; s++) {
    optimizer.minimize(() => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, w), b), y))) as tf.Scalar);
  }
  const out = [Array.from(w.dataSync()), Array.from(b.dataSync())];
  tf.dispose([w, b, x, y]);
  return out;
}

function expectClose(a: number[][], b: number[][], tol: number): void {
  expect(a.length).toBe(b.length);
  a.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - b[i][j])).toBeLessThan(tol)));
}

describe('FusedAdam', () => {
  it('follows tf.train.adam step for step', () => {
    // Forward passes between steps read w through wasm's XNNPACK operator cache: a fused
    // update that wrote w in place would leave stale packed weights there and diverge.
    const reference = train(tf.train.adam(0.05), 25);
    const fused = train(adam(0.05), 25);
    expectClose(fused, reference, 1e-5);
    // and it moved: 25 steps of lr 0.05 change the weights visibly
    expect(Math.abs(fused[0][0] - 0.5)).toBeGreaterThan(0.05);
  });

  it('never changes memory another tensor shares (falls back to the allocating update)', async () => {
    const w = tf.variable(tf.tensor1d([0.5, -0.2]));
    const target = tf.tensor1d([1, 1]);
    const f = (): tf.Scalar => tf.sum(tf.square(tf.sub(w, target))) as tf.Scalar;
    const opt = adam(0.1);
    opt.minimize(f);
    const moment = (await opt.getWeights())[1].tensor.clone(); // shares the first moment's memory
    const before = Array.from(moment.dataSync());
    opt.minimize(f);
    expect(Array.from(moment.dataSync())).toEqual(before);
    const reference = tf.variable(tf.tensor1d([0.5, -0.2]));
    const refOpt = tf.train.adam(0.1);
    const g = (): tf.Scalar => tf.sum(tf.square(tf.sub(reference, target))) as tf.Scalar;
    refOpt.minimize(g);
    refOpt.minimize(g);
    expectClose([Array.from(w.dataSync())], [Array.from(reference.dataSync())], 1e-6);
    tf.dispose([w, target, moment, reference]);
    opt.dispose();
    refOpt.dispose();
  });

  it('keeps TF.js Adam state: iterations, moment weights, class name and config', async () => {
    const opt = new FusedAdam(0.01, 0.8, 0.9, 1e-6);
    train(opt, 4);
    expect(opt.iterations).toBe(4);
    const names = (await opt.getWeights()).map((w) => w.name);
    expect(names[0]).toBe('iter');
    expect(names.slice(1).map((n) => n.split('/').at(-1))).toEqual(['m', 'm', 'v', 'v']);
    expect(opt.getClassName()).toBe('Adam');
    expect(opt.getConfig()).toEqual({ learningRate: 0.01, beta1: 0.8, beta2: 0.9, epsilon: 1e-6 });
    opt.dispose();
  });

  it('takes the fused path on wasm (no per-op Adam kernels such as Sqrt run)', () => {
    const w = tf.variable(tf.ones([6]));
    const f = (): tf.Scalar => tf.sum(tf.square(w)) as tf.Scalar;
    const opt = adam(0.1);
    const sqrt = tf.getKernel('Sqrt', 'wasm')!;
    let sqrtCalls = 0;
    tf.unregisterKernel('Sqrt', 'wasm');
    tf.registerKernel({ ...sqrt, kernelFunc: (args) => (sqrtCalls++, sqrt.kernelFunc(args)) });
    try {
      for (let i = 0; i < 3; i++) opt.minimize(f);
      expect(sqrtCalls).toBe(0);
      const reference = tf.train.adam(0.1);
      reference.minimize(f);
      reference.dispose();
      expect(sqrtCalls).toBeGreaterThan(0); // the counter does see TF.js's Adam
    } finally {
      tf.unregisterKernel('Sqrt', 'wasm');
      tf.registerKernel(sqrt);
      w.dispose();
      opt.dispose();
    }
  });

  it('leaves no tensors behind per step', () => {
    const w = tf.variable(tf.ones([5]));
    const opt = adam(0.1);
    const f = (): tf.Scalar => tf.sum(tf.square(w)) as tf.Scalar;
    opt.minimize(f);
    const before = tf.memory().numTensors;
    opt.minimize(f);
    opt.minimize(f);
    expect(tf.memory().numTensors).toBe(before);
    w.dispose();
    opt.dispose();
  });
});
