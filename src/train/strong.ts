/**
 * The strong-augmentation view MLKD trains on besides the plain (weak) one (Jin et al., CVPR
 * 2023). The reference (Multi-Level-Logit-Distillation, as copied into logit-standardization-KD
 * mdistiller/dataset/cifar100.py `get_cifar100_train_transform_strong`) builds it as
 * RandomCrop(32, padding 4) → RandomHorizontalFlip → RandAugment(n = 2): two ops drawn with
 * replacement from 14 PIL ops, each at a uniform random magnitude, then Cutout of a square of
 * side U(0, 0.5)·W at a uniform centre, filled with the dataset's mean colour.
 *
 * What cmkd does, and why it differs:
 *  - Images [H, W, C] (standardised floats, not 8-bit PIL images): random translation by up to
 *    round(4/32·H) pixels (the reference's crop padding, scaled to the image), two ops drawn from
 *    the reference's list restricted to those defined on any float image — Identity, Brightness
 *    (0.05–0.95, a blend towards the image's minimum, PIL's black), Contrast (0.05–0.95, a blend
 *    towards the image's mean), Solarize (threshold uniform over the image's range), Rotate (±30°),
 *    ShearX/ShearY (±0.3), TranslateX/TranslateY (±0.3·W) — then the reference's Cutout, filled
 *    with 0, the training mean after standardisation. Left out: AutoContrast, Equalize, Posterize,
 *    Sharpness and Color, which need 8-bit histograms or RGB; and the horizontal flip, which
 *    changes the class of some digits (2, 5, 7 mirrored).
 *  - Tables [d] (the reference has none): each feature is replaced, with probability 0.3, by the
 *    same feature of another row of the batch — a draw from its empirical marginal, as SCARF
 *    (Bahri et al., ICLR 2022) corrupts rows for a contrastive view.
 * Geometric ops resample with nearest neighbour; pixels from outside the image take the image's
 * minimum (PIL's zero padding is black).
 */
import type { Rng } from '../util/rng.js';

/** Probability that a table feature is replaced by another row's value. */
export const TABLE_CORRUPTION = 0.3;
/** RandAugment's number of ops per image (reference RandAugment(2, 10)). */
export const RANDAUGMENT_OPS = 2;

const IMAGE_OPS = ['identity', 'brightness', 'contrast', 'solarize', 'rotate', 'shearX', 'shearY', 'translateX', 'translateY'] as const;
type ImageOp = (typeof IMAGE_OPS)[number];

/** A 2-D affine map from output (x, y) to input coordinates: [a, b, c, d, e, f] as PIL's AFFINE data. */
type Affine = [number, number, number, number, number, number];

// PIL Image.transform(AFFINE, (a,b,c,d,e,f)): output (x, y) reads input (a·x + b·y + c, d·x + e·y + f)
function compose(outer: Affine, inner: Affine): Affine {
  // (x, y) → inner → outer: first apply inner's map to (x, y), then outer's to the result.
  const [a1, b1, c1, d1, e1, f1] = outer;
  const [a2, b2, c2, d2, e2, f2] = inner;
  return [a1 * a2 + b1 * d2, a1 * b2 + b1 * e2, a1 * c2 + b1 * f2 + c1, d1 * a2 + e1 * d2, d1 * b2 + e1 * e2, d1 * c2 + e1 * f2 + f1];
}

