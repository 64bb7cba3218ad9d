/**
 * The views of a digit, each a pure function of the 28×28 grey image (values in [0,1]):
 * feature tables in the spirit of UCI "Multiple Features" (block averages, projection
 * profiles, Fourier magnitudes) and the Gaussian blur used to degrade a teacher modality.
 */
import { check } from '../../util/errors.js';
import type { Modality } from '../types.js';
import { DIGIT_PIXELS, DIGIT_SIZE } from './source.js';

const S = DIGIT_SIZE;

// ---------------------------------------------------------------------------------------
// blocks: 7×7 means of 4×4 pixel blocks (49 features), a strong, low-resolution view.

export const BLOCK = 4;
const NB = S / BLOCK;

export function blockColumns(): string[] {
  const cols: string[] = [];
  for (let r = 0; r < NB; r++) for (let c = 0; c < NB; c++) cols.push(`block_r${r}_c${c}`);
  return cols;
}

export function blockFeatures(images: Float32Array, n: number): Float32Array {
  const d = NB * NB;
  const out = new Float32Array(n * d);
  const scale = 1 / (BLOCK * BLOCK);
  for (let i = 0; i < n; i++) {
    const img = i * DIGIT_PIXELS;
    for (let y = 0; y < S; y++) {
      const rowOut = i * d + ((y / BLOCK) | 0) * NB;
      for (let x = 0; x < S; x++) out[rowOut + ((x / BLOCK) | 0)] += images[img + y * S + x] * scale;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// profiles: mean ink of each row and each column (28 + 28 = 56 features).

export function profileColumns(): string[] {
  const cols: string[] = [];
  for (let y = 0; y < S; y++) cols.push(`row_${y}`);
  for (let x = 0; x < S; x++) cols.push(`col_${x}`);
  return cols;
}

export function profileFeatures(images: Float32Array, n: number): Float32Array {
  const d = 2 * S;
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const img = i * DIGIT_PIXELS;
    const o = i * d;
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        const v = images[img + y * S + x] / S;
        out[o + y] += v;
        out[o + S + x] += v;
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// fourier: |F(u,v)|/784 of the 2-D DFT at low frequencies u ∈ 0..K, v ∈ −K..K (half plane,
// since |F(−u,−v)| = |F(u,v)| for a real image). Magnitudes ignore where the digit sits:
// a weaker, shift-invariant view.

export const FOURIER_K = 5;

function fourierFreqs(): [number, number][] {
  const freqs: [number, number][] = [];
  for (let u = 0; u <= FOURIER_K; u++) {
    for (let v = -FOURIER_K; v <= FOURIER_K; v++) if (u > 0 || v >= 0) freqs.push([u, v]);
  }
  return freqs;
}

export function fourierColumns(): string[] {
  return fourierFreqs().map(([u, v]) => `dft_u${u}_v${v}`);
}

export function fourierFeatures(images: Float32Array, n: number): Float32Array {
  const freqs = fourierFreqs();
  const d = freqs.length;
  const vs = Array.from({ length: 2 * FOURIER_K + 1 }, (_, j) => j - FOURIER_K);
  const twiddleCos = new Float64Array(S);
  const twiddleSin = new Float64Array(S);
  for (let t = 0; t < S; t++) {
    twiddleCos[t] = Math.cos((2 * Math.PI * t) / S);
    twiddleSin[t] = Math.sin((2 * Math.PI * t) / S);
  }
  const out = new Float32Array(n * d);
  // G(y, v) = Σ_x f(y,x) e^{−2πi vx/28}, then F(u, v) = Σ_y G(y, v) e^{−2πi uy/28}.
  const gRe = new Float64Array(S * vs.length);
  const gIm = new Float64Array(S * vs.length);
  for (let i = 0; i < n; i++) {
    const img = i * DIGIT_PIXELS;
    for (let y = 0; y < S; y++) {
      for (let j = 0; j < vs.length; j++) {
        let sr = 0;
        let si = 0;
        const v = vs[j] + S;
        for (let x = 0; x < S; x++) {
          const f = images[img + y * S + x];
          if (f === 0) continue;
          const k = (v * x) % S;
          sr += f * twiddleCos[k];
          si -= f * twiddleSin[k];
        }
        gRe[y * vs.length + j] = sr;
        gIm[y * vs.length + j] = si;
      }
    }
    for (let j = 0; j < d; j++) {
      const [u, v] = freqs[j];
      const jv = v + FOURIER_K;
      let sr = 0;
      let si = 0;
      for (let y = 0; y < S; y++) {
        const k = (u * y) % S;
        const c = twiddleCos[k];
        const s = -twiddleSin[k];
        const a = gRe[y * vs.length + jv];
        const b = gIm[y * vs.length + jv];
        sr += a * c - b * s;
        si += a * s + b * c;
      }
      out[i * d + j] = Math.hypot(sr, si) / DIGIT_PIXELS;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// blur: the CCH paper's degraded teacher. Separable Gaussian, radius ⌈3σ⌉, half-sample
// symmetric ("reflect") padding, which keeps each image's total intensity exactly.

export function gaussianKernel(sigma: number): Float64Array {
  const radius = Math.ceil(3 * sigma);
  const k = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let t = -radius; t <= radius; t++) sum += k[t + radius] = Math.exp(-(t * t) / (2 * sigma * sigma));
  for (let t = 0; t < k.length; t++) k[t] /= sum;
  return k;
}

/** Index of position j in a length-n signal extended by half-sample symmetric reflection (… b a | a b … y z | z y …). */
function reflect(j: number, n: number): number {
  const m = ((j % (2 * n)) + 2 * n) % (2 * n);
  return m < n ? m : 2 * n - 1 - m;
}

/** Gaussian blur of n images of shape [h, w, c] (channels last); σ in pixels, σ = 0 copies. */
export function blurImages(data: Float32Array, n: number, h: number, w: number, c: number, sigma: number): Float32Array {
  if (sigma === 0) return data.slice();
  const k = gaussianKernel(sigma);
  const r = (k.length - 1) / 2;
  const out = new Float32Array(data.length);
  const tmp = new Float64Array(h * w);
  const size = h * w * c;
  for (let i = 0; i < n; i++) {
    const base = i * size;
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          let s = 0;
          for (let t = -r; t <= r; t++) s += k[t + r] * data[base + (y * w + reflect(x + t, w)) * c + ch];
          tmp[y * w + x] = s;
        }
      }
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          let s = 0;
          for (let t = -r; t <= r; t++) s += k[t + r] * tmp[reflect(y + t, h) * w + x];
          out[base + (y * w + x) * c + ch] = s;
        }
      }
    }
  }
  return out;
}

/** '2' for 2, '1p5' for 1.5: a σ that can sit in a modality name. */
export function sigmaTag(sigma: number): string {
  return String(sigma).replace('.', 'p');
}

/**
 * A blurred copy of an image modality, named `<name>_blur<σ>` (σ = 1.5 → `_blur1p5`).
 * Pure: the input is not modified.
 */
export function blurModality(m: Modality, sigma: number): Modality {
  check(
    m.kind === 'image' && m.shape.length === 3,
    `blur: modality '${m.name}' is a ${m.kind} of shape [${m.shape.join(', ')}]; expected an image [H, W, C]`,
  );
  check(Number.isFinite(sigma) && sigma >= 0 && sigma <= 100, `blur: σ for '${m.name}' must be a number in [0, 100] pixels, got ${sigma}`);
  const [h, w, c] = m.shape;
  const n = m.data.length / (h * w * c);
  return {
    name: `${m.name}_blur${sigmaTag(sigma)}`,
    kind: 'image',
    shape: [...m.shape],
    data: blurImages(m.data, n, h, w, c, sigma),
    source: `${m.source ?? m.name} blurred σ=${sigma}px`,
  };
}
