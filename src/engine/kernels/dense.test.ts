import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../index.js';
import { layerBits, spread, type LayerFn } from '../testdata.js';
import { denseOnTape } from './dense.js';

beforeAll(async () => {
  await initEngine({ backend: 'wasm' });
});

type Dense = LayerFn;

// What tf.layers' Dense calls: fused.matMul (unfused under a tape for relu, its custom gradient for linear).
const stock =
  (activation: 'relu' | 'linear'): Dense =>
  (x, w, b) =>
    tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias: b, activation });

const ours =
  (activation: 'relu' | 'linear'): Dense =>
  (x, w, b) => {
    const y = denseOnTape(x, w, b, activation);
    if (!y) throw new Error('denseOnTape declined');
    return y;
  };

describe('one-kernel dense layer on wasm', () => {
  for (const activation of ['relu', 'linear'] as const) {
    for (const [rows, inner, cols, seed] of [
      [32, 216, 64, 1],
      [32, 64, 10, 2],
      [5, 7, 3, 3],
      [3, 9, 13, 4],
    ]) {
      it(`${activation} [${rows}×${inner}]·[${inner}×${cols}]: the stock ops' bits, values and gradients`, () => {
        const x = spread([rows, inner], seed);
        const w = spread([inner, cols], seed + 1);
        const b = spread([cols], seed + 2);
        const r = spread([rows, cols], seed + 3);
        const mine = layerBits(ours(activation), x, w, b, r);
        expect(mine).toEqual(layerBits(stock(activation), x, w, b, r));
        // Some outputs are clipped at 0 by the ReLU, some not.
        if (activation === 'relu') expect(new Set(mine[0].map((v) => v === 0)).size).toBe(2);
        tf.dispose([x, w, b, r]);
      });
    }
  }

  it("relu with NaN and zero pre-activations: the stock ops' values and gradients", () => {
    // Row 0 of x holds a NaN (its outputs are NaN), row 1 is zero (its outputs are the bias, which crosses 0).
    const xv = spread([4, 6], 5).dataSync().slice();
    xv[2] = NaN;
    xv.fill(0, 6, 12);
    const x = tf.tensor(xv, [4, 6]);
    const w = spread([6, 8], 6);
    const b = tf.tensor([-1, 0, 1, -0, 2, -3, 0.5, -0.5]);
    const r = spread([4, 8], 7);
    const asValues = (xs: number[][]) => xs.map((v) => Array.from(new Float32Array(new Uint32Array(v).buffer)));
    const mine = asValues(layerBits(ours('relu'), x, w, b, r));
    expect(mine[0].some(Number.isNaN)).toBe(true);
    expect(mine).toEqual(asValues(layerBits(stock('relu'), x, w, b, r)));
    tf.dispose([x, w, b, r]);
  });

  it('is one kernel forward and one per gradient', async () => {
    const [x, w, b] = [spread([4, 5], 1), spread([5, 3], 2), spread([3], 3)];
    const profile = await tf.profile(() => tf.dispose(tf.grads((ww: tf.Tensor, bb: tf.Tensor) => tf.sum(ours('relu')(x, ww, bb)))([w, b])));
    const kernels = profile.kernels.map((k) => k.name).filter((n) => !n.endsWith('__op'));
    expect(kernels.filter((n) => n.startsWith('CmkdDense'))).toEqual(['CmkdDense', 'CmkdDenseGrad', 'CmkdDenseGrad']);
    tf.dispose([x, w, b]);
  });

  it('declines outside a gradient tape, where TF.js fuses the ReLU into the product', () => {
    const [x, w, b] = [spread([4, 5], 1), spread([5, 3], 2), spread([3], 3)];
    expect(denseOnTape(x, w, b, 'relu')).toBeNull();
    tf.dispose([x, w, b]);
  });

  it('leaves no tensors behind', () => {
    const [x, w, b] = [spread([4, 5], 1), spread([5, 3], 2), spread([3], 3)];
    const before = tf.memory().numTensors;
    tf.dispose(tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(ours('relu')(xx, ww, bb)))([x, w, b]));
    tf.dispose(tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(ours('linear')(xx, ww, bb)))([x, w, b]));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w, b]);
  });
});
