/**
 * The `textured` view: an MNIST-M-like colour image. MNIST-M (Ganin & Lempitsky 2015) blends
 * each digit into a random colour photo patch as out = |bg − digit| per channel, so strokes
 * invert the background. Photo patches are not available offline, so each sample gets a
 * synthetic colour texture instead: smooth colour noise, a gradient, stripes, or blobs,
 * plus uniform pixel noise. Each sample's texture is seeded by (seed, original index), so a digit
 * looks the same whatever subsample it lands in.
 */
import { makeRng, type Rng } from '../../util/rng.js';
import { DIGIT_PIXELS, DIGIT_SIZE } from './source.js';

const S = DIGIT_SIZE;
export const TEXTURE_KINDS = ['noise', 'gradient', 'stripes', 'blobs'] as const;
/** Half-width of the uniform per-pixel, per-channel noise added to every background (std 0.06). */
const PIXEL_NOISE = 0.06 * Math.sqrt(3);

type Colour = [number, number, number];

function colour(rng: Rng): Colour {
  return [rng.next(), rng.next(), rng.next()];
}

/** Seed of sample `index`'s texture stream. */
export function textureSeed(seed: number, index: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77)) >>> 0;
}

/** One 28×28×3 background in [0,1], channels last, written into out[offset..]. */
export function synthTexture(rng: Rng, out: Float32Array, offset: number): void {
  const kind = TEXTURE_KINDS[rng.int(TEXTURE_KINDS.length)];
  if (kind === 'noise') {
    // Bilinear upsampling of a g×g grid of random colours.
    const g = 2 + rng.int(5);
    const grid = new Float64Array((g + 1) * (g + 1) * 3);
    for (let j = 0; j < grid.length; j++) grid[j] = rng.next();
    for (let y = 0; y < S; y++) {
      const gy = (y / (S - 1)) * g;
      const y0 = Math.min(Math.floor(gy), g - 1);
      const ty = gy - y0;
      for (let x = 0; x < S; x++) {
        const gx = (x / (S - 1)) * g;
        const x0 = Math.min(Math.floor(gx), g - 1);
        const tx = gx - x0;
        const i00 = (y0 * (g + 1) + x0) * 3;
        const i10 = i00 + (g + 1) * 3;
        const o = offset + (y * S + x) * 3;
        for (let ch = 0; ch < 3; ch++) {
          const top = (1 - tx) * grid[i00 + ch] + tx * grid[i00 + 3 + ch];
          const bottom = (1 - tx) * grid[i10 + ch] + tx * grid[i10 + 3 + ch];
          out[o + ch] = (1 - ty) * top + ty * bottom;
        }
      }
    }
  } else if (kind === 'gradient' || kind === 'stripes') {
    const a = colour(rng);
    const b = colour(rng);
    const theta = rng.next() * Math.PI;
    const dx = Math.cos(theta);
    const dy = Math.sin(theta);
    const cycles = 1.5 + rng.next() * 4;
    const phase = rng.next() * 2 * Math.PI;
    const square = rng.next() < 0.5;
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        const p = ((x - S / 2) * dx + (y - S / 2) * dy) / S + 0.5; // position along the direction, ~[0,1]
        let t: number;
        if (kind === 'gradient') t = Math.min(1, Math.max(0, p));
        else {
          const s = Math.sin(2 * Math.PI * cycles * p + phase);
          t = square ? (s > 0 ? 1 : 0) : 0.5 + 0.5 * s;
        }
        const o = offset + (y * S + x) * 3;
        for (let ch = 0; ch < 3; ch++) out[o + ch] = a[ch] + (b[ch] - a[ch]) * t;
      }
    }
  } else {
    // Blobs: a base colour with 3–6 soft Gaussian spots of other colours painted over it.
    const base = colour(rng);
    for (let p = 0; p < DIGIT_PIXELS; p++) for (let ch = 0; ch < 3; ch++) out[offset + p * 3 + ch] = base[ch];
    const spots = 3 + rng.int(4);
    const ey = new Float64Array(S);
    const ex = new Float64Array(S);
    for (let k = 0; k < spots; k++) {
      const cy = rng.next() * S;
      const cx = rng.next() * S;
      const r = 2 + rng.next() * 6;
      const c = colour(rng);
      for (let t = 0; t < S; t++) {
        ey[t] = Math.exp(-((t - cy) ** 2) / (2 * r * r));
        ex[t] = Math.exp(-((t - cx) ** 2) / (2 * r * r));
      }
      for (let y = 0; y < S; y++) {
        for (let x = 0; x < S; x++) {
          const w = ey[y] * ex[x];
          const o = offset + (y * S + x) * 3;
          for (let ch = 0; ch < 3; ch++) out[o + ch] += (c[ch] - out[o + ch]) * w;
        }
      }
    }
  }
  // Pixel noise from an inline xorshift32 stream (seeded by rng): 2352 draws per image add up.
  let h = rng.seed() | 1;
  for (let j = 0; j < DIGIT_PIXELS * 3; j++) {
    h ^= h << 13;
    h ^= h >>> 17;
    h ^= h << 5;
    const u = (h >>> 0) / 4294967296;
    out[offset + j] = Math.min(1, Math.max(0, out[offset + j] + PIXEL_NOISE * (2 * u - 1)));
  }
}

/**
 * n textured digits (n × 28×28×3): a seeded background per sample and the digit blended
 * MNIST-M style, out = |bg − digit| per channel. `index[i]` is sample i's original index.
 */
export function texturedDigits(images: Float32Array, index: ArrayLike<number>, seed: number): Float32Array {
  const n = index.length;
  const out = new Float32Array(n * DIGIT_PIXELS * 3);
  for (let i = 0; i < n; i++) {
    const offset = i * DIGIT_PIXELS * 3;
    synthTexture(makeRng(textureSeed(seed, index[i])), out, offset);
    for (let p = 0; p < DIGIT_PIXELS; p++) {
      const digit = images[i * DIGIT_PIXELS + p];
      for (let ch = 0; ch < 3; ch++) out[offset + p * 3 + ch] = Math.abs(out[offset + p * 3 + ch] - digit);
    }
  }
  return out;
}
