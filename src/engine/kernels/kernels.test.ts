import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { engineInfo, initEngine, tf } from '../index.js';
import { backpropFilterByIm2col, backpropFilterDirect, geometry } from './conv2d.js';
import { originalWasmKernel } from './index.js';
import { simdGemm, simdLoops } from './simd.js';

/** Runs f on the cpu backend (TF.js's reference kernels), then returns to wasm. */
async function onCpu<T>(f: () => T): Promise<T> {
  await tf.setBackend('cpu');
  try {
    return f();
  } finally {
    await tf.setBackend('wasm');
  }
}

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

function maxAbsDiff(a: Float32Array | number[], b: Float32Array | number[]): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function expectClose(actual: Float32Array[], expected: Float32Array[], tol = 1e-4): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const scale = Math.max(1, ...Array.from(expected[i], Math.abs));
    expect(maxAbsDiff(actual[i], expected[i]) / scale).toBeLessThan(tol);
  }
}

/** f(inputs), then the gradients of Σ r ⊙ f(inputs) with respect to every input, as flat arrays. */
function gradsOf(f: (...xs: tf.Tensor[]) => tf.Tensor, shapes: number[][], seed: number): Float32Array[] {
  return tf.tidy(() => {
    const xs = shapes.map((s, i) => tf.tensor(values(tf.util.sizeFromShape(s), seed + i), s));
    const y = f(...xs).dataSync() as Float32Array;
    const g = tf.grads((...args: tf.Tensor[]) => {
      const out = f(...args);
      const r = tf.tensor(values(out.size, seed + 99), out.shape);
      return tf.sum(tf.mul(out, r));
    });
    return [y, ...g(xs).map((t) => t.dataSync() as Float32Array)];
  });
}

async function expectGradsMatchCpu(f: (...xs: tf.Tensor[]) => tf.Tensor, shapes: number[][], seed = 1): Promise<void> {
  const onWasm = gradsOf(f, shapes, seed);
  expect(tf.getBackend()).toBe('wasm');
  const reference = await onCpu(() => gradsOf(f, shapes, seed));
  expectClose(onWasm, reference);
}

beforeAll(async () => {
  await initEngine({ backend: 'wasm' });
});

afterAll(async () => {
  await tf.setBackend('wasm');
});

