import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../engine/index.js';
import { softmaxLossKernels } from '../engine/kernels/softmax-losses.js';
import { softTargetLoss } from './common.js';
import { kdLoss } from './kd.js';
import { crossEntropy, crossEntropySum } from './losses.js';

beforeAll(async () => {
  await initEngine({ backend: 'wasm' });
});

afterAll(() => {
  for (const k of softmaxLossKernels) if (!tf.getKernel(k.kernelName, 'wasm')) tf.registerKernel({ ...k, backendName: 'wasm' });
});

/** Runs f with the one-kernel softmax losses unregistered: the op-by-op forms. */
function opByOp<T>(f: () => T): T {
  for (const k of softmaxLossKernels) tf.unregisterKernel(k.kernelName, 'wasm');
  try {
    return f();
  } finally {
    for (const k of softmaxLossKernels) tf.registerKernel({ ...k, backendName: 'wasm' });
  }
}

/** Logits [rows × cols] spread over orders of magnitude (|x| from 1e-3 to 1e3), deterministic. */
function spread(rows: number, cols: number, seed: number): tf.Tensor2D {
  const out = new Float32Array(rows * cols);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 2 ** 32;
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (u < 0.5 ? -1 : 1) * 10 ** (-3 + 6 * (s / 2 ** 32)) * (i % 7 === 0 ? 1e-2 : 1);
  }
  return tf.tensor2d(out, [rows, cols]);
}

/** The loss and its gradients with respect to xs for upstream gradients 1, 0.37 and 3.1e-3, as bit patterns. */
function bits(loss: (...xs: tf.Tensor[]) => tf.Scalar, xs: tf.Tensor[]): number[][] {
  return tf.tidy(() => {
    const value = loss(...xs);
    const grads = [1, 0.37, 3.1e-3].flatMap((dy) => tf.grads((...a: tf.Tensor[]) => tf.mul(loss(...a), dy) as tf.Scalar)(xs));
    return [value, ...grads].map((t) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer)));
  });
}

const labelsFor = (rows: number, cols: number) =>
  tf.tensor1d(
    Array.from({ length: rows }, (_, i) => (i * 5 + 2) % cols),
    'int32',
  );

describe('one-kernel softmax losses on wasm', () => {
  it('run as one kernel each, forward and backward', async () => {
    const s = spread(4, 3, 1);
    const t = spread(4, 3, 2);
    const y = labelsFor(4, 3);
    const before = tf.memory().numTensors;
    const profile = await tf.profile(() => {
      tf.dispose(tf.grad((x: tf.Tensor) => tf.add(crossEntropy(x as tf.Tensor2D, y), softTargetLoss(x as tf.Tensor2D, t, 4)))(s));
    });
    const kernels = profile.kernels.map((k) => k.name).filter((n) => !n.endsWith('__op'));
    // (the Reshapes are Add's gradient)
    expect(kernels).toEqual([
      'CmkdSoftmaxCrossEntropy',
      'CmkdSoftTargetLoss',
      'Add',
      'Reshape',
      'Reshape',
      'CmkdSoftTargetLossGrad',
      'CmkdSoftmaxCrossEntropyGrad',
      'Add',
    ]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([s, t, y]);
  });

  for (const [rows, cols, seed] of [
    [32, 10, 1],
    [7, 3, 2],
    [5, 2, 3],
    [64, 17, 4],
  ]) {
    it(`cross-entropy (mean and sum) and its gradient: the op-by-op bits at [${rows}, ${cols}]`, () => {
      const s = spread(rows, cols, seed);
      const y = labelsFor(rows, cols);
      for (const ce of [crossEntropy, crossEntropySum]) {
        const f = (x: tf.Tensor) => ce(x as tf.Tensor2D, y);
        expect(bits(f, [s])).toEqual(opByOp(() => bits(f, [s])));
      }
      tf.dispose([s, y]);
    });

    for (const temperature of [4, 1, 2.5, 0.3]) {
      it(`soft-target loss at T = ${temperature} and its gradients (student and teacher): the op-by-op bits at [${rows}, ${cols}]`, () => {
        const s = spread(rows, cols, seed);
        const t = spread(rows, cols, seed + 10);
        const f = (a: tf.Tensor, b: tf.Tensor) => softTargetLoss(a as tf.Tensor2D, b as tf.Tensor2D, temperature);
        expect(bits(f, [s, t])).toEqual(opByOp(() => bits(f, [s, t])));
        tf.dispose([s, t]);
      });
    }
  }

  for (const [taskWeight, kdWeight, temperature] of [
    [0.5, 0.5, 4],
    [0.1, 9, 4],
    [1, 0, 2],
    [0, 1, 1],
    [0.3, 0.7, 0.5],
  ]) {
    it(`KD loss ${taskWeight}·CE + ${kdWeight}·T²·KL at T = ${temperature} in one kernel: the bits of its terms' sum`, () => {
      for (const [rows, cols, seed] of [
        [32, 10, 21],
        [7, 3, 22],
      ]) {
        const s = spread(rows, cols, seed);
        const t = spread(rows, cols, seed + 1);
        const y = labelsFor(rows, cols);
        const f = (a: tf.Tensor, b: tf.Tensor) => kdLoss(a as tf.Tensor2D, b as tf.Tensor2D, y, { temperature, taskWeight, kdWeight });
        expect(bits(f, [s, t])).toEqual(opByOp(() => bits(f, [s, t])));
        tf.dispose([s, t, y]);
      }
    });
  }

  it('KD loss: one kernel forward and one backward', async () => {
    const [s, t, y] = [spread(4, 3, 1), spread(4, 3, 2), labelsFor(4, 3)];
    const profile = await tf.profile(() => {
      tf.dispose(tf.grad((x: tf.Tensor) => kdLoss(x as tf.Tensor2D, t, y, { temperature: 4, taskWeight: 0.5, kdWeight: 0.5 }))(s));
    });
    expect(profile.kernels.map((k) => k.name).filter((n) => !n.endsWith('__op'))).toEqual(['CmkdKdLoss', 'CmkdKdLossGrad']);
    tf.dispose([s, t, y]);
  });

  it('logits of ordinary size (the trainer’s) give the op-by-op bits too', () => {
    const s = tf.mul(spread(32, 10, 9), 1e-3) as tf.Tensor2D;
    const t = tf.mul(spread(32, 10, 8), 3e-3) as tf.Tensor2D;
    const y = labelsFor(32, 10);
    const f = (a: tf.Tensor, b: tf.Tensor) =>
      tf.add(
        tf.mul(crossEntropy(a as tf.Tensor2D, y), 0.5),
        tf.mul(softTargetLoss(a as tf.Tensor2D, b as tf.Tensor2D, 4), 0.5),
      ) as tf.Scalar;
    expect(bits(f, [s, t])).toEqual(opByOp(() => bits(f, [s, t])));
    tf.dispose([s, t, y]);
  });
});
