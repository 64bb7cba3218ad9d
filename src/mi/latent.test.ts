import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../engine/index.js';
import { makeRng } from '../util/rng.js';
import { estimateMI } from './estimate.js';
import { latentMI } from './latent.js';
import { binaryMixtureMI, correlatedGaussians, embeddedGaussians } from './testdata.js';

// Stated tolerance for latent MI: within 0.2 nats of the exact value. It under-estimates: single
// runs at n = 1600 with 32 + 32 columns came 0.04–0.17 below (information lost by the codes, and
// KSG's downward bias on 8 + 8 dimensional codes from 800 held-out samples).
const TOL = 0.2;

beforeAll(async () => {
  await initEngine();
});

describe('latent MI (autoencoders + KSG)', () => {
  it('32 + 32 dimensional views of a 2-d dependence: near the exact value', async () => {
    const n = 1600;
    const { x, y, exact } = embeddedGaussians(n, [0.8, 0.6], 32, 32, 0.3, 3);
    const before = tf.memory().numTensors;
    const r = await estimateMI({ data: x, n, d: 32 }, { data: y, n, d: 32 }, { estimator: 'latent', seed: 1, bootstrap: 0 });
    expect(tf.memory().numTensors).toBe(before);
    expect(Math.abs(r.value - exact)).toBeLessThan(TOL);
    expect(r.ci).toBeNull();
    expect(r.settings).toMatchObject({
      interval: 'none',
      hidden: 128,
      latentDim: 8,
      k: 4,
      encoded: 'true,true',
      nHeldOut: 800,
    });
  });

  it('high-dimensional x against labels: Ross on the code of x', async () => {
    // x = a·t + 0.5ε in 48 dims with t | y ~ N(±1, 1): the projection aᵀx/|a|² is sufficient,
    // so I(x; y) is that of a two-class mixture with means ±1/√(1 + 0.25/|a|²) at unit variance.
    const n = 1600;
    const d = 48;
    const rng = makeRng(7);
    const a = Float64Array.from({ length: d }, () => rng.normal() / Math.sqrt(d));
    const norm2 = a.reduce((s, v) => s + v * v, 0);
    const labels = new Int32Array(n);
    const x = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      labels[i] = rng.int(2);
      const t = (labels[i] ? 1 : -1) + rng.normal();
      for (let c = 0; c < d; c++) x[i * d + c] = a[c] * t + 0.5 * rng.normal();
    }
    const exact = binaryMixtureMI(1 / Math.sqrt(1 + 0.25 / norm2));
    const r = await latentMI({ data: x, n, d }, { labels, n }, { seed: 2 });
    expect(r.encoded).toEqual([true, false]);
    expect(Math.abs(r.value - exact)).toBeLessThan(TOL);
  });

  it('variables no wider than the latent dimension are used as they are (KSG on the held-out half)', async () => {
    const n = 1000;
    const p = correlatedGaussians(n, [0.7, 0.7], 9);
    const r = await latentMI({ data: p.x, n, d: 2 }, { data: p.y, n, d: 2 }, { seed: 1 });
    expect(r.encoded).toEqual([false, false]);
    expect(r.epochs).toBe(0);
    expect(Math.abs(r.value - p.exact)).toBeLessThan(TOL);
  });
});