describe('wasm gradient kernels', () => {
  it('registers the missing kernels and the faster replacements', () => {
    const names = engineInfo().customKernels;
    for (const k of [
      'Conv2DBackpropFilter',
      'Conv2DBackpropInput',
      'UnsortedSegmentSum',
      'DepthwiseConv2dNativeBackpropFilter',
      'MaxPoolGrad',
      'BatchMatMul',
      'Sum',
      'Identity',
      'Cast',
      'Add',
    ]) {
      expect(names).toContain(k);
    }
  });

  const convCases: {
    name: string;
    x: number[];
    w: number[];
    strides: number | [number, number];
    pad: 'same' | 'valid' | tf.backend_util.ExplicitPadding;
  }[] = [
    { name: '3×3 same, stride 1', x: [2, 7, 6, 3], w: [3, 3, 3, 4], strides: 1, pad: 'same' },
    { name: '3×3 valid, stride 1', x: [2, 6, 7, 2], w: [3, 3, 2, 5], strides: 1, pad: 'valid' },
    { name: '5×5 valid, one input channel', x: [3, 9, 9, 1], w: [5, 5, 1, 4], strides: 1, pad: 'valid' },
    { name: '3×3 same, stride 2 (odd size)', x: [2, 7, 7, 3], w: [3, 3, 3, 4], strides: 2, pad: 'same' },
    { name: '1×1 valid, stride 2 (ResNet shortcut)', x: [2, 8, 8, 3], w: [1, 1, 3, 6], strides: 2, pad: 'valid' },
    { name: '2×2 same (asymmetric padding)', x: [2, 5, 6, 2], w: [2, 2, 2, 3], strides: 1, pad: 'same' },
    {
      name: 'explicit padding, strides [1, 2]',
      x: [2, 6, 7, 2],
      w: [3, 2, 2, 3],
      strides: [1, 2],
      pad: [
        [0, 0],
        [2, 1],
        [0, 1],
        [0, 0],
      ],
    },
    {
      name: 'padding larger than the filter',
      x: [1, 4, 4, 2],
      w: [2, 2, 2, 2],
      strides: 1,
      pad: [
        [0, 0],
        [3, 0],
        [0, 2],
        [0, 0],
      ],
    },
  ];
  for (const c of convCases) {
    it(`conv2d gradients match cpu: ${c.name}`, async () => {
      await expectGradsMatchCpu((x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad), [c.x, c.w], 7);
    });
  }

  it('fused conv2d (bias + relu, as tf.layers uses) gradients match cpu', async () => {
    await expectGradsMatchCpu(
      (x, w, b) => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 1, pad: 'same', bias: b, activation: 'relu' }),
      [[2, 6, 6, 3], [3, 3, 3, 4], [4]],
      3,
    );
  });

  it('conv2d filter gradient equals a hand-computed sum', () => {
    // x = 1..9 on a 3×3 image, dy = 1 everywhere on a 2×2 valid output: dW[a,b] = Σ_{oh,ow} x[oh+a, ow+b].
    const dW = tf.tidy(() => {
      const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
      const dy = tf.ones([1, 2, 2, 1]) as tf.Tensor4D;
      const attrs = { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', filterShape: [2, 2, 1, 1] };
      return Array.from((tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs) as tf.Tensor).dataSync());
    });
    expect(dW).toEqual([1 + 2 + 4 + 5, 2 + 3 + 5 + 6, 4 + 5 + 7 + 8, 5 + 6 + 8 + 9]);
  });

  it('the conv2d filter gradient in SIMD tiles equals the im2col + matMul path and the sequential float32 sum, bit for bit', () => {
    const backend = tf.backend() as unknown as BackendWasm;
    const simd = simdLoops(backend);
    expect(simd).not.toBeNull();
    // [x shape, filter shape, strides, pad]: the quick CNN's two layers at batch 32, then odd
    // channel counts (tile remainders: 5 and 7 inputs, 12 and 20 outputs), strides 2 and [1, 2],
    // valid, asymmetric and explicit padding, and padding wider than the filter.
    const cases: [number[], number[], number | [number, number], 'same' | 'valid' | tf.backend_util.ExplicitPadding][] = [
      [[32, 28, 28, 3], [3, 3, 3, 16], 1, 'same'],
      [[32, 14, 14, 16], [3, 3, 16, 32], 1, 'same'],
      [[2, 7, 6, 5], [3, 3, 5, 12], 1, 'same'],
      [[3, 9, 8, 7], [3, 3, 7, 20], 2, 'same'],
      [
        [2, 6, 7, 2],
        [3, 2, 2, 8],
        [1, 2],
        [
          [0, 0],
          [2, 1],
          [0, 1],
          [0, 0],
        ],
      ],
      [[2, 5, 6, 3], [2, 2, 3, 4], 1, 'same'],
      [
        [1, 4, 4, 2],
        [2, 2, 2, 4],
        1,
        [
          [0, 0],
          [3, 0],
          [0, 2],
          [0, 0],
        ],
      ],
      [[2, 9, 9, 1], [5, 5, 1, 8], 1, 'valid'],
    ];
    cases.forEach(([xShape, wShape, strides, pad], i) => {
      const g = geometry(xShape, wShape, strides, pad, undefined);
      const x = tf.tensor(values(tf.util.sizeFromShape(xShape), 110 + i), xShape);
      // dy with magnitudes 1e-3 to 1e3, so that another summation order would show in the bits.
      const dyValues = values(g.N * g.OH * g.OW * g.Cout, 130 + i).map((v, j) => v * 10 ** ((j % 7) - 3));
      const dy = tf.tensor(dyValues, [g.N, g.OH, g.OW, g.Cout]);
      const read = (info: tf.TensorInfo): Float32Array => {
        const t = tf.engine().makeTensorFromTensorInfo(info);
        const data = t.dataSync() as Float32Array;
        t.dispose();
        return data;
      };
      const tiles = read(backpropFilterDirect(backend, simd!, x, dy, g));
      const im2col = read(backpropFilterByIm2col(backend, x, dy, g));
      expect(tiles.length).toBe(tf.util.sizeFromShape(wShape));
      expect(Array.from(tiles, (v, j) => Object.is(v, im2col[j])).every(Boolean)).toBe(true);
      if (g.N * g.OH * g.OW <= 400) {
        const xs = x.dataSync();
        const expected = new Float32Array(tiles.length);
        for (let fh = 0; fh < g.FH; fh++)
          for (let fw = 0; fw < g.FW; fw++)
            for (let ci = 0; ci < g.Cin; ci++)
              for (let co = 0; co < g.Cout; co++) {
                let acc = 0;
                for (let n = 0; n < g.N; n++)
                  for (let oh = 0; oh < g.OH; oh++)
                    for (let ow = 0; ow < g.OW; ow++) {
                      const ih = oh * g.sh + fh - g.top;
                      const iw = ow * g.sw + fw - g.left;
                      if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                      const product = Math.fround(
                        xs[((n * g.H + ih) * g.W + iw) * g.Cin + ci] * dyValues[((n * g.OH + oh) * g.OW + ow) * g.Cout + co],
                      );
                      acc = Math.fround(acc + product);
                    }
                expected[((fh * g.FW + fw) * g.Cin + ci) * g.Cout + co] = acc;
              }
        expect(Array.from(tiles, (v, j) => Object.is(v, expected[j])).every(Boolean)).toBe(true);
      }
      // The registered kernel takes the tiles (Cout a multiple of 4).
      const registered = tf.tidy(() =>
        (
          tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides, pad, dataFormat: 'NHWC', filterShape: wShape }) as tf.Tensor
        ).dataSync(),
      );
      expect(Array.from(registered, (v, j) => Object.is(v, tiles[j])).every(Boolean)).toBe(true);
      tf.dispose([x, dy]);
    });
  });

  it("Conv2D as an implicit GEMM in SIMD equals wasm's own (XNNPACK) Conv2D bit for bit", () => {
    const backend = tf.backend() as unknown as BackendWasm;
    const stock = originalWasmKernel('Conv2D');
    expect(stock).toBeDefined();
    expect(simdGemm(backend)).not.toBeNull();
    // [x shape, filter shape, strides, pad]: the quick CNN's two layers and its input gradient's
    // convolution at batch 32; then widths that leave 1–3 positions after the tiles of 4, 12 and 20
    // output channels (a tile of 4 after those of 8), one input channel, strides 2 and [1, 2],
    // valid, asymmetric and explicit padding, 6 output channels (wasm's own kernel).
    const cases: [number[], number[], number | [number, number], 'same' | 'valid' | tf.backend_util.ExplicitPadding][] = [
      [[32, 28, 28, 3], [3, 3, 3, 16], 1, 'same'],
      [[32, 14, 14, 16], [3, 3, 16, 32], 1, 'same'],
      [
        [32, 14, 14, 32],
        [3, 3, 32, 16],
        1,
        [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ],
      ],
      [[2, 7, 5, 5], [3, 3, 5, 12], 1, 'same'],
      [[3, 9, 7, 7], [3, 3, 7, 20], 2, 'same'],
      [[2, 9, 9, 1], [5, 5, 1, 8], 1, 'valid'],
      [
        [2, 6, 7, 2],
        [3, 2, 2, 8],
        [1, 2],
        [
          [0, 0],
          [2, 1],
          [0, 1],
          [0, 0],
        ],
      ],
      [[2, 5, 6, 3], [2, 2, 3, 4], 1, 'same'],
      [[2, 6, 6, 3], [3, 3, 3, 6], 1, 'same'],
    ];
    cases.forEach(([xShape, wShape, strides, pad], i) => {
      const attrs = { strides, pad, dataFormat: 'NHWC', dilations: [1, 1] } as unknown as tf.NamedAttrMap;
      const [ours, theirs] = tf.tidy(() => {
        // x with magnitudes 1e-3 to 1e3, so that another summation order would show in the bits.
        const xs = values(tf.util.sizeFromShape(xShape), 150 + i).map((v, j) => v * 10 ** ((j % 7) - 3));
        const x = tf.tensor(xs, xShape);
        const filter = tf.tensor(values(tf.util.sizeFromShape(wShape), 170 + i), wShape);
        const registered = tf.engine().runKernel('Conv2D', { x, filter }, attrs) as tf.Tensor;
        const info = stock!.kernelFunc({ inputs: { x, filter }, backend, attrs }) as tf.TensorInfo;
        return [registered.dataSync() as Float32Array, tf.engine().makeTensorFromTensorInfo(info).dataSync() as Float32Array];
      });
      expect(ours.length).toBe(theirs.length);
      expect(Array.from(ours, (v, j) => Object.is(v, theirs[j])).every(Boolean)).toBe(true);
    });
  });

  it('depthwise conv2d gradients match cpu (channel multiplier 2, stride 2)', async () => {
    await expectGradsMatchCpu(
      (x, w) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'),
      [
        [2, 7, 6, 3],
        [3, 3, 3, 2],
      ],
      11,
    );
    await expectGradsMatchCpu(
      (x, w) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid'),
      [
        [1, 5, 5, 2],
        [2, 3, 2, 1],
      ],
      12,
    );
  });

  it('gather gradient (UnsortedSegmentSum) sums repeated rows', () => {
    const g = tf.tidy(() => {
      const table = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
      const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, [2, 0, 2, 2]), tf.tensor2d([1, 10, 2, 20, 3, 30, 4, 40], [4, 2]))));
      return Array.from(grad(table).dataSync());
    });
    // row 0 gets the second upstream row; row 2 gets rows 1, 3, 4; row 1 gets nothing.
    expect(g).toEqual([2, 20, 0, 0, 1 + 3 + 4, 10 + 30 + 40]);
  });

  it('unsortedSegmentSum drops out-of-range segment ids and handles int32', () => {
    const out = tf.tidy(() =>
      Array.from(tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3, 4], 'int32'), tf.tensor1d([1, -1, 1, 5], 'int32'), 3).dataSync()),
    );
    expect(out).toEqual([0, 4, 0]);
  });

  it('gather along axis 1 gradient matches cpu', async () => {
    await expectGradsMatchCpu((x) => tf.gather(x, tf.tensor1d([3, 1, 1, 0], 'int32'), 1), [[3, 5, 2]], 5);
  });

  const otherCases: { name: string; f: (...xs: tf.Tensor[]) => tf.Tensor; shapes: number[][] }[] = [
    // wasm's own MaxPoolGrad fails this one (negative window maxima); ours replaces it.
    { name: 'maxPool', f: (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'), shapes: [[2, 6, 6, 3]] },
    {
      name: 'maxPool 3×3 tiles with leftover rows and columns',
      f: (x) => tf.maxPool(x as tf.Tensor4D, 3, 3, 'valid'),
      shapes: [[2, 7, 8, 2]],
    },
    {
      name: 'maxPool 2×2 tiles after relu (ties at 0)',
      f: (x) => tf.maxPool(tf.relu(x) as tf.Tensor4D, 2, 2, 'valid'),
      shapes: [[2, 6, 4, 3]],
    },
    {
      name: 'maxPool after relu (ties at 0), same padding',
      f: (x) => tf.maxPool(tf.relu(x) as tf.Tensor4D, 2, 2, 'same'),
      shapes: [[2, 5, 5, 3]],
    },
    { name: 'avgPool', f: (x) => tf.avgPool(x as tf.Tensor4D, 3, 2, 'same'), shapes: [[2, 7, 7, 2]] },
    {
      name: 'batch norm with batch statistics',
      f: (x, scale, offset) => {
        const { mean, variance } = tf.moments(x, [0, 1, 2]);
        return tf.batchNorm(x, mean, variance, offset as tf.Tensor1D, scale as tf.Tensor1D, 1e-3);
      },
      shapes: [[2, 4, 4, 3], [3], [3]],
    },
    { name: 'softmax cross-entropy', f: (logits) => tf.losses.softmaxCrossEntropy(tf.oneHot([1, 0, 3], 4), logits), shapes: [[3, 4]] },
    { name: 'log-softmax', f: (logits) => tf.logSoftmax(logits), shapes: [[3, 5]] },
    {
      name: 'matMul with transposeA',
      f: (a, b) => tf.matMul(a, b, true, false),
      shapes: [
        [4, 3],
        [4, 5],
      ],
    },
    {
      name: 'matMul with transposeB',
      f: (a, b) => tf.matMul(a, b, false, true),
      shapes: [
        [3, 4],
        [5, 4],
      ],
    },
    {
      name: 'batched matMul with both transposed',
      f: (a, b) => tf.matMul(a, b, true, true),
      shapes: [
        [2, 4, 3],
        [2, 5, 4],
      ],
    },
    {
      name: 'fused matMul (transposeB, bias, relu)',
      f: (a, b, bias) => tf.fused.matMul({ a, b, transposeB: true, bias, activation: 'relu' }),
      shapes: [[3, 4], [5, 4], [5]],
    },
    { name: 'sum over leading axes, keepDims', f: (x) => tf.sum(x, [1, 0], true), shapes: [[3, 4, 2, 5]] },
    { name: 'sum over axis 0', f: (x) => tf.sum(x, 0), shapes: [[6, 7]] },
    { name: 'sum over a middle axis (wasm original)', f: (x) => tf.sum(x, 1), shapes: [[3, 4, 5]] },
    { name: 'global average pooling (mean)', f: (x) => tf.mean(x, [1, 2]), shapes: [[2, 3, 3, 4]] },
  ];
  for (const c of otherCases) {
    it(`${c.name} gradients match cpu`, async () => {
      await expectGradsMatchCpu(c.f, c.shapes, 21);
    });
  }

  it('a product taken as Cᵀ = Bᵀ·Aᵀ (fewer rows than columns, fresh right-hand side) equals the direct product bit for bit', () => {
    // [m, k, n, transposeA, transposeB]: layer shapes at batch 32 (forward, input gradient dy·Wᵀ,
    // weight gradient xᵀ·dy), odd sizes, a batch-1 rank-3 product; both orientations occur.
    const cases: [number, number, number, boolean, boolean][] = [
      [32, 1568, 64, false, false],
      [32, 64, 1568, false, true],
      [32, 216, 64, false, false],
      [32, 64, 216, false, true],
      [32, 64, 10, false, true],
      [9, 700, 32, true, false],
      [1568, 32, 64, true, false],
      [7, 13, 29, true, true],
    ];
    cases.forEach(([m, k, n, transposeA, transposeB], i) => {
      const [reoriented, direct] = tf.tidy(() => {
        const a = tf.tensor(values(m * k, 60 + i), transposeA ? [k, m] : [m, k]);
        const b = tf.tensor(values(k * n, 80 + i), transposeB ? [n, k] : [k, n]);
        const first = tf.matMul(a, b, transposeA, transposeB);
        // The direct product: B untransposed and met before (a fixed weight) is always taken as is.
        const bPlain = transposeB ? tf.transpose(b) : b;
        const aPlain = transposeA ? tf.transpose(a) : a;
        tf.matMul(aPlain, bPlain).dispose();
        const second = tf.matMul(aPlain, bPlain);
        const batched = tf.matMul(tf.reshape(a, [1, ...a.shape]), tf.reshape(b, [1, ...b.shape]), transposeA, transposeB);
        expect(batched.shape).toEqual([1, m, n]);
        expect(Array.from(batched.dataSync())).toEqual(Array.from(first.dataSync()));
        return [first.dataSync() as Float32Array, second.dataSync() as Float32Array];
      });
      expect(reoriented.length).toBe(m * n);
      expect(Array.from(reoriented, (v, j) => Object.is(v, direct[j])).every(Boolean)).toBe(true);
    });
  });

  it("products in SIMD tiles equal wasm's own (XNNPACK) BatchMatMul and _FusedMatMul (bias) on untransposed operands bit for bit", () => {
    const backend = tf.backend() as unknown as BackendWasm;
    const [stock, stockFused] = [originalWasmKernel('BatchMatMul'), originalWasmKernel('_FusedMatMul')];
    expect(stock).toBeDefined();
    expect(stockFused).toBeDefined();
    expect(simdGemm(backend)).not.toBeNull();
    // [m, k, n, transposeA, transposeB, bias]: the quick budget's dense layers at batch 32 (CNN
    // 1568→64→10, MLP 216→64→64→10: forward with its bias, as the logits layer runs in training,
    // and without, input gradient dy·Wᵀ, weight gradient xᵀ·dy), then row counts that leave 1–3
    // rows after the tiles of 4, 12 columns (a tile of 4 after one of 8), 10, 3 and 1 columns
    // (a zero-padded tile of 4 for the last 2, 3 and 1), both operands transposed.
    const cases: [number, number, number, boolean, boolean, boolean][] = [
      [32, 1568, 64, false, false, false],
      [32, 64, 1568, false, true, false],
      [1568, 32, 64, true, false, false],
      [32, 64, 10, false, false, true],
      [32, 64, 10, false, false, false],
      [32, 10, 64, false, true, false],
      [64, 32, 10, true, false, false],
      [32, 216, 64, false, false, true],
      [32, 64, 216, false, true, false],
      [216, 32, 64, true, false, false],
      [7, 33, 12, false, false, true],
      [33, 5, 20, true, true, false],
      [3, 9, 4, false, true, false],
      [6, 7, 3, false, false, true],
      [5, 8, 1, true, true, true],
    ];
    cases.forEach(([m, k, n, transposeA, transposeB, biased], i) => {
      const [ours, theirs] = tf.tidy(() => {
        // Magnitudes 1e-3 to 1e3, so that another summation order would show in the bits.
        const a = tf.tensor(
          values(m * k, 190 + i).map((v, j) => v * 10 ** ((j % 7) - 3)),
          transposeA ? [k, m] : [m, k],
        );
        const b = tf.tensor(values(k * n, 210 + i), transposeB ? [n, k] : [k, n]);
        const bias = biased ? tf.tensor1d(values(n, 240 + i).map((v) => v * 100)) : undefined;
        const registered = bias ? tf.fused.matMul({ a, b, transposeA, transposeB, bias }) : tf.matMul(a, b, transposeA, transposeB);
        const plainA = transposeA ? tf.transpose(a) : a;
        const plainB = transposeB ? tf.transpose(b) : b;
        const attrs = { transposeA: false, transposeB: false, activation: 'linear' } as unknown as tf.NamedAttrMap;
        const info = bias
          ? // wasm's _FusedMatMul reads rank-3 operands (tf.fused.matMul reshapes them so).
            (stockFused!.kernelFunc({
              inputs: { a: tf.reshape(plainA, [1, m, k]), b: tf.reshape(plainB, [1, k, n]), bias },
              backend,
              attrs,
            }) as tf.TensorInfo)
          : (stock!.kernelFunc({ inputs: { a: plainA, b: plainB }, backend, attrs }) as tf.TensorInfo);
        const reference = tf.engine().makeTensorFromTensorInfo(info);
        expect(registered.size).toBe(reference.size);
        const batched = tf.matMul(tf.reshape(a, [1, ...a.shape]), b, transposeA, transposeB);
        expect(batched.shape).toEqual([1, m, n]);
        if (!bias) expect(Array.from(batched.dataSync())).toEqual(Array.from(registered.dataSync()));
        return [registered.dataSync() as Float32Array, reference.dataSync() as Float32Array];
      });
      expect(ours.length).toBe(m * n);
      expect(Array.from(ours, (v, j) => Object.is(v, theirs[j])).every(Boolean)).toBe(true);
    });
  });

  it('Add of a tensor and a vector along its last axis (a bias) equals the cpu kernel bit for bit', async () => {
    // 8 and 64 columns: wasm SIMD rows; 6: wasm's own broadcasting loop; bias first or second, as [C] or [1, 1, C].
    const cases: [number[], number[], boolean][] = [
      [[3, 5, 8], [8], false],
      [[3, 5, 8], [1, 1, 8], true],
      [[2, 3, 4, 64], [64], true],
      [[32, 64], [64], false],
      [[4, 6], [6], false],
      [[1, 8], [8], false],
    ];
    for (const [xShape, bShape, biasFirst] of cases) {
      const x = values(tf.util.sizeFromShape(xShape), 70).map((v) => v * 1e3);
      const b = values(tf.util.sizeFromShape(bShape), 71).map((v) => v / 7);
      const sum = (): number[] =>
        tf.tidy(() => {
          const [tx, tb] = [tf.tensor(x, xShape), tf.tensor(b, bShape)];
          const out = biasFirst ? tf.add(tb, tx) : tf.add(tx, tb);
          expect(out.shape).toEqual(xShape);
          return Array.from(out.dataSync());
        });
      const onWasm = sum();
      const reference = await onCpu(sum);
      expect(onWasm).toEqual(reference);
    }
  });

  it('Sum over leading axes (bias gradients) is the float64 column sum, four rows at a time, bit for bit', () => {
    // Σ_r in float64 as ((x₀ + x₁) + x₂) + x₃ per four rows, then row by row, rounded once to float32.
    const reference = (xs: Float32Array, rows: number, cols: number): number[] => {
      const acc = new Float64Array(cols);
      let r = 0;
      for (; r + 4 <= rows; r += 4)
        for (let c = 0; c < cols; c++)
          acc[c] += xs[r * cols + c] + xs[(r + 1) * cols + c] + xs[(r + 2) * cols + c] + xs[(r + 3) * cols + c];
      for (; r < rows; r++) for (let c = 0; c < cols; c++) acc[c] += xs[r * cols + c];
      return Array.from(Float32Array.from(acc));
    };
    // 16 and 32 columns (wasm SIMD, two per instruction; 201 rows leave a tail of one), 7 (the scalar loop).
    for (const [shape, axes] of [
      [
        [4, 7, 7, 16],
        [0, 1, 2],
      ],
      [
        [3, 67, 32],
        [0, 1],
      ],
      [
        [5, 3, 7],
        [0, 1],
      ],
    ] as [number[], number[]][]) {
      // Magnitudes 1e-6 to 1e6. (The rounding to float32 hides most float64 order effects: the order is the scalar loop's by construction.)
      const xs = values(tf.util.sizeFromShape(shape), 90).map((v, i) => v * 10 ** ((i % 13) - 6));
      const cols = shape.at(-1)!;
      const got = tf.tidy(() => Array.from(tf.sum(tf.tensor(xs, shape), axes).dataSync()));
      expect(got).toEqual(reference(xs, xs.length / cols, cols));
    }
  });

  /** MaxPoolGrad of 2×2/2 pooling on x (NHWC) with upstream gradient dy, on the current backend, as a flat array. */
  function maxPoolGrad2x2(x: Float32Array, shape: [number, number, number, number], dy: Float32Array): Float32Array {
    return tf.tidy(() => {
      const input = tf.tensor4d(x, shape);
      const output = tf.maxPool(input, 2, 2, 'valid');
      const g = tf.tensor(dy, output.shape);
      const attrs = { filterSize: 2, strides: 2, pad: 'valid' } as unknown as tf.NamedAttrMap;
      return (tf.engine().runKernel('MaxPoolGrad', { dy: g, input, output }, attrs) as tf.Tensor).dataSync() as Float32Array;
    });
  }

  // 5 and 3 channels: the JavaScript loop; 8 and 4: wasm SIMD, four channels per instruction.
  for (const C of [5, 8]) {
    it(`MaxPoolGrad 2×2/2 equals the cpu kernel bit for bit, ties included (${C} channels)`, async () => {
      // Odd height and width (leftover row and column); values on a coarse grid, half of them
      // clipped at 0 as after a ReLU, so most windows have tied maxima.
      const shape: [number, number, number, number] = [3, 9, 7, C];
      const x = values(3 * 9 * 7 * C, 41).map((v) => Math.max(0, Math.round(v * 3) / 3));
      const dy = values(3 * 4 * 3 * C, 42);
      const onWasm = maxPoolGrad2x2(x, shape, dy);
      const reference = await onCpu(() => maxPoolGrad2x2(x, shape, dy));
      expect(Array.from(onWasm, (v, i) => Object.is(v, reference[i])).every(Boolean)).toBe(true);
      expect(onWasm.filter((v) => v !== 0).length).toBe(dy.length);
    });
  }

  for (const channels of [3, 4]) {
    it(`MaxPoolGrad 2×2/2 sends dy to the first maximum in window order, a NaN at any position included (${channels} channels)`, () => {
      // One NaN per window, at position (window index mod 4), plus windows of equal values.
      const shape: [number, number, number, number] = [2, 6, 8, channels];
      const [N, H, W, C] = shape;
      const x = values(N * H * W * C, 43);
      const dy = values(N * (H / 2) * (W / 2) * C, 44);
      const at = (n: number, h: number, w: number, c: number): number => ((n * H + h) * W + w) * C + c;
      const expected = new Float32Array(x.length);
      let k = 0;
      for (let n = 0; n < N; n++)
        for (let oh = 0; oh < H / 2; oh++)
          for (let ow = 0; ow < W / 2; ow++)
            for (let c = 0; c < C; c++, k++) {
              const window = [
                at(n, 2 * oh, 2 * ow, c),
                at(n, 2 * oh, 2 * ow + 1, c),
                at(n, 2 * oh + 1, 2 * ow, c),
                at(n, 2 * oh + 1, 2 * ow + 1, c),
              ];
              if (k % 5 === 4) for (const i of window) x[i] = 0.25;
              else x[window[k % 4]] = Number.NaN;
              let best = window[0];
              for (const i of window.slice(1)) if (x[i] > x[best]) best = i;
              expected[best] = dy[k];
            }
      expect(Array.from(maxPoolGrad2x2(x, shape, dy))).toEqual(Array.from(expected));
    });
  }

  it('a tf.layers CNN step (conv, pool, batch norm, dropout, dense) matches cpu', async () => {
    const step = (): Float32Array[] =>
      tf.tidy(() => {
        const model = tf.sequential({
          layers: [
            tf.layers.conv2d({
              inputShape: [8, 8, 1],
              filters: 4,
              kernelSize: 3,
              padding: 'same',
              activation: 'relu',
              kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
            }),
            tf.layers.batchNormalization(),
            tf.layers.maxPooling2d({ poolSize: 2 }),
            tf.layers.conv2d({
              filters: 6,
              kernelSize: 3,
              strides: 2,
              padding: 'same',
              kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
            }),
            tf.layers.globalAveragePooling2d({}),
            tf.layers.dropout({ rate: 0.3, seed: 3 }),
            tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
          ],
        });
        const x = tf.tensor4d(values(4 * 64, 9), [4, 8, 8, 1]);
        const y = tf.oneHot([0, 2, 1, 2], 3);
        const { grads } = tf.variableGrads(
          () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
        );
        const loss = tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: false }) as tf.Tensor);
        const out = [loss.dataSync() as Float32Array, ...model.trainableWeights.map((w) => grads[w.name].dataSync() as Float32Array)];
        model.layers.forEach((l) => l.dispose());
        return out;
      });
    const onWasm = step();
    const reference = await onCpu(step);
    expect(onWasm.length).toBe(9);
    expectClose(onWasm, reference);
  });

  it('Identity shares the buffer (no copy), and each holder keeps it alive until the last lets go', () => {
    const backend = tf.backend() as unknown as { refCount(id: object): number; numDataIds(): number };
    const x = tf.tensor2d([1, -2, 3, 4.5], [2, 2]);
    const y = tf.clone(x);
    expect(y.dataId).toBe(x.dataId);
    expect(backend.refCount(x.dataId)).toBe(2);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, -2, 3, 4.5]);
    expect(backend.refCount(y.dataId)).toBe(1);
    y.dispose();
    expect(backend.refCount(y.dataId)).toBe(0);
    // A variable's clone (the trainer's best-epoch copy) keeps its values when the variable is updated.
    const v = tf.variable(tf.tensor1d([1, 2]));
    const kept = tf.clone(v);
    const next = tf.tensor1d([5, 6]);
    v.assign(next);
    expect(Array.from(kept.dataSync())).toEqual([1, 2]);
    tf.dispose([v, kept, next]);
  });

  it('the tape saves the tensors a gradient needs without Identity dispatches; gradients and memory as before', async () => {
    // A dense ReLU layer, squared: every gradient here saves inputs or outputs. (Ops built with
    // tf.customGrad, such as logSoftmax, save through a clone of their own, which stays.)
    const shapes = [[6, 5], [5, 4], [4]];
    const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor =>
      tf.square(tf.relu(tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b)));
    const before = tf.memory().numTensors;
    const profile = await tf.profile(() => {
      gradsOf(f, shapes, 31);
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(profile.kernels.filter((k) => k.name === 'Identity')).toEqual([]);
    // Each saved tensor shares its buffer and holds its own reference: disposing the forward
    // tensors before the backward pass (as tidy does) leaves the gradients intact.
    const x = tf.tensor2d(values(30, 32), [6, 5]);
    const w = tf.tensor2d(values(20, 33), [5, 4]);
    const { value, grads } = tf.valueAndGrads((a: tf.Tensor) => {
      const h = tf.relu(tf.matMul(a as tf.Tensor2D, w));
      return tf.sum(tf.mul(h, h));
    })([x]);
    const wasmGrad = grads[0].dataSync() as Float32Array;
    const reference = await onCpu(() =>
      tf.tidy(
        () =>
          tf
            .grads((a: tf.Tensor) => tf.sum(tf.square(tf.relu(tf.matMul(a as tf.Tensor2D, w)))))([x])[0]
            .dataSync() as Float32Array,
      ),
    );
    expectClose([wasmGrad], [reference]);
    tf.dispose([x, w, value, ...grads]);
    await expectGradsMatchCpu(f, shapes, 31);
  });

  it('Cast to the same dtype shares the buffer; real conversions still convert, as on cpu', async () => {
    const backend = tf.backend() as unknown as { refCount(id: object): number };
    const x = tf.tensor1d([1.75, -2.5, 0, 3e9, -0.5]);
    const same = tf.cast(x, 'float32');
    expect(same.dataId).toBe(x.dataId);
    expect(backend.refCount(x.dataId)).toBe(2);
    x.dispose();
    expect(Array.from(same.dataSync())).toEqual([1.75, -2.5, 0, 3e9, -0.5]);
    const converted = (t: tf.Tensor): number[][] => {
      const ints = tf.cast(t, 'int32');
      const back = tf.cast(ints, 'float32');
      const read = [ints, back].map((o) => Array.from(o.dataSync()));
      tf.dispose([ints, back]);
      return read;
    };
    const onWasm = converted(same);
    const values = Array.from(same.dataSync());
    const reference = await onCpu(() => {
      const t = tf.tensor1d(values);
      const read = converted(t);
      t.dispose();
      return read;
    });
    expect(onWasm).toEqual(reference);
    const ints = tf.tensor1d([3, -4], 'int32');
    const intsAgain = tf.cast(ints, 'int32');
    expect(intsAgain.dataId).toBe(ints.dataId);
    tf.dispose([same, ints, intsAgain]);
  });

  it('leaves no tensors behind', () => {
    const before = tf.memory().numTensors;
    gradsOf(
      (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'),
      [
        [2, 7, 7, 3],
        [3, 3, 3, 4],
      ],
      1,
    );
    gradsOf(
      (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'),
      [
        [2, 7, 7, 3],
        [3, 3, 3, 4],
      ],
      1,
    );
    expect(tf.memory().numTensors).toBe(before);
    expect((tf.backend() as unknown as { numDataIds(): number }).numDataIds()).toBe(before);
  });
});
