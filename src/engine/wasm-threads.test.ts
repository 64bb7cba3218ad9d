import { Worker } from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { adamStepInPlace } from './adam.js';
import { initEngine, tf, type EngineInfo } from './index.js';
import { simdAdam, simdGemm, simdLoops } from './kernels/simd.js';

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

  it('leaves convolutions and products to XNNPACK, which splits them over its threads', () => {
    const backend = tf.backend() as unknown as BackendWasm;
    expect(simdLoops(backend)).not.toBeNull();
    expect(simdGemm(backend)).toBeNull();
  });

  it("runs the SIMD Adam loop on the threaded build's shared memory, bit for bit the op-by-op update", () => {
    expect(simdAdam(tf.backend() as unknown as BackendWasm)).not.toBeNull();
    const n = 41; // ten groups of four and a scalar tail
    const [w0, g, m0, v0] = [values(n, 7), values(n, 8), values(n, 9), values(n, 10).map(Math.abs)];
    const s = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7, stepSize: 0.003, keep: 1 - 0.003 * 0.01 };
    const own = (a: Float32Array): tf.Variable => tf.tidy(() => tf.variable(tf.tensor1d(a)));
    const [w, m, v] = [own(w0), own(m0), own(v0)];
    const grad = tf.tensor1d(g);
    expect(adamStepInPlace(w, grad, m, v, s)).toBe(true);
    // The op-by-op form in float32 kernels (src/train/optim.ts), on the same inputs.
    const reference = tf.tidy(() => {
      const [tw, tg, tm, tv] = [w0, g, m0, v0].map((a) => tf.tensor1d(a));
      const mNew = tf.add(tf.mul(tm, s.beta1), tf.mul(tg, 1 - s.beta1));
      const vNew = tf.add(tf.mul(tv, s.beta2), tf.mul(tf.square(tg), 1 - s.beta2));
      const wNew = tf.sub(tf.mul(tw, s.keep), tf.mul(tf.div(mNew, tf.add(tf.sqrt(vNew), s.epsilon)), s.stepSize));
      return [wNew, mNew, vNew].map((t) => Array.from(t.dataSync()));
    });
    expect([w, m, v].map((t) => Array.from(t.dataSync()))).toEqual(reference);
    tf.dispose([w, m, v, grad]);
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
