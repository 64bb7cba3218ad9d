import { describe, expect, it } from 'vitest';
import { CmkdError } from '../util/errors.js';
import { makeRng } from '../util/rng.js';
import { estimateMI } from './estimate.js';
import { normalQuantile, studentQuantile } from './stats.js';
import { binaryGaussianMixture, correlatedGaussians } from './testdata.js';
import type { MIInput } from './types.js';

const pair = (n: number, rhos: number[], seed: number) => {
  const p = correlatedGaussians(n, rhos, seed);
  return { x: { data: p.x, n, d: p.d } as MIInput, y: { data: p.y, n, d: p.d } as MIInput, exact: p.exact };
};

describe('estimateMI: validation', () => {
  const { x, y } = pair(20, [0.5], 1);
  const cases: [string, () => Promise<unknown>, RegExp][] = [
    ['n mismatch', () => estimateMI(x, { data: new Float64Array(19), n: 19, d: 1 }, { estimator: 'ksg' }), /x\.n = 20, y\.n = 19/],
    [
      'NaN',
      () =>
        estimateMI(x, { data: Float64Array.from({ length: 20 }, (_, i) => (i === 13 ? NaN : i)), n: 20, d: 1 }, { estimator: 'gaussian' }),
      /y has a non-finite value \(NaN\) at sample 13, column 0/,
    ],
    [
      'Infinity',
      () =>
        estimateMI({ data: Float32Array.from({ length: 40 }, (_, i) => (i === 5 ? Infinity : i)), n: 20, d: 2 }, y, { estimator: 'ksg' }),
      /x has a non-finite value \(Infinity\) at sample 2, column 1/,
    ],
    ['d = 0', () => estimateMI({ data: new Float64Array(0), n: 20, d: 0 }, y, { estimator: 'ksg' }), /x\.d must be a positive integer/],
    [
      'length',
      () => estimateMI({ data: new Float64Array(30), n: 20, d: 2 }, y, { estimator: 'ksg' }),
      /x\.data has 30 values but x\.n × x\.d = 20 × 2 = 40/,
    ],
    [
      'labels length',
      () => estimateMI(x, { labels: new Int32Array(5), n: 20 }, { estimator: 'ksg' }),
      /y\.labels has 5 entries but y\.n = 20/,
    ],
    ['k ≥ n', () => estimateMI(x, y, { estimator: 'ksg', k: 20 }), /k = 20 must be smaller than the number of samples n = 20/],
    ['k not integer', () => estimateMI(x, y, { estimator: 'ksg', k: 2.5 }), /k must be an integer ≥ 1/],
    [
      'estimator',
      () => estimateMI(x, y, { estimator: 'kde' as never }),
      /unknown estimator 'kde'; expected one of: gaussian, ksg, mine, latent/,
    ],
    ['units', () => estimateMI(x, y, { estimator: 'ksg', units: 'bans' as never }), /unknown units 'bans'/],
    ['ci', () => estimateMI(x, y, { estimator: 'ksg', ci: 95 }), /ci must be a confidence level in \(0, 1\)/],
    [
      'too few samples for MINE',
      () => {
        const small = pair(10, [0.5], 1);
        return estimateMI(small.x, small.y, { estimator: 'mine' });
      },
      /the mine estimator trains a network on part of the samples and needs n ≥ 20, got n = 10/,
    ],
    [
      'half-split too small',
      () => estimateMI(x, y, { estimator: 'ksg', k: 10 }),
      /n = 20 is too small for the half-split interval with k = 10/,
    ],
    [
      'latent half-split too small',
      () => {
        const small = pair(30, [0.5], 1);
        return estimateMI(small.x, small.y, { estimator: 'latent' });
      },
      /n = 30 is too small for the half-split interval \(each half needs 20 samples\); pass --bootstrap 0 for no interval/,
    ],
  ];
  for (const [name, run, message] of cases) {
    it(`rejects ${name} with a CmkdError naming the argument`, async () => {
      await expect(run()).rejects.toThrow(CmkdError);
      await expect(run()).rejects.toThrow(message);
    });
  }
});

