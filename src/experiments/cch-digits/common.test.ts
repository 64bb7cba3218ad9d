import { describe, expect, it } from 'vitest';
import { addGaussianNoise, groupMeanSd, negativeFrom, rms, signAgreement, signedMeanSd, zeroCrossings } from './common.js';

describe('zeroCrossings', () => {
  it('interpolates each sign change linearly', () => {
    // (1, 2) → (3, −2) crosses at 2; (3, −2) → (4, −1) does not; (4, −1) → (5, 3) crosses at 4.25.
    expect(zeroCrossings([1, 3, 4, 5], [2, -2, -1, 3])).toEqual([2, 4.25]);
  });

  it('reports exact zeros once and skips non-finite points', () => {
    expect(zeroCrossings([0, 1, 2], [1, 0, -1])).toEqual([1]);
    expect(zeroCrossings([0, 1, 2], [1, Number.NaN, -1])).toEqual([1]);
    expect(zeroCrossings([0, 1], [1, 2])).toEqual([]);
    expect(() => zeroCrossings([0, 1], [1])).toThrow(/2 x values for 1 y values/);
  });
});

describe('negativeFrom', () => {
  it('is the first x of the final all-negative run', () => {
    expect(negativeFrom([0, 1, 2, 3, 4], [0.1, -0.1, 0.2, -0.1, -0.3])).toBe(3);
    expect(negativeFrom([0, 1], [-1, -2])).toBe(0);
    expect(negativeFrom([0, 1], [-1, 0])).toBeNaN();
  });
});

describe('addGaussianNoise', () => {
  it('scale 0 copies; otherwise adds N(0, scale²) noise, deterministic per seed', () => {
    const v = new Float32Array(20000).fill(3);
    const same = addGaussianNoise(v, 0, 1);
    expect(same).not.toBe(v);
    expect(Array.from(same)).toEqual(Array.from(v));
    const a = addGaussianNoise(v, 2, 7);
    const b = addGaussianNoise(v, 2, 7);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(v[0]).toBe(3);
    const noise = a.map((x) => x - 3);
    expect(noise.reduce((s, x) => s + x, 0) / noise.length).toBeCloseTo(0, 1);
    expect(rms(noise)).toBeCloseTo(2, 1);
    expect(() => addGaussianNoise(v, -1, 1)).toThrow(/noise scale/);
  });

  it('rms of a hand-computed vector', () => {
    expect(rms([3, 4])).toBeCloseTo(Math.sqrt(12.5));
    expect(rms([])).toBe(0);
  });
});

describe('aggregation helpers', () => {
  it('groupMeanSd keeps first-seen order and uses the sample sd', () => {
    const rows = [
      { g: 'b', v: 1 },
      { g: 'a', v: 5 },
      { g: 'b', v: 3 },
    ];
    const out = groupMeanSd(rows, (r) => r.g, ['v']);
    expect(out.map((o) => o.key)).toEqual(['b', 'a']);
    expect(out[0].stats.v.mean).toBe(2);
    expect(out[0].stats.v.sd).toBeCloseTo(Math.SQRT2);
    expect(out[1].stats.v.sd).toBeNaN();
  });

  it('signAgreement skips zeros and non-finite pairs', () => {
    expect(signAgreement([1, -1, 2, 0, Number.NaN], [2, 1, 3, 5, 1])).toBeCloseTo(2 / 3);
    expect(signAgreement([0], [1])).toBeNaN();
  });

  it('signedMeanSd', () => {
    expect(signedMeanSd(0.0123, 0.004)).toBe('+0.012 ± 0.004');
    expect(signedMeanSd(-0.5, Number.NaN)).toBe('−0.500');
    expect(signedMeanSd(Number.NaN, 1)).toBe('n/a');
  });
});
