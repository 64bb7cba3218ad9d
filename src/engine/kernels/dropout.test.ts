import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../index.js';
import { spread as spreadValues } from '../testdata.js';
import { dropout } from './dropout.js';

beforeAll(async () => {
  await initEngine({ backend: 'wasm' });
});

/** Values from 1e-4 to 1e4, both signs, deterministic. */
const spread = (shape: number[], seed: number) => spreadValues(shape, seed, -4, 4);

/** y = drop(x) and d/dx Σ r ⊙ y, as bit patterns. */
function bits(drop: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, r: tf.Tensor): number[][] {
  return tf.tidy(() => {
    const y = drop(x);
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(drop(a), r)))(x);
    return [y, g].map((t) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer)));
  });
}

describe('dropout on wasm', () => {
  it('is one kernel forward and one backward', async () => {
    const x = spread([4, 6], 1);
    const profile = await tf.profile(() => tf.dispose(tf.grad((a: tf.Tensor) => dropout(a, 0.1, 3))(x)));
    expect(profile.kernels.map((k) => k.name).filter((n) => !n.endsWith('__op'))).toEqual(['CmkdDropout', 'CmkdDropoutGrad']);
    x.dispose();
  });

  for (const [shape, rate, seed] of [
    [[32, 64], 0.1, 11],
    [[32, 10], 0.5, 12],
    [[7, 5, 3], 1 / 3, 13],
    [[9], 0.9, 14],
    [[3, 7], 0.01, 15],
  ] as [number[], number, number][]) {
    it(`gives tf.dropout's bits, values and gradient: [${shape.join(', ')}] at rate ${rate.toPrecision(3)}`, () => {
      const x = spread(shape, seed);
      const r = spread(shape, seed + 100);
      const ours = bits((a) => dropout(a, rate, seed), x, r);
      const stock = bits((a) => tf.dropout(a, rate, undefined, seed), x, r);
      expect(ours).toEqual(stock);
      // The mask is not trivial: some values dropped, some kept.
      const kept = ours[0].filter((b) => (b & 0x7fffffff) !== 0).length;
      expect(kept).toBeGreaterThan(0);
      if (rate >= 0.1) expect(kept).toBeLessThan(ours[0].length);
      tf.dispose([x, r]);
    });
  }

  it('leaves no tensors behind', () => {
    const x = spread([8, 8], 2);
    const before = tf.memory().numTensors;
    tf.dispose(tf.grad((a: tf.Tensor) => dropout(a, 0.2, 9))(x));
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
