/**
 * Image augmentation applied while gathering a mini-batch by index from the flat
 * sample-major array (plain batches come from the engine's gatherRows).
 *
 * Augmentation follows DisCoM-KD: random horizontal flip, random vertical flip and (square
 * images) random 90° rotation, i.e. a uniform draw from the 8 symmetries of the square.
 * It is off by default: for digits a flip or rotation changes the identity of some classes
 * (6 ↔ 9, mirrored 2/5/7), so it only suits images whose label is orientation-free (remote
 * sensing, textures, microscopy).
 */
import type { Rng } from '../util/rng.js';

export interface AugmentSettings {
  flips: boolean;
  /** 90° rotations; only applied to square images. */
  rotations: boolean;
}

/** The augmentation an option asks for: true = flips and 90° rotations, an object picks them, false = none. */
export function augmentSettings(option: boolean | Partial<AugmentSettings> | undefined): AugmentSettings | null {
  if (!option) return null;
  return option === true ? { flips: true, rotations: true } : { flips: option.flips ?? false, rotations: option.rotations ?? false };
}

/**
 * Write image `src` ([h, w, c], flat) into `dst` transformed: output pixel (i, j) takes input
 * pixel (a, b) where (a, b) is (i, j) transposed (if `transpose`), then mirrored vertically
 * and horizontally as asked. Transpose + one flip is a 90° rotation.
 */
export function transformImage(
  src: Float32Array,
  srcOff: number,
  dst: Float32Array,
  dstOff: number,
  h: number,
  w: number,
  c: number,
  flipH: boolean,
  flipV: boolean,
  transpose: boolean,
): void {
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      let a = transpose ? j : i;
      let b = transpose ? i : j;
      if (flipV) a = h - 1 - a;
      if (flipH) b = w - 1 - b;
      const from = srcOff + (a * w + b) * c;
      const to = dstOff + (i * w + j) * c;
      for (let k = 0; k < c; k++) dst[to + k] = src[from + k];
    }
  }
}

/** Like gatherBatch for images [h, w, c], each row randomly flipped / rotated per `aug`. */
export function gatherAugmented(
  data: Float32Array,
  shape: number[],
  idx: ArrayLike<number>,
  from: number,
  to: number,
  aug: AugmentSettings,
  rng: Rng,
): Float32Array {
  const [h, w, c] = shape;
  const size = h * w * c;
  const out = new Float32Array((to - from) * size);
  const rotate = aug.rotations && h === w;
  for (let i = from; i < to; i++) {
    let flipH = false;
    let flipV = false;
    let transpose = false;
    if (aug.flips) {
      // Flips (and the transpose, for square images) drawn independently: uniform over the symmetries.
      flipH = rng.next() < 0.5;
      flipV = rng.next() < 0.5;
      transpose = rotate && rng.next() < 0.5;
    } else if (rotate) {
      // Rotations only: k·90° for k uniform in 0..3 (transpose + one flip is a quarter turn).
      const k = rng.int(4);
      transpose = k === 1 || k === 3;
      flipH = k === 1 || k === 2;
      flipV = k === 2 || k === 3;
    }
    transformImage(data, idx[i] * size, out, (i - from) * size, h, w, c, flipH, flipV, transpose);
  }
  return out;
}
