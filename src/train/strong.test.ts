import { describe, expect, it } from 'vitest';
import { makeRng } from '../util/rng.js';
import { gatherStrong, TABLE_CORRUPTION } from './strong.js';

/** n images [h, w, 1] with a bright 4×4 square on a dark background at a row-dependent place. */
function squares(n: number, h: number, w: number): Float32Array {
  const x = new Float32Array(n * h * w).fill(-1);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) x[i * h * w + (4 + a + (i % 5)) * w + 4 + b] = 2;
  }
  return x;
}

describe('strong augmentation view', () => {
  it('images: deterministic for a seed, changes every image, keeps values within the image range or 0 (cutout)', () => {
    const x = squares(20, 16, 16);
    const rows = Int32Array.from({ length: 20 }, (_, i) => 19 - i);
    const a = gatherStrong(x, [16, 16, 1], rows, makeRng(7));
    const b = gatherStrong(x, [16, 16, 1], rows, makeRng(7));
    expect(a).toEqual(b);
    expect(a).not.toEqual(gatherStrong(x, [16, 16, 1], rows, makeRng(8)));
    for (let i = 0; i < 20; i++) {
      const out = a.subarray(i * 256, (i + 1) * 256);
      const src = x.subarray(rows[i] * 256, (rows[i] + 1) * 256);
      expect(Array.from(out)).not.toEqual(Array.from(src));
      for (const v of out) {
        expect(v).toBeGreaterThanOrEqual(-1 - 1e-6);
        expect(v).toBeLessThanOrEqual(2 + 1e-6);
      }
    }
  });

  it('the same seed gives the same geometric draws to two images of one shape (teacher and student views agree)', () => {
    const x = squares(6, 12, 12);
    const rows = [0, 1, 2, 3, 4, 5];
    const shifted = x.map((v) => v * 3 + 1);
    const a = gatherStrong(x, [12, 12, 1], rows, makeRng(3));
    const b = gatherStrong(shifted, [12, 12, 1], rows, makeRng(3));
    // Where b shows the square (bright), a does too: the same pixels were moved to the same places.
    for (let k = 0; k < a.length; k++) if (b[k] === 7) expect(a[k]).toBeGreaterThan(0);
  });

  it('tables: about 30% of the values come from other rows of the batch, columns stay in place', () => {
    const n = 200;
    const d = 10;
    const x = Float32Array.from({ length: n * d }, (_, k) => Math.floor(k / d) * 100 + (k % d));
    const rows = Int32Array.from({ length: n }, (_, i) => i);
    const out = gatherStrong(x, [d], rows, makeRng(1));
    let replaced = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) {
        const v = out[i * d + j];
        expect(v % 100).toBe(j);
        if (Math.floor(v / 100) !== i) replaced++;
      }
    }
    // Replaced by another row with probability 0.3 · (1 − 1/n).
    expect(replaced / (n * d)).toBeGreaterThan(TABLE_CORRUPTION - 0.05);
    expect(replaced / (n * d)).toBeLessThan(TABLE_CORRUPTION + 0.05);
  });
});
