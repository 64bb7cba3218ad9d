import { Worker } from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf, type EngineInfo } from './index.js';

/** Whether each worker the wasm module touched is currently ref'd (keeping the process alive). */
const refState = new Map<Worker, boolean>();
const { ref, unref } = Worker.prototype;
Worker.prototype.ref = function (this: Worker) {
  refState.set(this, true);
  ref.call(this);
};
Worker.prototype.unref = function (this: Worker) {
  refState.set(this, false);
  unref.call(this);
};

let info: EngineInfo;

beforeAll(async () => {
  info = await initEngine({ backend: 'wasm', threads: 2 });
});

function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Output and gradients of a conv → relu → pool → dense network, as flat arrays. */
function convNetGrads(): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(values(8 * 12 * 12 * 3, 1), [8, 12, 12, 3]);
    const w1 = tf.tensor4d(values(3 * 3 * 3 * 16, 2), [3, 3, 3, 16]);
    const w2 = tf.tensor2d(values(6 * 6 * 16 * 5, 3), [6 * 6 * 16, 5]);
    const f = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => {
      const h = tf.maxPool(tf.relu(tf.conv2d(x, a as tf.Tensor4D, 1, 'same')), 2, 2, 'valid');
      return tf.sum(tf.square(tf.matMul(tf.reshape(h, [8, -1]), b as tf.Tensor2D)));
    };
    const { value, grads } = tf.valueAndGrads(f)([w1, w2]);
    return [value.dataSync() as Float32Array, ...grads.map((g) => g.dataSync() as Float32Array)];
  });
}

describe('multithreaded wasm', () => {
  it('runs XNNPACK on two threads', () => {
    expect(info.backend).toBe('wasm');
    expect(info.wasm).toEqual({ simd: true, threads: true, threadCount: 2 });
  });

  it('computes what the cpu backend computes', async () => {
    const threaded = convNetGrads();
    await tf.setBackend('cpu');
    const reference = convNetGrads();
    await tf.setBackend('wasm');
    for (let i = 0; i < reference.length; i++) {
      const scale = Math.max(1, ...Array.from(reference[i], Math.abs));
      const err = Math.max(...Array.from(reference[i], (v, j) => Math.abs(v - threaded[i][j])));
      expect(err / scale).toBeLessThan(1e-4);
    }
  });

  it('leaves no pool thread holding the process open', () => {
    convNetGrads();
    const touched = [...refState.values()];
    expect(touched.length).toBeGreaterThan(0);
    expect(touched.filter((isRef) => isRef)).toEqual([]);
  });

  it('rejects a bad thread count', async () => {
    // initEngine validates options before returning the already-running engine.
    await expect(initEngine({ threads: 0 })).rejects.toThrow(/wasm threads must be an integer from 1 to 8/);
  });
});
