/**
 * Image augmentation applied while gathering a mini-batch by index from the flat
 * sample-major array (plain batches come from the engine's gatherRows).
 *
 * Augmentation follows DisCoM-KD's reference code (tanodino/CMKD_Disentangle @ 66d67ce,
 * functions.py `transform` and `MyDataset.__getitem__`): each sample is left as it is with
 * p ½; otherwise it is flipped horizontally (p ½), vertically (p ½), then with p ½ rotated by
 * k·90°, k uniform in {0, 1, 2, 3} (square images only). A sample comes out unchanged with
 * p ½ + ½·3/16 = 19/32 ≈ 0.59 (the 3/16: no flip and k = 0, or both flips and k = 2); not a
 * uniform draw over the 8 symmetries of the square (1/8 unchanged).
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
    const { flipH, flipV, transpose } = drawSymmetry(aug, rotate, rng);
    transformImage(data, idx[i] * size, out, (i - from) * size, h, w, c, flipH, flipV, transpose);
  }
  return out;
}

// x ↦ R_k(V^v(H^h(x))) with p ½, else x   (reference: `if uniform() > .5: x = transform(x)`, transform = HFlip, VFlip, RandomApply(rotate k·90°, p ½))
export function drawSymmetry(aug: AugmentSettings, rotate: boolean, rng: Rng): { flipH: boolean; flipV: boolean; transpose: boolean } {
  if (rng.next() >= 0.5) return { flipH: false, flipV: false, transpose: false };
  const h = aug.flips && rng.next() < 0.5;
  const v = aug.flips && rng.next() < 0.5;
  const k = rotate && rng.next() < 0.5 ? rng.int(4) : 0;
  return symmetryOf(h, v, k);
}

/**
 * transformImage's arguments for "flip horizontally if h, vertically if v, then turn k quarter
 * turns anticlockwise". A quarter-turn power is transformImage's transpose if k is odd, flipH if
 * k ∈ {1, 2}, flipV if k ∈ {2, 3}; the flips before it commute with those, so they toggle them.
 */
export function symmetryOf(h: boolean, v: boolean, k: number): { flipH: boolean; flipV: boolean; transpose: boolean } {
  return { flipH: h !== (k === 1 || k === 2), flipV: v !== (k === 2 || k === 3), transpose: k === 1 || k === 3 };
}