function rotation(degrees: number, w: number, h: number): Affine {
  // PIL rotate(v): counter-clockwise about the centre; the inverse map turns the output point back.
  const t = (degrees * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  return [cos, sin, cx - cos * cx - sin * cy, -sin, cos, cy + sin * cx - cos * cy];
}

/** One image [h, w, c] from `src` at `srcOff`, strongly augmented into `dst` at `dstOff`. */
function strongImage(src: Float32Array, srcOff: number, dst: Float32Array, dstOff: number, shape: number[], rng: Rng): void {
  const [h, w, c] = shape;
  const size = h * w * c;
  let lo = Infinity;
  let hi = -Infinity;
  let sum = 0;
  for (let i = 0; i < size; i++) {
    const v = src[srcOff + i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    sum += v;
  }
  const mean = sum / size;
  // Random crop with padding: a translation by up to `pad` pixels each way.
  const pad = Math.max(1, Math.round((4 / 32) * h));
  let map: Affine = [1, 0, rng.int(2 * pad + 1) - pad, 0, 1, rng.int(2 * pad + 1) - pad];
  const pixelOps: ((v: number) => number)[] = [];
  for (let k = 0; k < RANDAUGMENT_OPS; k++) {
    const op: ImageOp = IMAGE_OPS[rng.int(IMAGE_OPS.length)];
    const u = rng.next();
    const between = (min: number, max: number) => min + (max - min) * u;
    switch (op) {
      case 'identity':
        break;
      case 'brightness': {
        const f = between(0.05, 0.95);
        pixelOps.push((v) => lo + f * (v - lo));
        break;
      }
      case 'contrast': {
        const f = between(0.05, 0.95);
        pixelOps.push((v) => mean + f * (v - mean));
        break;
      }
      case 'solarize': {
        const threshold = between(lo, hi);
        pixelOps.push((v) => (v >= threshold ? hi + lo - v : v));
        break;
      }
      case 'rotate':
        map = compose(map, rotation(between(-30, 30), w, h));
        break;
      case 'shearX':
        map = compose(map, [1, between(-0.3, 0.3), 0, 0, 1, 0]);
        break;
      case 'shearY':
        map = compose(map, [1, 0, 0, between(-0.3, 0.3), 1, 0]);
        break;
      case 'translateX':
        map = compose(map, [1, 0, between(-0.3, 0.3) * w, 0, 1, 0]);
        break;
      case 'translateY':
        map = compose(map, [1, 0, 0, 0, 1, between(-0.3, 0.3) * h]);
        break;
    }
  }
  // Cutout (reference): side v = U(0, 0.5)·W at a uniform centre, clipped to the image.
  const side = rng.next() * 0.5 * w;
  const x0 = Math.floor(Math.max(0, rng.next() * w - side / 2));
  const y0 = Math.floor(Math.max(0, rng.next() * h - side / 2));
  const x1 = Math.min(w, x0 + side);
  const y1 = Math.min(h, y0 + side);
  const [a, b, cc, d, e, f] = map;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const to = dstOff + (y * w + x) * c;
      if (side > 0 && x >= x0 && x < x1 && y >= y0 && y < y1) {
        for (let k = 0; k < c; k++) dst[to + k] = 0;
        continue;
      }
      const sx = Math.round(a * x + b * y + cc);
      const sy = Math.round(d * x + e * y + f);
      const inside = sx >= 0 && sx < w && sy >= 0 && sy < h;
      for (let k = 0; k < c; k++) {
        let v = inside ? src[srcOff + (sy * w + sx) * c + k] : lo;
        for (const op of pixelOps) v = op(v);
        dst[to + k] = v;
      }
    }
  }
}

/**
 * Rows `idx` of `data` (sample-major, per-sample `shape`) with the strong augmentation: images
 * [H, W, C] as described above, tables [d] by marginal corruption within the batch.
 */
export function gatherStrong(data: Float32Array, shape: number[], idx: ArrayLike<number>, rng: Rng): Float32Array {
  const size = shape.reduce((p, q) => p * q, 1);
  const b = idx.length;
  const out = new Float32Array(b * size);
  if (shape.length === 3) {
    for (let i = 0; i < b; i++) strongImage(data, idx[i] * size, out, i * size, shape, rng);
    return out;
  }
  for (let i = 0; i < b; i++) {
    const row = idx[i] * size;
    for (let j = 0; j < size; j++) {
      const from = rng.next() < TABLE_CORRUPTION ? idx[rng.int(b)] * size : row;
      out[i * size + j] = data[from + j];
    }
  }
  return out;
}
