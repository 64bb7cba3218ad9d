import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../engine/index.js';
import { estimateMI } from './estimate.js';
import { makeRng } from '../util/rng.js';
import { infoNceBatch, INFONCE_EMBEDDING, mineMI, SeparableCritic } from './mine.js';
import { binaryGaussianMixture, correlatedGaussians } from './testdata.js';

// Stated tolerance for MINE: within 0.1 nats of the exact value at n = 2000 (it tends to under-estimate).
const TOL = 0.1;

beforeAll(async () => {
  await initEngine();
});

describe('MINE', () => {
  it('Donsker–Varadhan: correlated Gaussians (2 + 2 dims, ρ = 0.5) near −½Σlog(1−ρ²), with a repeated-split interval', async () => {
    const n = 2000;
    const p = correlatedGaussians(n, [0.5, 0.5], 1);
    const before = tf.memory().numTensors;
    const r = await estimateMI({ data: p.x, n, d: 2 }, { data: p.y, n, d: 2 }, { estimator: 'mine', seed: 1, bootstrap: 2 });
    expect(tf.memory().numTensors).toBe(before);
    expect(Math.abs(r.value - p.exact)).toBeLessThan(TOL);
    expect(r.settings.interval).toBe('repeated-split');
    expect(r.settings.bound).toBe('dv');
    expect(r.settings.batchSize).toBe(128);
    expect(r.ci![0]).toBeLessThanOrEqual(r.value);
    expect(r.ci![1]).toBeGreaterThanOrEqual(r.value);
  });

  it('independent variables: held-out bound ≈ 0 and early stopping kicks in', async () => {
    const n = 1500;
    const p = correlatedGaussians(n, [0], 2);
    const r = await mineMI(Float32Array.from(p.x), 1, Float32Array.from(p.y), 1, n, { seed: 3 });
    expect(Math.abs(r.value)).toBeLessThan(0.05);
    expect(r.epochs).toBeLessThan(200);
    expect(r.nHeldOut).toBe(450);
  });

  it('InfoNCE bound: near the exact value, and never above log B', async () => {
    const n = 1000;
    const p = correlatedGaussians(n, [0.6], 4);
    const r = await mineMI(Float32Array.from(p.x), 1, Float32Array.from(p.y), 1, n, {
      seed: 1,
      bound: 'infonce',
      hidden: 32,
      epochs: 12,
      batchSize: 32,
    });
    expect(r.batchSize).toBe(32);
    expect(r.value).toBeLessThan(Math.log(32));
    expect(Math.abs(r.value - p.exact)).toBeLessThan(TOL);
  });

  it('settings report the batch actually used: the option capped at the training rows', async () => {
    const n = 100;
    const p = correlatedGaussians(n, [0.6], 4);
    const r = await estimateMI(
      { data: p.x, n, d: 1 },
      { data: p.y, n, d: 1 },
      { estimator: 'mine', bound: 'infonce', epochs: 2, bootstrap: 0 },
    );
    expect(r.settings).toMatchObject({ method: 'MINE (infonce, separable critic)', bound: 'infonce', batchSize: 70, nHeldOut: 30 });
    expect(r.value).toBeLessThan(Math.log(70));
  });

  it('InfoNCE separable critic: the B×B scores are f(X) g(Y)ᵀ, and the batch bound is mean_i [T_ii − log mean_j e^{T_ij}]', () => {
    const [b, dx, dy] = [5, 3, 2];
    const rng = makeRng(8);
    const xs = Float32Array.from({ length: b * dx }, () => rng.normal());
    const ys = Float32Array.from({ length: b * dy }, () => rng.normal());
    const critic = new SeparableCritic(dx, dy, 16, INFONCE_EMBEDDING, rng);
    const before = tf.memory().numTensors;
    const [scores, fx, gy, bound] = tf.tidy(() => {
      const x = tf.tensor2d(xs, [b, dx]);
      const y = tf.tensor2d(ys, [b, dy]);
      const f = critic.f.apply(x);
      const g = critic.g.apply(y);
      return [critic.scores(x, y).arraySync(), f.arraySync(), g.arraySync(), infoNceBatch(f, g).arraySync()];
    });
    critic.dispose();
    expect(tf.memory().numTensors).toBe(before - critic.variables.length);
    expect(fx[0]).toHaveLength(INFONCE_EMBEDDING);
    const t = fx.map((fi) => gy.map((gj) => fi.reduce((s, v, c) => s + v * gj[c], 0)));
    for (let i = 0; i < b; i++) for (let j = 0; j < b; j++) expect(scores[i][j]).toBeCloseTo(t[i][j], 4);
    const exact = t.reduce((s, row, i) => s + row[i] - Math.log(row.reduce((q, v) => q + Math.exp(v), 0) / b), 0) / b;
    expect(bound).toBeCloseTo(exact, 4);
  });

  it('discrete labels enter one-hot: x | y ~ N(±1, 1)', async () => {
    const n = 2000;
    const { x, labels, exact } = binaryGaussianMixture(n, 1, 5);
    const r = await estimateMI({ data: x, n, d: 1 }, { labels, n }, { estimator: 'mine', seed: 2, bootstrap: 0 });
    expect(r.ci).toBeNull();
    expect(Math.abs(r.value - exact)).toBeLessThan(TOL);
  });

  it('is reproducible from its seed', async () => {
    const n = 600;
    const p = correlatedGaussians(n, [0.7], 6);
    const run = () => mineMI(Float32Array.from(p.x), 1, Float32Array.from(p.y), 1, n, { seed: 5, epochs: 5 });
    expect((await run()).value).toBe((await run()).value);
  });
});
