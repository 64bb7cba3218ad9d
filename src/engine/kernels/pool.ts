/**
 * MaxPoolGrad for the wasm backend. TF.js 4.22's wasm MaxPoolGrad routes the gradient to the
 * wrong element when a window's maximum is negative (found by this module's tests against
 * the cpu backend), so this replaces it: each window's dy goes to its first maximum, as on cpu.
 * The usual 2×2/2 pooling runs branch-free: in wasm SIMD (simd.ts) when the channels come in
 * fours, else as a JavaScript tournament.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { simdLoops } from './simd.js';
import { heapF32, type Info } from './wasm.js';

interface MaxPoolGradAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function maxPoolGrad({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: MaxPoolGradAttrs }): Info {
  const { dy, input } = inputs as { dy: Info; input: Info };
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { filterHeight: FH, filterWidth: FW, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const out = backend.makeOutput([...input.shape], 'float32');
  const xs = heapF32(backend, input);
  const dys = heapF32(backend, dy);
  const dx = heapF32(backend, out);
  const tiled = FH === sh && FW === sw && top === 0 && left === 0 && OH * sh <= H && OW * sw <= W;
  if (tiled) {
    if (OH * sh < H || OW * sw < W) dx.fill(0);
    const simd = FH === 2 && FW === 2 && C % 4 === 0 ? simdLoops(backend) : null;
    if (simd) {
      // Four channels per instruction, branch-free (src/engine/kernels/simd.ts); JS drives the rows.
      const at = (t: Info): number => backend.dataIdMap.get(t.dataId)!.memoryOffset;
      const [x0, dy0, dx0] = [at(input), at(dy), at(out)];
      for (let n = 0; n < N; n++) {
        for (let oh = 0; oh < OH; oh++) {
          const row = ((n * H + 2 * oh) * W * C) << 2;
          simd.maxPoolGradRow(x0 + row, dy0 + (((n * OH + oh) * OW * C) << 2), dx0 + row, OW, C << 2, (W * C) << 2);
        }
      }
      return out;
    }
    tiledMaxPoolGrad(xs, dys, dx, N, H, W, C, OH, OW, FH, FW);
    return out;
  }
  dx.fill(0);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      const ihLo = Math.max(0, oh * sh - top);
      const ihHi = Math.min(H, oh * sh - top + FH);
      for (let ow = 0; ow < OW; ow++) {
        const iwLo = Math.max(0, ow * sw - left);
        const iwHi = Math.min(W, ow * sw - left + FW);
        if (ihLo >= ihHi || iwLo >= iwHi) continue;
        const g = ((n * OH + oh) * OW + ow) * C;
        const first = ((n * H + ihLo) * W + iwLo) * C;
        for (let c = 0; c < C; c++) {
          let bestAt = first + c;
          let best = xs[bestAt];
          for (let ih = ihLo; ih < ihHi; ih++) {
            for (let iw = iwLo, at = ((n * H + ih) * W + iwLo) * C + c; iw < iwHi; iw++, at += C) {
              const v = xs[at];
              if (v > best) {
                best = v;
                bestAt = at;
              }
            }
          }
          dx[bestAt] += dys[g + c];
        }
      }
    }
  }
  return out;
}

/**
 * Windows that tile the input (stride = window, no padding; the usual 2×2 pooling): every
 * input element lies in at most one window, so each is written once, dy at its window's
 * first maximum and 0 elsewhere, with no zero-fill pass and no scattered accumulation.
 */
function tiledMaxPoolGrad(
  xs: Float32Array,
  dys: Float32Array,
  dx: Float32Array,
  N: number,
  H: number,
  W: number,
  C: number,
  OH: number,
  OW: number,
  FH: number,
  FW: number,
): void {
  const rowStride = W * C;
  if (FH === 2 && FW === 2) {
    tiled2x2(xs, dys, dx, N, H, W, C, OH, OW);
    return;
  }
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const g = ((n * OH + oh) * OW + ow) * C;
        const first = ((n * H + oh * FH) * W + ow * FW) * C;
        for (let c = 0; c < C; c++) {
          let bestAt = first + c;
          let best = xs[bestAt];
          for (let i = 0; i < FH; i++) {
            for (let j = 0, at = first + i * rowStride + c; j < FW; j++, at += C) {
              dx[at] = 0;
              if (xs[at] > best) {
                best = xs[at];
                bestAt = at;
              }
            }
          }
          dx[bestAt] = dys[g + c];
        }
      }
    }
  }
}

/**
 * The 2×2/2 case without unpredictable branches (a branch per comparison mispredicts on about
 * half of all windows; this runs ≈3× faster): dx is zeroed with one fill, then each window's
 * first maximum is found as a tournament whose comparisons become offsets ((x > y) | 0 compiles
 * without a branch; Math.max does not): (0 vs 1), (2 vs 3), then the two winners, ties going to
 * the earlier element. That is the first maximum in window order, as the comparison chain finds
 * it, also when position 0 or 1 holds a NaN; a NaN at position 2 or 3 (which the chain skips and
 * the tournament would not) sends that window to the chain.
 */
function tiled2x2(
  xs: Float32Array,
  dys: Float32Array,
  dx: Float32Array,
  N: number,
  H: number,
  W: number,
  C: number,
  OH: number,
  OW: number,
): void {
  dx.fill(0);
  const rowStride = W * C;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      let g = (n * OH + oh) * OW * C;
      let p0 = (n * H + 2 * oh) * rowStride;
      for (let ow = 0; ow < OW; ow++, g += C, p0 += 2 * C) {
        const p2 = p0 + rowStride;
        for (let c = 0; c < C; c++) {
          const a0 = p0 + c;
          const a2 = p2 + c;
          const x2 = xs[a2];
          const x3 = xs[a2 + C];
          const top = a0 + C * bit(xs[a0 + C] > xs[a0]);
          const bottom = a2 + C * bit(x3 > x2);
          let at = top + bit(xs[bottom] > xs[top]) * (bottom - top);
          if (x2 !== x2 || x3 !== x3) at = firstMaxAt(xs, a0, a2, C);
          dx[at] = dys[g + c];
        }
      }
    }
  }
}

/** 1 for true, 0 for false, without a branch. */
function bit(b: boolean): number {
  return (b as unknown as number) | 0;
}

/** Index of the first maximum of the window {a0, a0 + C, a2, a2 + C} by the comparison chain (a later element wins only if greater). */
function firstMaxAt(xs: Float32Array, a0: number, a2: number, C: number): number {
  let at = a0;
  if (xs[a0 + C] > xs[at]) at = a0 + C;
  if (xs[a2] > xs[at]) at = a2;
  if (xs[a2 + C] > xs[at]) at = a2 + C;
  return at;
}

export const maxPoolGradConfig = {
  kernelName: tf.MaxPoolGrad,
  kernelFunc: maxPoolGrad as unknown as tf.KernelFunc,
};
