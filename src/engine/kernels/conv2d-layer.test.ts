import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../index.js';
import { layerBits, spread, type LayerFn } from '../testdata.js';
import { conv2dOnTape } from './conv2d-layer.js';

beforeAll(async () => {
  await initEngine({ backend: 'wasm' });
});

type Conv = LayerFn;
type Case = { strides: number; padding: 'same' | 'valid' };

// What tf.layers' Conv2D calls (conv2dWithBiasActivation): fused.conv2d, unfused under a tape for relu.
const stock =
  ({ strides, padding }: Case): Conv =>
  (x, w, b) =>
    tf.fused.conv2d({
      x: x as tf.Tensor4D,
      filter: w as tf.Tensor4D,
      strides: [strides, strides],
      pad: padding,
      dilations: [1, 1],
      dataFormat: 'NHWC',
      bias: b,
      activation: 'relu',
    });

const options = (strides: number, padding: string, activation: string) => ({
  strides: [strides, strides],
  padding,
  dilationRate: [1, 1],
  dataFormat: 'channelsLast',
  activation,
});

const ours =
  ({ strides, padding }: Case): Conv =>
  (x, w, b) => {
    const y = conv2dOnTape(x, w, b, options(strides, padding, 'relu'));
    if (!y) throw new Error('conv2dOnTape declined');
    return y;
  };

const outShape = (x: number[], w: number[], c: Case): number[] =>
  tf.backend_util.computeConv2DInfo(x as [number, number, number, number], w as [number, number, number, number], c.strides, 1, c.padding)
    .outShape;

describe('one-kernel conv layer on wasm', () => {
  const cases: [number[], number[], Case, number][] = [
    // the quick CNN's two layers
    [[4, 28, 28, 3], [3, 3, 3, 16], { strides: 1, padding: 'same' }, 1],
    [[4, 14, 14, 16], [3, 3, 16, 32], { strides: 1, padding: 'same' }, 2],
    [[2, 9, 7, 5], [3, 2, 5, 8], { strides: 2, padding: 'valid' }, 3],
  ];
  for (const [xShape, wShape, c, seed] of cases) {
    it(`${c.padding} stride ${c.strides}, x [${xShape}], W [${wShape}]: the stock ops' bits, values and gradients`, () => {
      const x = spread(xShape, seed);
      const w = spread(wShape, seed + 1);
      const b = spread([wShape[3]], seed + 2);
      const r = spread(outShape(xShape, wShape, c), seed + 3);
      const mine = layerBits(ours(c), x, w, b, r);
      expect(mine).toEqual(layerBits(stock(c), x, w, b, r));
      // Some outputs are clipped at 0 by the ReLU, some not.
      expect(new Set(mine[0].map((v) => v === 0)).size).toBe(2);
      tf.dispose([x, w, b, r]);
    });
  }

  it("relu with NaN and zero pre-activations: the stock ops' values and gradients", () => {
    // Image 0 holds a NaN (the outputs whose windows read it are NaN); image 1 is zero (its outputs are the bias, which crosses 0).
    const xv = spread([2, 5, 5, 2], 5).dataSync().slice();
    xv[12] = NaN;
    xv.fill(0, 50, 100);
    const x = tf.tensor(xv, [2, 5, 5, 2]);
    const w = spread([3, 3, 2, 8], 6);
    const b = tf.tensor([-1, 0, 1, -0, 2, -3, 0.5, -0.5]);
    const c: Case = { strides: 1, padding: 'same' };
    const r = spread([2, 5, 5, 8], 7);
    const asValues = (xs: number[][]) => xs.map((v) => Array.from(new Float32Array(new Uint32Array(v).buffer)));
    const mine = asValues(layerBits(ours(c), x, w, b, r));
    expect(mine[0].some(Number.isNaN)).toBe(true);
    expect(mine).toEqual(asValues(layerBits(stock(c), x, w, b, r)));
    tf.dispose([x, w, b, r]);
  });

  it('is one kernel forward, one for the mask and the bias gradient, and one per other gradient', async () => {
    const [x, w, b] = [spread([2, 6, 6, 3], 1), spread([3, 3, 3, 4], 2), spread([4], 3)];
    const c: Case = { strides: 1, padding: 'same' };
    const profile = await tf.profile(() => tf.dispose(tf.grads((ww: tf.Tensor, bb: tf.Tensor) => tf.sum(ours(c)(x, ww, bb)))([w, b])));
    const kernels = profile.kernels.map((k) => k.name).filter((n) => !n.endsWith('__op'));
    // (tf.sum and its gradient, the loss here, add a Sum, a Reshape and a Multiply)
    expect(kernels.filter((n) => n.startsWith('Cmkd') || n.startsWith('Conv2D'))).toEqual([
      'CmkdConv2D',
      'CmkdReluMaskAndBias',
      'Conv2DBackpropFilter',
    ]);
    expect(kernels.length).toBe(6);
    tf.dispose([x, w, b]);
  });

  it('declines outside a gradient tape, where TF.js fuses the ReLU into the convolution, and linear layers', () => {
    const [x, w, b] = [spread([2, 6, 6, 3], 1), spread([3, 3, 3, 4], 2), spread([4], 3)];
    expect(conv2dOnTape(x, w, b, options(1, 'same', 'relu'))).toBeNull();
    // Under a tape a linear layer runs FusedConv2D, whose sums start from the bias: other bits.
    tf.grad((ww: tf.Tensor) => {
      expect(conv2dOnTape(x, ww, b, options(1, 'same', 'linear'))).toBeNull();
      return tf.sum(ww);
    })(w).dispose();
    tf.dispose([x, w, b]);
  });

  it('leaves no tensors behind', () => {
    const [x, w, b] = [spread([2, 6, 6, 3], 1), spread([3, 3, 3, 4], 2), spread([4], 3)];
    const before = tf.memory().numTensors;
    const c: Case = { strides: 1, padding: 'same' };
    tf.dispose(tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(ours(c)(xx, ww, bb)))([x, w, b]));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w, b]);
  });
});
