/**
 * The reference code's geometric augmentation for image modalities: each sample, with
 * probability ½, gets a random horizontal flip (p ½), vertical flip (p ½) and, for square
 * images, a rotation by a random multiple of 90° (p ½). Colour jitter is left out.
 */
import type { Rng } from '../../util/rng.js';

/** Augmented copy of `n` HWC images stored sample-major in `data`. */
export function augmentImages(data: Float32Array, n: number, shape: number[], rng: Rng): Float32Array {
  const [H, W, C] = shape;
  const size = H * W * C;
  const out = new Float32Array(data.length);
  for (let s = 0; s < n; s++) {
    const src = data.subarray(s * size, (s + 1) * size);
    const dst = out.subarray(s * size, (s + 1) * size);
    if (rng.next() >= 0.5) {
      dst.set(src);
      continue;
    }
    const hflip = rng.next() < 0.5;
    const vflip = rng.next() < 0.5;
    const quarterTurns = H === W && rng.next() < 0.5 ? rng.int(4) : 0;
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        // Output pixel (i, j) reads the flipped source at the pre-rotation position.
        let si = i;
        let sj = j;
        for (let q = 0; q < quarterTurns; q++) {
          const t = si;
          si = sj;
          sj = H - 1 - t;
        }
        if (vflip) si = H - 1 - si;
        if (hflip) sj = W - 1 - sj;
        const o = (i * W + j) * C;
        const p = (si * W + sj) * C;
        for (let c = 0; c < C; c++) dst[o + c] = src[p + c];
      }
    }
  }
  return out;
}