describe('estimateMI: values and intervals', () => {
  it('ksg and gaussian near the exact value, with intervals that cover it', async () => {
    const { x, y, exact } = pair(3000, [0.6, 0.4], 3);
    for (const estimator of ['ksg', 'gaussian'] as const) {
      const r = await estimateMI(x, y, { estimator, seed: 1, bootstrap: 20 });
      expect(r.estimator).toBe(estimator);
      expect(r.n).toBe(3000);
      expect(r.units).toBe('nats');
      expect(Math.abs(r.value - exact)).toBeLessThan(0.03);
      expect(r.ci).not.toBeNull();
      const [lo, hi] = r.ci!;
      expect(lo).toBeLessThan(r.value);
      expect(hi).toBeGreaterThan(r.value);
      expect(lo).toBeLessThan(exact);
      expect(hi).toBeGreaterThan(exact);
      // Width of a 95% interval at n = 3000: a few hundredths of a nat.
      expect(hi - lo).toBeGreaterThan(0.01);
      expect(hi - lo).toBeLessThan(0.15);
    }
  });

  it('half-split intervals are θ̂ ± t_R·se: Student t with R degrees of freedom, not z', async () => {
    const { x, y } = pair(600, [0.6, 0.4], 11);
    const rng = makeRng(2);
    const a = Int32Array.from({ length: 600 }, () => rng.int(3));
    const b = Int32Array.from(a, (v) => (rng.next() < 0.7 ? v : rng.int(3)));
    const cases: [string, MIInput, MIInput, 'ksg' | 'gaussian'][] = [
      ['ksg', x, y, 'ksg'],
      ['gaussian', x, y, 'gaussian'],
      ['plug-in', { labels: a, n: 600 }, { labels: b, n: 600 }, 'ksg'],
    ];
    for (const [, u, v, estimator] of cases)
      for (const R of [3, 20]) {
        const r = await estimateMI(u, v, { estimator, seed: 4, bootstrap: R });
        const se = r.settings.standardError as number;
        const raw = r.settings.unclipped as number;
        expect(raw - 3 * se).toBeGreaterThan(0); // no clipping at 0, so the half-width is the multiplier × se
        const halfWidth = (r.ci![1] - r.ci![0]) / 2;
        expect(halfWidth / se).toBeCloseTo(studentQuantile(0.975, R), 10);
        // t_R / z at 95 %: 3.182 / 1.960 at R = 3, 2.086 / 1.960 = 1.064 at R = 20.
        expect(halfWidth / (normalQuantile(0.975) * se)).toBeCloseTo(R === 3 ? 1.6237 : 1.0643, 4);
      }
  });

  it('half-split standard error of KSG agrees with the spread over independent samples', async () => {
    const values: number[] = [];
    let se = 0;
    for (let s = 0; s < 8; s++) {
      const { x, y } = pair(1000, [0.7], 50 + s);
      const r = await estimateMI(x, y, { estimator: 'ksg', seed: s, bootstrap: s === 0 ? 40 : 0 });
      values.push(r.value);
      if (s === 0) se = r.settings.standardError as number;
    }
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
    expect(se / sd).toBeGreaterThan(0.5);
    expect(se / sd).toBeLessThan(2);
  });

  it('bits = nats / ln 2, and bootstrap: 0 gives no interval', async () => {
    const { x, y } = pair(500, [0.8], 4);
    const nats = await estimateMI(x, y, { estimator: 'ksg', seed: 2, bootstrap: 0 });
    const bits = await estimateMI(x, y, { estimator: 'ksg', seed: 2, bootstrap: 0, units: 'bits' });
    expect(bits.value).toBeCloseTo(nats.value / Math.LN2, 12);
    expect(bits.units).toBe('bits');
    expect(nats.ci).toBeNull();
    expect(nats.settings.interval).toBe('none');
  });

  it('is a pure function of its seed', async () => {
    const { x, y } = pair(800, [0.5], 5);
    const a = await estimateMI(x, y, { estimator: 'ksg', seed: 9, bootstrap: 5 });
    const b = await estimateMI(x, y, { estimator: 'ksg', seed: 9, bootstrap: 5 });
    expect(b).toEqual(a);
  });

  it('clips at 0 for independent variables, as sklearn', async () => {
    const { x, y } = pair(1000, [0], 6);
    const r = await estimateMI(x, y, { estimator: 'ksg', seed: 3, bootstrap: 10 });
    expect(r.value).toBeGreaterThanOrEqual(0);
    expect(r.value).toBeLessThan(0.02);
    expect(r.ci![0]).toBe(0);
  });

  it('continuous–discrete in either order: Ross for ksg, class-conditional Gaussians for gaussian', async () => {
    const { x, labels, exact } = binaryGaussianMixture(3000, 1, 8);
    const cx: MIInput = { data: x, n: 3000, d: 1 };
    const ly: MIInput = { labels, n: 3000 };
    for (const estimator of ['ksg', 'gaussian'] as const) {
      const ab = await estimateMI(cx, ly, { estimator, seed: 1, bootstrap: 10 });
      const ba = await estimateMI(ly, cx, { estimator, seed: 1, bootstrap: 10 });
      expect(ba.value).toBe(ab.value);
      expect(Math.abs(ab.value - exact)).toBeLessThan(0.04);
    }
    expect((await estimateMI(cx, ly, { estimator: 'ksg', bootstrap: 0 })).settings.method).toMatch(/Ross/);
  });

  it('discrete–discrete: plug-in MI with a half-split interval', async () => {
    const rng = makeRng(1);
    const n = 4000;
    const a = Int32Array.from({ length: n }, () => rng.int(2));
    const b = Int32Array.from(a, (v) => (rng.next() < 0.9 ? v : 1 - v));
    // I = log 2 − H_b(0.1) for a binary symmetric channel with flip probability 0.1.
    const exact = Math.log(2) + 0.1 * Math.log(0.1) + 0.9 * Math.log(0.9);
    const r = await estimateMI({ labels: a, n }, { labels: b, n }, { estimator: 'ksg', bootstrap: 50 });
    expect(Math.abs(r.value - exact)).toBeLessThan(0.02);
    expect(r.ci![0]).toBeLessThan(exact);
    expect(r.ci![1]).toBeGreaterThan(exact);
    expect(r.settings.method).toMatch(/plug-in/);
  });
});
